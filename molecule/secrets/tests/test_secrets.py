"""Verify the secrets pod: unsealed, AppRole login and policy, delivered credentials, persistence, no leaks."""

import json
import os
import subprocess
import urllib.request

import hvac
import pytest

POD = "aegistest-secrets"
URL = "http://127.0.0.2:8200"
SECRETS = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "secrets", "openbao")


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
    for secret in [init["root_token"], creds["secret_id"], *init["unseal_keys"]]:
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
