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


def render(tmp_path_factory, *extra):
    out = tmp_path_factory.mktemp("rendered")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default",
               ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", str(ROOT / "inventories" / "multi-node"),
         str(ROOT / "tests" / "integration" / "inventories" / "render_connections.yml"),
         "-e", "aegis_secrets_dir=%s" % tmp_path_factory.mktemp("secrets"), "-e", "render_dir=%s" % out, *extra],
        capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    found = {path.stem: json.loads(path.read_text()) for path in out.glob("*.json")}
    assert set(found) == {DATA, APP, OBS}, result.stdout[-3000:]
    return found


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return render(tmp_path_factory)


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


# Every endpoint port moved: each consumer must follow (a literal port anywhere would keep the seed's number).
MOVED = {"aegis_database_port": 15432, "aegis_database_exporter_port": 19187, "aegis_secrets_port": 18200,
         "aegis_iam_port": 18180, "aegis_storage_filer_port": 18889, "aegis_storage_master_metrics_port": 19324,
         "aegis_storage_volume_metrics_port": 19325, "aegis_storage_filer_metrics_port": 19326,
         "aegis_observability_jaeger_otlp_grpc_port": 14317, "aegis_temporal_port": 17233,
         "aegis_temporal_metrics_port": 19233, "aegis_temporal_worker_port": 13000, "aegis_core_http_port": 18088,
         "aegis_core_grpc_port": 15051, "aegis_core_metrics_port": 19091, "aegis_seal_gateway_http_port": 18089,
         "aegis_seal_gateway_grpc_port": 15055}


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    return render(tmp_path_factory, "-e", json.dumps(MOVED))


def test_every_consumer_follows_moved_ports(moved):
    app, obs = moved[APP], moved[OBS]
    assert app["core_database_url"] == "postgres://aegis:***@192.0.2.21:15432/aegis"
    assert app["core_config"]["secrets"]["backend"]["address"] == "http://192.0.2.21:18200"
    assert app["core_config"]["storage"]["seaweedfs"]["filer_url"] == "http://192.0.2.21:18889"
    assert app["core_config"]["temporal"]["address"] == "aegis-temporal:17233"
    assert app["core_config"]["temporal"]["worker_http_endpoint"] == "http://aegis-temporal:13000"
    assert app["core_config"]["seal_gateway"]["url"] == "http://aegis-seal-gateway:15055"
    assert app["core_env"]["AEGIS_OTLP_ENDPOINT"] == "http://192.0.2.23:14317"
    assert app["core_env"]["KEYCLOAK_URL"] == "http://aegis-iam:18180"
    assert app["core_env"]["AEGIS_SEAL_GATEWAY_URL"] == "http://aegis-seal-gateway:18089"
    assert app["worker_env"]["AEGIS_RUNTIME_GRPC_URL"] == "aegis-core:15051"
    assert app["worker_env"]["AEGIS_ORCHESTRATOR_URL"] == "http://aegis-core:18088"
    assert app["worker_database_url"] == "DATABASE_URL='postgres://aegis:***@192.0.2.21:15432/aegis'"
    assert app["temporal_server_env"]["DB_PORT"] == "15432"
    assert app["iam_env"]["KC_DB_URL"] == "jdbc:postgresql://192.0.2.21:15432/keycloak"
    assert app["seal_gateway_database_url"] == "postgres://seal_gateway:***@192.0.2.21:15432/seal_gateway"
    assert app["iam_urls"] == ["http://192.0.2.22:18180", "http://192.0.2.21:18200", "192.0.2.22:18180"]
    assert sorted(obs["scrape_targets"]) == sorted([
        "192.0.2.21:19187", "192.0.2.21:19324", "192.0.2.21:19325", "192.0.2.21:19326", "192.0.2.21:18200",
        "192.0.2.22:19091", "192.0.2.22:19233", "192.0.2.22:18180", "localhost:9090", "localhost:14269",
        "localhost:3000", "localhost:3100", "localhost:9080"])


def test_every_host_finds_the_deployer_credential_on_the_secrets_host(settings):
    """The iam role on app1 writes OpenBao with the deployer's token: it reads the credential on data1 (the only
    place that keeps it) and reaches OpenBao at data1's address."""
    for host in (DATA, APP, OBS):
        assert settings[host]["openbao_host"] == DATA
        assert settings[host]["deployer_file"] == "/etc/aegis/secrets/openbao-deployer.json"
    assert settings[APP]["openbao_url"] == "http://192.0.2.21:8200"
