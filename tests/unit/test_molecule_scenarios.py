"""Every localhost molecule scenario, as molecule sees it (.config/molecule/config.yml with the scenario's
molecule.yml merged over it), stays away from a live deployment, is run by `make molecule`, and is destroyed by the
teardown playbook with purge, so it leaves nothing of its prefix behind."""
import os
import re

import pytest
import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
MOLECULE = os.path.join(ROOT, "molecule")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def merge(base, over):
    """molecule's merge of a scenario over its base: dicts merge recursively, anything else is replaced."""
    merged = dict(base)
    for key, value in over.items():
        merged[key] = merge(base[key], value) if isinstance(base.get(key), dict) and isinstance(value, dict) else value
    return merged


def scenarios():
    base = load(os.path.join(ROOT, ".config", "molecule", "config.yml"))
    found = {}
    for name in sorted(os.listdir(MOLECULE)):
        path = os.path.join(MOLECULE, name, "molecule.yml")
        if os.path.isfile(path):
            found[name] = merge(base, load(path))
    return found


LOCALHOST = {name: config for name, config in scenarios().items()
             if [platform["name"] for platform in config["platforms"]] == ["localhost"]}


def test_the_localhost_scenarios_are_the_ones_make_molecule_runs():
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as handle:
        listed = re.search(r"^SCENARIOS \?= (.*)$", handle.read(), re.MULTILINE).group(1).split()
    assert sorted(listed) == sorted(LOCALHOST)
    assert "database" in listed and "default" not in listed


@pytest.mark.parametrize("name", sorted(LOCALHOST))
def test_a_localhost_scenario_uses_its_own_prefix_and_address(name):
    localhost = LOCALHOST[name]["provisioner"]["inventory"]["host_vars"]["localhost"]
    assert localhost["aegis_name_prefix"] not in ("", "aegis")
    assert localhost["aegis_bind_address"] != "127.0.0.1"
    assert localhost["aegis_secrets_dir"].startswith("${MOLECULE_EPHEMERAL_DIRECTORY}/")


def imported(playbook):
    """The playbooks a playbook imports, as absolute paths."""
    return [os.path.normpath(os.path.join(os.path.dirname(playbook), play["ansible.builtin.import_playbook"]))
            for play in load(playbook) if "ansible.builtin.import_playbook" in play]


@pytest.mark.parametrize("name", sorted(LOCALHOST))
def test_a_localhost_scenario_is_destroyed_by_the_teardown_playbook_with_purge(name):
    playbook = os.path.normpath(os.path.join(MOLECULE, name, LOCALHOST[name]["provisioner"]["playbooks"]["destroy"]))
    shared = os.path.join(MOLECULE, "localhost", "destroy.yml")
    assert playbook == shared or imported(playbook)[0] == shared
    (teardown,) = load(shared)
    assert os.path.normpath(os.path.join(MOLECULE, "localhost", teardown["ansible.builtin.import_playbook"])) == \
        os.path.join(ROOT, "playbooks", "teardown.yml")
    assert teardown["vars"] == {"aegis_purge_data": True, "aegis_teardown_purge_grace": 0}
