"""site.yml deploys the pods of the registry, one task each, in the registry's (dependency) order."""
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def test_site_deploys_every_registry_pod_in_registry_order():
    registry = list(yaml.safe_load((ROOT / "roles/common/vars/main.yml").read_text())["__aegis_pods"])
    tasks = yaml.safe_load((ROOT / "playbooks/site.yml").read_text())[0]["tasks"]
    deployed = [task["ansible.builtin.include_role"]["name"].split(".")[-1] for task in tasks
                if task.get("ansible.builtin.include_role", {}).get("tasks_from") == "deploy"]
    assert deployed == registry
    for task in tasks:
        if task.get("ansible.builtin.include_role", {}).get("tasks_from") == "deploy":
            pod = task["ansible.builtin.include_role"]["name"].split(".")[-1]
            assert task["tags"] == [pod] and task["ansible.builtin.include_role"]["apply"]["tags"] == [pod]
            assert task["when"] == "'%s' in aegis_pods_here" % pod
