"""Verify the temporal pod: the real Temporal server 1.23 on pod-database's PostgreSQL, its UI, the worker stand-in."""

import json
import os
import subprocess
import urllib.request

import pytest

POD = "aegistest-temporal"
ADDRESS = "127.0.0.2"


def get(port, path):
    with urllib.request.urlopen("http://%s:%s%s" % (ADDRESS, port, path), timeout=10) as response:
        return response.status, response.read().decode()


@pytest.mark.parametrize("container", ["server", "ui", "worker"])
def test_container_running_and_healthy(host, container):
    name = "%s-%s" % (POD, container)
    assert json.loads(host.check_output("podman inspect %s --format json", name))[0]["State"]["Running"]
    assert host.run("podman healthcheck run %s", name).rc == 0


def test_cluster_health_is_serving_over_the_published_port(host):
    result = host.run("podman exec %s-server temporal operator cluster health --address %s:7233", POD, ADDRESS)
    assert result.rc == 0 and "SERVING" in result.stdout


def test_default_namespace_exists(host):
    result = host.run("podman exec %s-server temporal operator namespace describe --namespace default --address 127.0.0.1:7233", POD)
    assert result.rc == 0, result.stderr


def psql(host, database, sql):
    result = host.run("podman exec -u postgres aegistest-database-postgres psql -U aegis -d %s -AtX -c %s", database, sql)
    assert result.rc == 0, result.stderr
    return result


def test_server_keeps_its_state_in_the_temporal_databases(host):
    """The temporal -> database flow: both schemas at 1.23's versions, the namespace a row in PostgreSQL."""
    assert psql(host, "temporal", "SELECT curr_version FROM schema_version").stdout.strip() == "1.11"
    assert psql(host, "temporal_visibility", "SELECT curr_version FROM schema_version").stdout.strip() == "1.4"
    assert psql(host, "temporal", "SELECT name FROM namespaces WHERE name = 'default'").stdout.strip() == "default"


def test_ui_is_the_real_temporal_ui_on_8233():
    status, body = get(8233, "/")
    assert status == 200 and "<html" in body.lower()
    status, body = get(8233, "/api/v1/namespaces")
    assert status == 200 and '"default"' in body


def test_server_exposes_prometheus_metrics():
    status, body = get(9233, "/metrics")
    assert status == 200 and "# TYPE" in body


def test_worker_reaches_the_database_with_its_credentials():
    status, body = get(3000, "/health")
    health = json.loads(body)
    assert status == 200 and health["status"] == "healthy"
    assert health["dependencies"]["database"] == "ok"
    assert health["dependencies"]["temporal"] == "ok"


def test_worker_database_url_is_a_private_dotenv_file_not_in_inspect(host):
    config = json.loads(host.check_output("podman inspect %s-worker --format json", POD))[0]
    assert "postgres://" not in json.dumps(config)
    env_file = host.file("/etc/aegistest/temporal/secrets/worker.env")
    assert env_file.mode == 0o600 and env_file.content_string.startswith("DATABASE_URL='postgres://")
    assert any(m["Destination"] == "/app/.env" and not m["RW"] for m in config["Mounts"])


def test_volumes_are_mounted(host):
    mounts = json.loads(host.check_output("podman inspect %s-worker --format json", POD))[0]["Mounts"]
    assert any(m.get("Name") == "aegistest-temporal-worker-data" and m["Destination"] == "/app/data" for m in mounts)


def test_workflow_history_survives_pod_recreate(host):
    start = host.run("podman exec %s-server temporal workflow start --address 127.0.0.1:7233 --task-queue verify "
                     "--type VerifyWorkflow --workflow-id survives-recreate", POD)
    assert start.rc == 0, start.stderr
    assert host.run("podman pod rm -f -t 0 %s", POD).rc == 0
    converge = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")],
        capture_output=True, text=True, check=False)
    assert converge.returncode == 0, converge.stdout[-3000:]
    described = host.run("podman exec %s-server temporal workflow describe --address 127.0.0.1:7233 "
                         "--workflow-id survives-recreate", POD)
    assert described.rc == 0 and "VerifyWorkflow" in described.stdout
    rows = psql(host, "temporal", "SELECT count(*) FROM current_executions WHERE workflow_id = 'survives-recreate'")
    assert rows.stdout.strip() == "1"
