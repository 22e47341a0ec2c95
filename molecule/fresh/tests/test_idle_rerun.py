"""A rerun of the converged site is decided from the one host probe: no pod module runs, the database bootstrap
is skipped (its receipt matches), OpenBao's and the realm's bootstraps read their servers (so drift is repaired)
and change nothing; changed=0 — with and without --check. (Named to run before the reboot tests.)"""
import pytest

from platform_checks import ALL_HOSTS, site


@pytest.mark.parametrize("mode", [[], ["--check"]])
def test_rerun_runs_no_pod_module_and_only_reads_the_servers(mode):
    rc, output, changed = site("-v", *mode)
    assert rc == 0, output[-3000:]
    assert changed == {host: 0 for host in ALL_HOSTS}
    assert '"probed": false' not in output  # every pod decided from the probe
    assert "database : Converge login roles" not in output
    for bootstrap in ["secrets : Initialise, unseal and configure OpenBao", "iam : Converge realm ",
                      "secrets : Read the generated values kept in OpenBao"]:
        assert bootstrap in output, bootstrap
    assert "Read back from OpenBao" not in output  # the controller's copy is complete
