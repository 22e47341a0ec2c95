"""Losing a host: the pods on the other hosts stay healthy and status.yml names what is unreachable; when it comes
back its pods return by themselves (systemd) and a rerun of site.yml changes nothing."""

from platform_checks import PODS, placed_on, site, run_testbed, unhealthy_containers

LOST = placed_on("observability")
OTHERS = [pod for pod in PODS if placed_on(pod) != LOST]


def test_the_others_stay_healthy_and_status_names_the_lost_host():
    run_testbed("stop", LOST)
    assert unhealthy_containers(OTHERS) == []
    rc, output, changed = site(playbook="status.yml")
    assert rc != 0
    assert "UNREACHABLE" in output and LOST in output


def test_its_pods_return_when_it_is_back_and_a_rerun_changes_nothing():
    run_testbed("start", LOST)
    assert unhealthy_containers(["observability"], timeout=300) == []
    rc, output, changed = site()
    assert rc == 0, output[-3000:]
    rc, output, changed = site()
    assert rc == 0 and set(changed.values()) == {0}, output[-3000:]
