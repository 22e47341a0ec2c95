"""Verify the core pod alone (with its database): ports, health with real dependency checks, volume, podman
socket, SEAL key, config files (the manifest 0600 with the database URL), a port collision rejected before any
change."""

import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

POD = "aegistest-core"
ADDRESS = "127.0.0.2"


def converge(*extra):
    return subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                           os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), *extra],
                          capture_output=True, text=True, check=False)


def inspect(host):
    return json.loads(host.check_output("podman inspect %s-runtime --format json", POD))[0]


def test_runtime_is_healthy(host):
    assert host.run("podman healthcheck run %s-runtime", POD).rc == 0
    assert inspect(host)["HostConfig"]["RestartPolicy"]["Name"] == "always"


@pytest.mark.parametrize("port", [8088, 50051, 2049, 9091])
def test_seed_ports_answer(port):
    with socket.create_connection((ADDRESS, port), timeout=5):
        pass


def test_health_checks_the_database_for_real_and_leaves_undeployed_pods_unconfigured():
    with urllib.request.urlopen("http://%s:8088/health" % ADDRESS, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "healthy"
    deps = body["dependencies"]
    assert deps["database"] == "ok" and deps["seal_key"] == "ok" and deps["config"] == "ok"
    assert deps["openbao"] == deps["keycloak"] == deps["temporal"] == "not configured"


def test_metrics_endpoint():
    with urllib.request.urlopen("http://%s:9091/metrics" % ADDRESS, timeout=10) as response:
        assert b"aegis_standin_up 1" in response.read()


def test_volume_socket_key_and_config_mounts(host):
    mounts = {m["Destination"]: m for m in inspect(host)["Mounts"]}
    assert mounts["/app/data"]["Name"] == "aegistest-runtime-data"
    assert mounts["/run/podman/podman.sock"]["RW"] is False
    assert mounts["/app/secrets/seal-private-key.pem"]["RW"] is False
    assert host.file("/etc/aegistest/core/secrets/seal-private-key.pem").mode == 0o600
    assert "BEGIN" in host.file("/etc/aegistest/core/secrets/seal-private-key.pem").content_string
    manifest = host.file("/etc/aegistest/core/secrets/aegis-config.yaml")
    assert "kind: NodeConfig" in manifest.content_string and "url: postgres://" in manifest.content_string
    assert manifest.mode == 0o600 and manifest.uid == 10000
    # The runtime (uid 10000) owns its SEAL key and its data volume (aegis-runtime 0.15.0-pre-alpha drops root).
    assert host.file("/etc/aegistest/core/secrets/seal-private-key.pem").uid == 10000
    assert host.run("podman volume inspect --format '{{.UID}}' aegistest-runtime-data").stdout.strip() == "10000"


def test_podman_socket_answers_inside_the_pod(host):
    result = host.run("podman exec %s-runtime python3 -c %s", POD,
                      "import socket;s=socket.socket(socket.AF_UNIX);s.connect('/run/podman/podman.sock');"
                      "s.sendall(b'GET /_ping HTTP/1.0\\r\\n\\r\\n');print(s.recv(200).decode())")
    assert result.rc == 0 and "200 OK" in result.stdout


def test_database_url_is_in_no_inspect_output(host):
    # Only what the runtime reads from nowhere but its environment is there: its SEAL key (and AppRole secret_id).
    assert "postgres://" not in json.dumps(inspect(host))


def test_port_collision_fails_before_any_change(host):
    before = inspect(host)["Id"]
    result = converge("-e", "aegis_core_metrics_port=8088")
    assert result.returncode != 0
    # Failures go to stderr and may be folded across lines: compare with whitespace collapsed.
    assert "aegis_core_http_port and aegis_core_metrics_port all claim port 8088" in " ".join((result.stdout + result.stderr).split())
    assert inspect(host)["Id"] == before


def runtime_health():
    with urllib.request.urlopen("http://%s:8088/health" % ADDRESS, timeout=10) as response:
        return json.load(response)


def summary():
    """playbooks/status.yml as site.yml's summary runs it: failing unless all is healthy, waiting up to 20 s."""
    extra = {"aegis_profiles": {"core_test": ["database", "core"]}, "aegis_profile": "core_test",
             "aegis_status_fail_unhealthy": True, "aegis_status_wait": 20}
    return subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                           os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], "playbooks", "status.yml"),
                           "-e", json.dumps(extra)], capture_output=True, text=True, check=False)


def test_summary_fails_naming_a_dependency_the_runtime_reports_broken(host):
    """The runtime's health check passes whatever its dependencies report (no pod waits on another); the summary
    reads that report and fails, naming the dependency, until the fault (its data volume made read-only, through
    podman) is undone."""
    mode = host.check_output("podman exec %s-runtime stat -c %%a /app/data", POD)
    assert host.run("podman exec -u 0 %s-runtime chmod 0555 /app/data", POD).rc == 0
    try:
        assert host.run("podman healthcheck run %s-runtime", POD).rc == 0
        # The runtime rechecks a dependency every few seconds: wait until its own report shows the fault.
        deadline = time.monotonic() + 30
        while not runtime_health()["dependencies"]["data"].startswith("error") and time.monotonic() < deadline:
            time.sleep(1)
        broken = summary()
        assert broken.returncode != 0
        assert "aegistest-core-runtime reports data: error" in " ".join((broken.stdout + broken.stderr).split())
    finally:
        host.run("podman exec -u 0 %s-runtime chmod %s /app/data", POD, mode)
    repaired = summary()
    assert repaired.returncode == 0, repaired.stdout[-2000:]
