"""site.yml --check where nothing is deployed yet (another prefix, beside the converged site): it succeeds, reports
every pod as a change and changes nothing on the host. And a rerun of the converged site is decided from the one
host probe: no pod module runs, no bootstrap runs (their receipts match), changed=0."""

import os
import re
import subprocess
import tempfile

import pytest

PLAYBOOKS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "playbooks")
FRESH = "aegischeck"


def site(*extra):
    result = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             os.path.join(PLAYBOOKS, "site.yml"), *extra], capture_output=True, text=True, check=False)
    # molecule forces colour: compare the plain text
    result.stdout = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    return result


def podman_names(kind):
    return subprocess.run(["podman", kind, "ls", "--format", "{{.Name}}"], capture_output=True, text=True,
                          check=True).stdout.split()


def test_check_on_an_empty_host_reports_every_pod_and_changes_nothing():
    with tempfile.TemporaryDirectory() as secrets:
        result = site("--check", "-e", "aegis_name_prefix=" + FRESH, "-e", "aegis_bind_address=127.0.0.9",
                      "-e", "aegis_secrets_dir=" + secrets)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    for pod in ["database", "secrets", "iam", "storage", "observability", "temporal", "core", "seal-gateway"]:
        assert re.search(r"Converge pod %s-%s\] \*+\nchanged" % (FRESH, pod), output), pod
    assert "%s-network would be created" % FRESH in output
    for kind in ("pod", "volume", "network", "secret"):
        assert not [name for name in podman_names(kind) if name.startswith(FRESH)], kind
    assert not os.path.exists("/etc/" + FRESH)


@pytest.mark.parametrize("mode", [[], ["--check"]])
def test_rerun_runs_no_pod_module_and_no_bootstrap(mode):
    result = site("-v", *mode)
    output = result.stdout
    assert result.returncode == 0, output[-3000:]
    assert re.search(r"changed=0\s", output)
    assert '"probed": false' not in output  # every pod decided from the probe
    for bootstrap in ["database : Converge login roles", "secrets : Initialise if needed and unseal",
                      "iam : Converge realm "]:
        assert bootstrap not in output, bootstrap
