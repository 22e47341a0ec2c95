"""Role READMEs: variables generated from the argument specs, and an example playbook that Ansible accepts."""
import os
import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def test_role_readmes_match_argument_specs():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "role_docs.py"), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def example_playbooks():
    """{role: the YAML block under the README's 'Example playbook' heading}."""
    examples = {}
    for readme in sorted(ROOT.glob("roles/*/README.md")):
        section = readme.read_text().partition("\n## Example playbook\n")[2]
        examples[readme.parent.name] = section.partition("```yaml\n")[2].partition("```")[0]
    return examples


def test_every_role_readme_has_an_example_playbook_that_passes_a_syntax_check(tmp_path):
    examples = example_playbooks()
    plays = []
    for role, text in examples.items():
        assert text.strip(), "roles/%s/README.md has no example playbook" % role
        play = yaml.safe_load(text)
        assert any(entry.get("role") == "aegis.platform." + role for item in play for entry in item.get("roles", [])), role
        plays.extend(play)
    (tmp_path / "examples.yml").write_text(yaml.safe_dump(plays))
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "--syntax-check",
                             "-i", "localhost,", str(tmp_path / "examples.yml")], capture_output=True, text=True,
                            cwd=ROOT, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")), check=False)
    assert result.returncode == 0, result.stdout + result.stderr
