"""Verify the observability pod: health, ports, Prometheus (real), the stand-ins' view of their configuration,
log shipping, data across a pod recreate, and bad input refused before any change.

Prometheus is the real server (Debian package). Jaeger, Grafana, Loki and Promtail are stand-ins in the local
image source: tests marked "configuration check" prove what the role configured (as the stand-in reads it),
not the behaviour of the real product.
"""

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest  # every test takes `host`, so pytest keeps file order (destructive tests last)
import yaml

POD = "aegistest-observability"
ADDRESS = "127.0.0.2"
CONFIG = "/etc/aegistest-observability/observability"
SECRETS = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "secrets", "observability")
CONTAINERS = ["jaeger", "prometheus", "grafana", "loki", "promtail"]
OWN_JOBS = {"prometheus", "jaeger", "grafana", "loki", "promtail"}
FULL_PROFILE_JOBS = OWN_JOBS | {"postgres-exporter", "seaweedfs-master", "seaweedfs-volume", "seaweedfs-filer",
                                "openbao", "aegis-runtime", "temporal", "keycloak"}


def http(port, path, data=None, headers=None, method=None):
    """(status, body) of one request to a published port; HTTP errors are returned, not raised."""
    request = urllib.request.Request("http://%s:%d%s" % (ADDRESS, port, path), data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def get_json(port, path, **kwargs):
    status, body = http(port, path, **kwargs)
    assert status == 200, (path, status, body[:300])
    return json.loads(body)


def eventually(probe, timeout=60, interval=1):
    """probe()'s first truthy result within timeout seconds (the last falsy one otherwise)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def converge(*extra, check=False, callback=None):
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
               os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")]
    for value in extra:
        command += ["-e", value]
    if check:
        command += ["--check", "--diff"]
    # The project's own code (molecule's installed copy of the collection is shared by concurrent runs).
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], ".collections"))
    if callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
    return subprocess.run(command, capture_output=True, text=True, check=False, env=env)


def inspect(host, container):
    return json.loads(host.check_output("podman inspect %s-%s --format json", POD, container))[0]


def started(host):
    return {name: (inspect(host, name)["Id"], inspect(host, name)["State"]["StartedAt"]) for name in CONTAINERS}


def admin_headers():
    with open(os.path.join(SECRETS, "grafana-admin"), encoding="utf-8") as handle:
        token = base64.b64encode(("admin:" + handle.read().strip()).encode()).decode()
    return {"Authorization": "Basic " + token}


def targets():
    return get_json(9090, "/api/v1/targets")["data"]["activeTargets"]


def hours(duration):
    units = {"h": 1, "d": 24, "w": 168}
    return int(str(duration)[:-1]) * units[str(duration)[-1]]


# --- containers, health, ports -------------------------------------------------------------------------------

@pytest.mark.parametrize("container", CONTAINERS)
def test_container_running_and_healthy(host, container):
    data = inspect(host, container)
    assert data["State"]["Running"]
    assert host.run("podman healthcheck run %s-%s", POD, container).rc == 0
    assert data["HostConfig"]["RestartPolicy"]["Name"] == "always"
    assert data["Config"]["Healthcheck"]["Interval"] == 10 * 10**9


@pytest.mark.parametrize("port", [16686, 4317, 4318, 9090, 3300, 3100, 9080])
def test_port_answers_on_test_address(host, port):
    with socket.create_connection((ADDRESS, port), timeout=5):
        pass


def test_ports_are_published_on_the_bind_address_only(host):
    infra = json.loads(host.check_output("podman inspect %s-infra --format json", POD))[0]
    bindings = infra["HostConfig"]["PortBindings"]
    published = {int(b["HostPort"]): int(key.split("/")[0]) for key, values in bindings.items() for b in values}
    assert published == {16686: 16686, 4317: 4317, 4318: 4318, 9090: 9090, 3300: 3000, 3100: 3100, 9080: 9080}
    assert {b["HostIp"] for values in bindings.values() for b in values} == {ADDRESS}


@pytest.mark.parametrize("port, path", [(16686, "/"), (9090, "/-/ready"), (3300, "/api/health"), (3100, "/ready"),
                                        (9080, "/ready")])
def test_health_endpoints_answer(host, port, path):
    assert http(port, path)[0] == 200


def test_loki_and_promtail_grpc_ports_do_not_collide(host):
    """Both listen in the pod's one network namespace: Loki on 9096, Promtail on 9095 (both default to 9095)."""
    table = host.check_output("podman exec %s-loki cat /proc/net/tcp /proc/net/tcp6", POD)
    listening = {int(line.split()[1].rsplit(":", 1)[1], 16) for line in table.splitlines()[1:]
                 if len(line.split()) > 3 and line.split()[3] == "0A"}
    assert {9095, 9096, 3100, 9080} <= listening


# --- Prometheus (real server) --------------------------------------------------------------------------------

def test_prometheus_retention_from_its_flags(host):
    flags = get_json(9090, "/api/v1/status/flags")["data"]
    assert flags["storage.tsdb.retention.time"] == "15d"
    assert flags["storage.tsdb.path"] == "/prometheus"


def test_prometheus_scrapes_itself_and_the_pod(host):
    def own_jobs_up():
        health = {t["labels"]["job"]: t["health"] for t in targets()}
        return all(health.get(job) == "up" for job in OWN_JOBS) and health
    health = eventually(own_jobs_up, timeout=60)
    assert health, {t["labels"]["job"]: (t["health"], t["lastError"]) for t in targets()}
    assert health["prometheus"] == "up"


def test_scrape_jobs_cover_the_full_profile(host):
    found = {t["labels"]["job"]: t for t in targets()}
    assert set(found) == FULL_PROFILE_JOBS
    assert found["postgres-exporter"]["scrapeUrl"] == "http://aegistest-database:9187/metrics"
    assert found["openbao"]["scrapeUrl"] == "http://aegistest-secrets:8200/v1/sys/metrics?format=prometheus"
    assert found["seaweedfs-volume"]["scrapeUrl"] == "http://aegistest-storage:9325/metrics"
    assert found["aegis-runtime"]["scrapeUrl"] == "http://aegistest-core:9091/metrics"


def test_scrape_jobs_follow_the_profile(host):
    """Check mode with the minimal profile: the rendered config scrapes only database, secrets, core and this pod."""
    before = host.file(CONFIG + "/prometheus.yml").content_string
    result = converge('{"aegis_profile": "minimal"}', check=True, callback="ansible.posix.json")
    assert result.returncode == 0, result.stdout[-3000:]
    tasks = [task for play in json.loads(result.stdout)["plays"] for task in play["tasks"]]
    pod_task = next(t for t in tasks if t["task"]["name"].endswith("Converge pod %s" % POD))
    rendered = yaml.safe_load(pod_task["hosts"]["localhost"]["diff"]["after"]["files"][CONFIG + "/prometheus.yml"])
    assert {job["job_name"] for job in rendered["scrape_configs"]} == OWN_JOBS | {"postgres-exporter", "openbao", "aegis-runtime"}
    assert host.file(CONFIG + "/prometheus.yml").content_string == before


# --- Grafana (stand-in: configuration checks) ----------------------------------------------------------------

def test_grafana_anonymous_viewer_sees_dashboard_and_datasources(host):
    """Configuration check: anonymous access on, datasources and the AEGIS dashboard provisioned."""
    assert [d["title"] for d in get_json(3300, "/api/search")] == ["AEGIS overview"]
    datasources = get_json(3300, "/api/frontend/settings")["datasources"]
    assert {name: d["type"] for name, d in datasources.items()} == {"Prometheus": "prometheus", "Loki": "loki",
                                                                    "Jaeger": "jaeger"}


def test_grafana_anonymous_is_viewer_only(host):
    """Configuration check: org_role Viewer may neither list datasources nor save dashboards."""
    assert http(3300, "/api/datasources")[0] == 403
    body = json.dumps({"dashboard": {"title": "anonymous edit"}}).encode()
    assert http(3300, "/api/dashboards/db", data=body, headers={"Content-Type": "application/json"})[0] == 403


def test_grafana_admin_sees_datasource_urls(host):
    """Configuration check: admin password from the 0600 secret file; datasources point at the pod's localhost."""
    urls = {d["name"]: d["url"] for d in get_json(3300, "/api/datasources", headers=admin_headers())}
    assert urls == {"Prometheus": "http://localhost:9090", "Loki": "http://localhost:3100", "Jaeger": "http://localhost:16686"}
    wrong = {"Authorization": "Basic " + base64.b64encode(b"admin:wrong").decode()}
    assert http(3300, "/api/search", headers=wrong)[0] == 401
    secret = host.file(CONFIG + "/secrets/grafana-admin-password")
    assert (secret.mode, secret.uid) == (0o600, 472)


# --- Jaeger, Loki, Promtail (stand-ins) ----------------------------------------------------------------------

def test_otlp_http_trace_reaches_jaeger_query(host):
    """Stand-in: an OTLP/HTTP JSON span on 4318 shows up as a service in the query API on 16686."""
    service = "aegistest-probe-%s" % uuid.uuid4().hex[:8]
    now = time.time_ns()
    span = {"traceId": uuid.uuid4().hex, "spanId": uuid.uuid4().hex[:16], "name": "probe", "kind": 1,
            "startTimeUnixNano": str(now), "endTimeUnixNano": str(now + 1000)}
    body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                               "scopeSpans": [{"scope": {"name": "aegistest"}, "spans": [span]}]}]}
    status, _body = http(4318, "/v1/traces", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert status == 200
    assert eventually(lambda: service in get_json(16686, "/api/services")["data"], timeout=20)


def test_log_line_reaches_loki_through_promtail(host):
    """Stand-ins: a line a container writes to its stdout is tailed from podman's log and queryable in Loki."""
    token = "aegistest-log-%s" % uuid.uuid4().hex
    host.run_expect([0], "podman exec %s-promtail sh -c 'echo %s > /proc/1/fd/1'", POD, token)
    query = urllib.parse.urlencode({"query": '{job="podman"} |= "%s"' % token, "limit": 10})

    def found():
        return get_json(3100, "/loki/api/v1/query_range?" + query)["data"]["result"]
    streams = eventually(found, timeout=60)
    assert streams, "line not in Loki after 60 s"
    assert streams[0]["stream"]["stream"] == "stdout"
    assert streams[0]["stream"]["filename"].endswith("/userdata/ctr.log")
    assert [value[1] for value in streams[0]["values"]] == [token]


def test_loki_retention_is_seven_days(host):
    """Configuration check: the compactor enforces a 168h retention period."""
    config = yaml.safe_load(http(3100, "/config")[1])
    assert config["compactor"]["retention_enabled"] is True
    assert config["compactor"]["delete_request_store"] == "filesystem"
    assert hours(config["limits_config"]["retention_period"]) == 168
    assert config["server"]["grpc_listen_port"] != 9095


# --- volumes, mounts, files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("container, volume, path", [("prometheus", "aegistest-prometheus-data", "/prometheus"),
                                                     ("grafana", "aegistest-grafana-data", "/var/lib/grafana"),
                                                     ("loki", "aegistest-loki-data", "/loki")])
