"""Verify the secrets pod: unsealed, AppRole login and policy, delivered credentials, persistence, no leaks."""

import json
import os
import re
import subprocess
import urllib.request

import hvac
import pytest

POD = "aegistest-secrets"
URL = "http://127.0.0.2:8200"
SECRETS = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "secrets", "openbao")
DEPLOYER = "/etc/aegistest/secrets/openbao-deployer.json"


def stored(name):
    with open(os.path.join(SECRETS, name), encoding="utf-8") as handle:
        return json.load(handle)


def converge(*extra):
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), *extra],
        capture_output=True, text=True, check=False)


def approle_client():
    creds = stored("approle.json")
    client = hvac.Client(url=URL)
    client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
    return client


def test_openbao_is_initialised_unsealed_and_healthy(host):
    status = hvac.Client(url=URL).sys.read_health_status(method="GET")
    assert status["initialized"] and not status["sealed"]
    assert host.run("podman healthcheck run %s-openbao", POD).rc == 0


def test_keys_and_credentials_are_private_files():
    for name in ("init.json", "approle.json"):
        assert os.stat(os.path.join(SECRETS, name)).st_mode & 0o777 == 0o600
    assert os.stat(SECRETS).st_mode & 0o777 == 0o700


def test_approle_token_has_the_platform_policy_and_ttls():
    client = approle_client()
    token = client.auth.token.lookup_self()["data"]
    assert "aegis-platform" in token["policies"]
    assert token["ttl"] <= 3600


def test_policy_allows_aegis_paths_and_denies_others():
    client = approle_client()
    client.secrets.kv.v2.create_or_update_secret(path="aegis/verify", secret={"k": "v"}, mount_point="secret")
    assert client.secrets.kv.v2.read_secret_version(path="aegis/verify", mount_point="secret",
                                                    raise_on_deleted_version=True)["data"]["data"] == {"k": "v"}
    with pytest.raises(hvac.exceptions.Forbidden):
        client.secrets.kv.v2.create_or_update_secret(path="other/verify", secret={"k": "v"}, mount_point="secret")


def test_metrics_are_served_without_a_token():
    with urllib.request.urlopen(URL + "/v1/sys/metrics?format=prometheus", timeout=10) as response:
        assert b"# TYPE" in response.read()


def test_volume_is_mounted_at_the_seed_path(host):
    mounts = json.loads(host.check_output("podman inspect %s-openbao --format json", POD))[0]["Mounts"]
    assert any(m.get("Name") == "aegistest-openbao-data" and m["Destination"] == "/openbao/data" for m in mounts)


def test_pod_recreate_comes_back_sealed_and_rerun_unseals_keeping_data_and_secret_id(host):
    root = hvac.Client(url=URL, token=stored("init.json")["root_token"])
    root.secrets.kv.v2.create_or_update_secret(path="aegis/persist", secret={"survives": "yes"}, mount_point="secret")
    secret_id_before = stored("approle.json")["secret_id"]
    assert host.run("podman pod rm -f -t 0 %s", POD).rc == 0
    result = converge()
    assert result.returncode == 0, result.stdout[-3000:]
    assert not hvac.Client(url=URL).sys.read_health_status(method="GET")["sealed"]
    data = root.secrets.kv.v2.read_secret_version(path="aegis/persist", mount_point="secret", raise_on_deleted_version=True)
    assert data["data"]["data"] == {"survives": "yes"}
    assert stored("approle.json")["secret_id"] == secret_id_before
    approle_client()


def test_verbose_log_leaks_no_secret():
    result = converge("-vvv")
    assert result.returncode == 0, result.stdout[-3000:]
    log = result.stdout + result.stderr
    init, creds = stored("init.json"), stored("approle.json")
    with open(DEPLOYER, encoding="utf-8") as handle:
        deployer = json.load(handle)
    for secret in [init["root_token"], creds["secret_id"], deployer["secret_id"], *init["unseal_keys"]]:
        assert secret not in log
    assert "changed=0" in log


def test_rotation_mints_a_new_secret_id_and_the_old_one_stops_working():
    old = stored("approle.json")
    result = converge("-e", "aegis_secrets_rotate_secret_id=true")
    assert result.returncode == 0, result.stdout[-3000:]
    new = stored("approle.json")
    assert new["secret_id"] != old["secret_id"] and new["role_id"] == old["role_id"]
    approle_client()
    with pytest.raises(hvac.exceptions.InvalidRequest):
        hvac.Client(url=URL).auth.approle.login(role_id=old["role_id"], secret_id=old["secret_id"])


def test_sealed_without_the_controllers_keys_stops_with_a_message_that_names_them(host):
    init_file = os.path.join(SECRETS, "init.json")
    init = stored("init.json")
    assert host.run("podman restart -t 0 %s-openbao", POD).rc == 0  # a restarted server is sealed
    os.rename(init_file, init_file + ".away")
    try:
        result = converge()
    finally:
        os.rename(init_file + ".away", init_file)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "is sealed and no unseal_keys were given" in log and init_file in log, log[-3000:]
    for secret in [init["root_token"], *init["unseal_keys"]]:
        assert secret not in log
    result = converge()
    assert result.returncode == 0, result.stdout[-3000:]
    assert not hvac.Client(url=URL).sys.read_health_status(method="GET")["sealed"]


def changed_count(result):
    assert result.returncode == 0, result.stdout[-3000:]
    return int(re.search(r"changed=(\d+)", result.stdout).group(1))


def test_the_deployer_credential_is_root_only_on_the_host_and_logs_in_with_policy_aegis_deployer(host):
    credential = host.file(DEPLOYER)
    assert credential.mode == 0o600 and credential.user == "root"
    creds = json.loads(credential.content_string)
    client = hvac.Client(url=URL)
    client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
    assert client.auth.token.lookup_self()["data"]["policies"] == ["aegis-deployer", "default"]


def test_a_rerun_does_not_use_the_root_token(host):
    """The controller's init.json (root token, unseal keys) away while OpenBao runs unsealed: the rerun converges
    with the deployer credential alone and changes nothing (the old code read the root token from that file)."""
    init_file = os.path.join(SECRETS, "init.json")
    os.rename(init_file, init_file + ".away")
    try:
        result = converge()
    finally:
        os.rename(init_file + ".away", init_file)
    assert changed_count(result) == 0, result.stdout[-3000:]


def test_a_deployment_without_a_deployer_credential_gets_one_on_its_first_rerun_then_changes_nothing(host):
    """A deployment made before the deployer credential existed: no policy, role or file. The first rerun creates
    them with the root token (reported changed), the next one changes nothing."""
    root = hvac.Client(url=URL, token=stored("init.json")["root_token"])
    root.auth.approle.delete_role("aegis-deployer")
    root.sys.delete_policy("aegis-deployer")
    assert host.run("rm -f %s", DEPLOYER).rc == 0
    assert changed_count(converge()) > 0
    assert host.file(DEPLOYER).exists
    assert "aegis-deployer" in root.sys.list_acl_policies()["data"]["keys"]
    assert changed_count(converge()) == 0
