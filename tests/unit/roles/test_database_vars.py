"""The database role's databases, login roles and passwords, rendered from its defaults and vars."""
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
HERE = pathlib.Path(__file__).resolve().parent


def render(tmp_path, **settings):
    variables = {"aegis_secrets_dir": str(tmp_path / "secrets"), "out_dir": str(tmp_path), **settings}
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         str(HERE / "render_database.yml"), "-e", json.dumps(variables)],
        cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")),
        check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    return json.loads((tmp_path / "database.json").read_text())


def test_given_passwords_win_and_only_the_others_are_generated_once(tmp_path):
    settings = {"aegis_database_databases": [{"name": "app"}, {"name": "audit", "owner": "app"}, {"name": "kc"}],
                "aegis_database_passwords": {"kc": "given \"pw\" \\ 1", "app": 1234}}
    rendered = render(tmp_path, **settings)
    assert rendered["databases"] == [{"name": "aegis", "owner": "aegis"}, {"name": "app", "owner": "app"},
                                     {"name": "audit", "owner": "app"}, {"name": "kc", "owner": "kc"}]
    assert rendered["roles"] == [{"name": "aegis"}, {"name": "app"}, {"name": "kc"},
                                 {"name": "postgres_exporter", "member_of": ["pg_monitor"]}]
    passwords = rendered["passwords"]
    assert sorted(passwords) == ["aegis", "app", "kc", "postgres_exporter"]
    assert passwords["kc"] == "given \"pw\" \\ 1" and passwords["app"] == 1234
    generated = tmp_path / "secrets" / "database"
    assert sorted(path.name for path in generated.iterdir()) == ["aegis", "postgres_exporter"]
    assert passwords["aegis"] == (generated / "aegis").read_text().strip()
    assert render(tmp_path, **settings)["passwords"] == passwords
