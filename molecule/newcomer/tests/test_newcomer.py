"""After the README's steps on an empty host: all 8 pods and 18 containers healthy, from the host's own podman."""
import testinfra

HOST = testinfra.get_host("podman://aegistb-newcomer")


def test_all_pods_run_and_every_container_is_healthy():
    pods = HOST.check_output("podman pod ls --format '{{.Name}} {{.Status}}'").splitlines()
    assert len(pods) == 8 and all(line.endswith("Running") for line in pods), pods
    names = HOST.check_output("podman ps --filter name=^aegis- --format '{{.Names}}'").split()
    apps = [n for n in names if not n.endswith("-infra")]
    assert len(apps) == 18
    assert [n for n in apps if HOST.run("podman healthcheck run %s", n).rc != 0] == []


def test_the_venv_is_debians_python_with_python3_venv_installed_by_make():
    assert HOST.package("python3-venv").is_installed
    assert HOST.file("/root/aegis-platform/.venv/bin/ansible-playbook").exists
