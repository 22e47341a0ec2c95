"""Every role's connection settings for the multi-node inventory: pods on another host are reached at that host's
address on the published port, pods on the same host by name on the shared network."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
DATA, APP, OBS = "data1.example.com", "app1.example.com", "obs1.example.com"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(ROOT / "inventories" / "multi-node"),
         str(ROOT / "tests" / "integration" / "inventories" / "render_connections.yml"),
         "-e", "aegis_secrets_dir=%s" % tmp_path_factory.mktemp("secrets"), "-e", "render_dir=%s" % out],
        capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    found = {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
    assert set(found) == {DATA, APP, OBS}, result.stdout[-3000:]
    return found


def test_each_host_runs_the_pods_its_groups_place_there(settings):
    assert settings[DATA]["pods_here"] == ["database", "secrets", "storage"]
    assert settings[APP]["pods_here"] == ["iam", "temporal", "core", "seal_gateway"]
    assert settings[OBS]["pods_here"] == ["observability"]


def test_core_reaches_other_hosts_by_address_and_its_own_host_by_pod_name(settings):
    env, config = settings[APP]["core_env"], settings[APP]["core_config"]
    assert settings[APP]["core_database_url"] == "postgres://aegis:***@192.0.2.21:5432/aegis"
    assert config["secrets"]["backend"]["address"] == "http://192.0.2.21:8200"
    assert config["storage"]["seaweedfs"]["filer_url"] == "http://192.0.2.21:8888"
    assert env["AEGIS_OTLP_ENDPOINT"] == "http://192.0.2.23:4317"
    assert env["KEYCLOAK_URL"] == "http://aegis-iam:8180"
    assert config["iam"]["realms"][0]["issuer_url"] == "http://aegis-iam:8180/realms/aegis-system"
    assert config["temporal"]["address"] == "aegis-temporal:7233"


def test_temporal_and_iam_use_the_database_host(settings):
    assert settings[APP]["worker_env"]["AEGIS_RUNTIME_GRPC_URL"] == "aegis-core:50051"
    assert settings[APP]["iam_env"]["KC_DB_URL"] == "jdbc:postgresql://192.0.2.21:5432/keycloak"
    assert settings[APP]["seal_gateway_database_url"] == "postgres://seal_gateway:***@192.0.2.21:5432/seal_gateway"


def test_bootstrap_tasks_reach_local_pods_on_the_bind_address_and_remote_ones_on_their_host(settings):
    assert settings[DATA]["api_addresses"]["secrets"] == "192.0.2.21"
    assert settings[APP]["api_addresses"]["secrets"] == "192.0.2.21"
    assert settings[APP]["api_addresses"]["iam"] == "192.0.2.22"


def test_every_host_finds_the_deployer_credential_on_the_secrets_host(settings):
    """The iam role on app1 writes OpenBao with the deployer's token: it reads the credential on data1 (the only
    place that keeps it) and reaches OpenBao at data1's address."""
    for host in (DATA, APP, OBS):
        assert settings[host]["openbao_host"] == DATA
        assert settings[host]["deployer_file"] == "/etc/aegis/secrets/openbao-deployer.json"
    assert settings[APP]["openbao_url"] == "http://192.0.2.21:8200"