def test_volume_is_mounted_at_the_seed_path(host, container, volume, path):
    mounts = {m.get("Name"): m["Destination"] for m in inspect(host, container)["Mounts"]}
    assert mounts.get(volume) == path


def test_promtail_mounts_podmans_own_log_dir_read_only(host):
    log_dir = host.check_output("podman info --format '{{.Store.GraphRoot}}/{{.Store.GraphDriverName}}-containers'")
    mounts = {m["Destination"]: m for m in inspect(host, "promtail")["Mounts"]}
    assert mounts[log_dir]["Source"] == log_dir
    assert mounts[log_dir]["RW"] is False


def test_config_files_are_mounted_read_only(host):
    expected = {"prometheus": "/etc/prometheus/prometheus.yml", "loki": "/etc/loki/loki.yaml",
                "promtail": "/etc/promtail/promtail.yaml", "grafana": "/etc/grafana/grafana.ini"}
    for container, path in expected.items():
        mount = {m["Destination"]: m for m in inspect(host, container)["Mounts"]}[path]
        assert mount["Source"].startswith(CONFIG + "/") and mount["RW"] is False


# --- changes: config change, pod recreate, bad input (last: they restart containers) ----------------------------

def test_grafana_anonymous_off_restarts_only_grafana(host):
    """Configuration check: anonymous off gives 401; changing grafana.ini restarts grafana and nothing else."""
    before = started(host)
    result = converge('{"aegis_observability_grafana_anonymous": false}')
    assert result.returncode == 0, result.stdout[-3000:]
    try:
        assert http(3300, "/api/search")[0] == 401
        after = started(host)
        assert after["grafana"] != before["grafana"]
        assert {k: v for k, v in after.items() if k != "grafana"} == {k: v for k, v in before.items() if k != "grafana"}
    finally:
        restored = converge()
        assert restored.returncode == 0, restored.stdout[-3000:]
    assert http(3300, "/api/search")[0] == 200


