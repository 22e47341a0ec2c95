"""A run from a controller without the deployment's secrets directory (an AWX job, another machine) across the
three hosts: OpenBao on data1 gives the generated values back, every host changes nothing, every flow still works."""
import os
import shutil

from platform_checks import ALL_HOSTS, site, unhealthy_containers

SECRETS = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "secrets")


def generated_files(directory):
    found = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                found[os.path.relpath(os.path.join(root, name), directory)] = handle.read()
    return found


def test_an_empty_controller_converges_with_no_change_on_any_host():
    before = generated_files(SECRETS)
    os.rename(SECRETS, SECRETS + ".away")
    try:
        rc, output, changed = site()
        restored = generated_files(SECRETS)
    finally:
        shutil.rmtree(SECRETS, ignore_errors=True)
        os.rename(SECRETS + ".away", SECRETS)
    assert rc == 0, output[-3000:]
    assert changed == {host: 0 for host in ALL_HOSTS}, output[-3000:]
    assert restored == {name: value for name, value in before.items() if name != "openbao/init.json"}
    assert unhealthy_containers(["database", "secrets", "iam", "core"]) == []
