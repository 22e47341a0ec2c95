"""Verify the seal-gateway pod alone (with its database): ports, health, its own database, volume, socket."""

import json
import os
import socket
import subprocess
import urllib.request

import pytest

POD = "aegistest-seal-gateway"
ADDRESS = "127.0.0.2"


def inspect(host):
    return json.loads(host.check_output("podman inspect %s-gateway --format json", POD))[0]


def test_gateway_is_healthy(host):
    assert host.run("podman healthcheck run %s-gateway", POD).rc == 0


@pytest.mark.parametrize("port", [8089, 50055])
def test_seed_ports_answer(port):
    with socket.create_connection((ADDRESS, port), timeout=5):
        pass


def test_root_answers_ok_and_reaches_its_own_database():
    with urllib.request.urlopen("http://%s:8089/" % ADDRESS, timeout=10) as response:
        assert response.status == 200
    with urllib.request.urlopen("http://%s:8089/health/dependencies" % ADDRESS, timeout=10) as response:
        assert json.load(response)["dependencies"]["database"] == "ok"


def test_its_database_exists_and_is_owned_by_its_role(host):
    out = host.check_output("podman exec -u postgres aegistest-database-postgres psql -U aegis -d postgres -Atc %s",
                            "select pg_get_userbyid(datdba) from pg_database where datname = 'seal_gateway'")
    assert out.strip() == "seal_gateway"


def test_database_url_is_in_the_private_manifest_not_in_inspect(host):
    assert "postgres://" not in json.dumps(inspect(host))
    manifest = host.file("/etc/aegistest/seal-gateway/secrets/seal-gateway-config.yaml")
    assert manifest.mode == 0o600 and "kind: SealGatewayConfig" in manifest.content_string
    assert "url: postgres://seal_gateway:" in manifest.content_string


def test_volume_and_socket_mounts(host):
    mounts = {m["Destination"]: m for m in inspect(host)["Mounts"]}
    assert mounts["/app/data"]["Name"] == "aegistest-seal-gateway-data"
    assert mounts["/run/podman/podman.sock"]["RW"] is False


def test_port_collision_fails_before_any_change(host):
    before = inspect(host)["Id"]
    result = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"),
                             "-e", "aegis_seal_gateway_grpc_port=8089"], capture_output=True, text=True, check=False)
    # Failures go to stderr and may be folded across lines: compare with whitespace collapsed.
    assert result.returncode != 0 and "all claim port 8089" in " ".join((result.stdout + result.stderr).split())
    assert inspect(host)["Id"] == before
