"""A rerun of the converged site is decided from the one host probe: no pod module runs, no bootstrap runs (their
receipts match), changed=0 — with and without --check. (Named to run before the reboot tests.)"""
import pytest

from platform_checks import ALL_HOSTS, site


@pytest.mark.parametrize("mode", [[], ["--check"]])
def test_rerun_runs_no_pod_module_and_no_bootstrap(mode):
    rc, output, changed = site("-v", *mode)
    assert rc == 0, output[-3000:]
    assert changed == {host: 0 for host in ALL_HOSTS}
    assert '"probed": false' not in output  # every pod decided from the probe
    for bootstrap in ["database : Converge login roles", "secrets : Initialise if needed and unseal",
                      "iam : Converge realm "]:
        assert bootstrap not in output, bootstrap