def test_prometheus_data_survives_pod_removal_and_reconverge(host):
    """Real Prometheus: a sample scraped before `podman pod rm` is still there after the re-converge."""
    assert eventually(lambda: any(t["labels"]["job"] == "prometheus" and t["health"] == "up" for t in targets()), timeout=60)
    moment = time.time()
    query = "/api/v1/query?" + urllib.parse.urlencode({"query": 'timestamp(up{job="prometheus"})', "time": moment})
    before = get_json(9090, query)["data"]["result"]
    assert before, "no sample of the prometheus job yet"
    assert host.run("podman pod rm -f -t 0 %s", POD).rc == 0
    result = converge()
    assert result.returncode == 0, result.stdout[-3000:]
    after = get_json(9090, query)["data"]["result"]
    assert after and after[0]["value"] == before[0]["value"]


@pytest.mark.parametrize("extra, named", [
    ('{"aegis_observability_promtail_port": 3100}', ["aegis_observability_promtail_port", "aegis_observability_loki_port"]),
    ('{"aegis_observability_loki_grpc_port": 9095}',
     ["aegis_observability_loki_grpc_port", "aegis_observability_promtail_grpc_port"]),
    ('{"aegis_observability_grafana_port": 9090}', ["aegis_observability_grafana_port", "aegis_observability_prometheus_port"]),
    ('{"aegis_observability_loki_retention": "100h"}', ["aegis_observability_loki_retention"]),
])
def test_bad_input_fails_naming_the_variable_and_leaves_the_pod(host, extra, named):
    before = started(host)
    names = ("prometheus.yml", "loki.yaml", "promtail.yaml", "grafana.ini")
    files = {name: host.file("%s/%s" % (CONFIG, name)).content_string for name in names}
    result = converge(extra)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for name in named:
        assert name in output, output[-2000:]
    assert "Converge pod %s" % POD not in output
    assert started(host) == before
    assert {name: host.file("%s/%s" % (CONFIG, name)).content_string for name in files} == files
