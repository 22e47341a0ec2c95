"""Reboots of the host (systemd boots again): the pods come back by the units the boot role wrote, without
Ansible; OpenBao stays sealed unless the opt-in unseal unit is enabled; a rerun of site.yml unseals it."""

import testinfra

from platform_checks import ALL_HOSTS, PODS, openbao_sealed, site, run_testbed, unhealthy_containers

HOST = ALL_HOSTS[0]
OPENBAO = "aegis-secrets-openbao"


def reboot_and_wait(skip=()):
    run_testbed("reboot", HOST)
    bad = unhealthy_containers(PODS, timeout=420, skip=skip)
    if bad:  # say why: the pod units' state and their journal since the boot
        host = testinfra.get_host("podman://aegistb-" + HOST)
        print(host.run("systemctl list-units 'pod-*' --all --no-pager").stdout)
        print(host.run("journalctl -b --no-pager -n 80 -u 'pod-*'").stdout)
        print(host.run("podman ps -a --format '{{.Names}} {{.Status}}'").stdout)
    return bad


def test_pods_return_after_a_reboot_and_openbao_is_sealed():
    # A sealed OpenBao fails its own health check (`bao status` exits 2 while sealed): it runs, sealed.
    assert reboot_and_wait(skip=[OPENBAO]) == []
    assert openbao_sealed() is True


def test_a_rerun_after_the_reboot_unseals_and_changes_nothing_else():
    rc, output, changed = site()
    assert rc == 0, output[-3000:]
    assert openbao_sealed() is False
    rc, output, changed = site()
    assert rc == 0 and changed == {HOST: 0}, output[-3000:]


def test_the_opt_in_unseal_unit_unseals_at_boot():
    rc, output, changed = site("-e", "aegis_boot_unseal_unit=true")
    assert rc == 0, output[-3000:]
    assert reboot_and_wait() == []  # OpenBao included: unsealed, it is healthy
    assert openbao_sealed() is False
