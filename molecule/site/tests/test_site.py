"""The whole platform from site.yml: every pod and container healthy, the seed's eleven volumes at their paths,
and the seed's thirteen inter-pod flows checked from inside the source pod (with the real protocol where a real
server answers)."""

import json
import os
import urllib.request

import pytest

P = "aegistest"
ADDRESS = "127.0.0.2"
PODS = ["database", "secrets", "iam", "storage", "observability", "temporal", "core", "seal-gateway"]
CONTAINERS = {
    "database": ["postgres", "postgres-exporter"],
    "secrets": ["openbao"],
    "iam": ["keycloak"],
    "storage": ["master", "volume", "filer", "webdav"],
    "observability": ["jaeger", "prometheus", "grafana", "loki", "promtail"],
    "temporal": ["server", "ui", "worker"],
    "core": ["runtime"],
    "seal-gateway": ["gateway"],
}
# The seed's persistent volume table: volume -> (container, mount point).
VOLUMES = {
    "postgres-data": ("database-postgres", "/var/lib/postgresql/data"),
    "runtime-data": ("core-runtime", "/app/data"),
    "openbao-data": ("secrets-openbao", "/openbao/data"),
    "prometheus-data": ("observability-prometheus", "/prometheus"),
    "grafana-data": ("observability-grafana", "/var/lib/grafana"),
    "loki-data": ("observability-loki", "/loki"),
    "seaweedfs-master-data": ("storage-master", "/data"),
    "seaweedfs-volume-data": ("storage-volume", "/data"),
    "seaweedfs-filer-data": ("storage-filer", "/data"),
    "seal-gateway-data": ("seal-gateway-gateway", "/app/data"),
    "temporal-worker-data": ("temporal-worker", "/app/data"),
}


def exec_python(host, container, code):
    """Run Python inside a container of a pod (the stand-ins and the Keycloak stand-in have python3)."""
    result = host.run("podman exec %s-%s python3 -c %s", P, container, code)
    assert result.rc == 0, result.stderr + result.stdout
    return result.stdout.strip()


def connect_from(host, container, target, port):
    """A TCP connection from inside the source container (bash /dev/tcp works in every image we run)."""
    result = host.run("podman exec %s-%s bash -c %s", P, container,
                      "exec 3<>/dev/tcp/%s/%s && echo connected" % (target, port))
    return result.rc == 0 and "connected" in result.stdout


def health(port):
    with urllib.request.urlopen("http://%s:%s/health/dependencies" % (ADDRESS, port), timeout=10) as response:
        return json.load(response)




@pytest.mark.parametrize("pod", PODS)
def test_pod_is_running(host, pod):
    info = json.loads(host.check_output("podman pod inspect %s-%s --format json", P, pod))
    info = info[0] if isinstance(info, list) else info
    assert info["State"] == "Running"


@pytest.mark.parametrize("name", ["%s-%s" % (pod, c) for pod, cs in CONTAINERS.items() for c in cs])
def test_container_is_healthy(host, name):
    assert sum(len(c) for c in CONTAINERS.values()) == 18
    assert host.run("podman healthcheck run %s-%s", P, name).rc == 0, name


@pytest.mark.parametrize("volume", sorted(VOLUMES))
def test_seed_volume_is_mounted_at_its_path(host, volume):
    container, path = VOLUMES[volume]
    mounts = json.loads(host.check_output("podman inspect %s-%s --format json", P, container))[0]["Mounts"]
    assert {"%s-%s" % (P, volume): path}.items() <= {m.get("Name"): m["Destination"] for m in mounts}.items()


# --- the thirteen flows of the seed's table -------------------------------------------------------------------

def test_flow_core_to_database_sql(host):
    assert health(8088)["dependencies"]["database"] == "ok"  # real SCRAM login with the rendered DATABASE_URL
    assert connect_from(host, "core-runtime", "%s-database" % P, 5432)


def test_flow_core_to_temporal_grpc(host):
    assert health(8088)["dependencies"]["temporal"] == "ok"
    result = host.run("podman exec %s-temporal-server temporal operator cluster health --address %s-temporal:7233", P, P)
    assert "SERVING" in result.stdout
    assert connect_from(host, "core-runtime", "%s-temporal" % P, 7233)


def test_flow_core_to_secrets_approle(host):
    assert health(8088)["dependencies"]["openbao"] == "ok"  # real AppRole login with the delivered credentials
    out = exec_python(host, "core-runtime", "import urllib.request,json;print(json.load(urllib.request.urlopen("
                      "'http://%s-secrets:8200/v1/sys/health'))['sealed'])" % P)
    assert out == "False"


def test_flow_core_to_iam_jwt(host):
    assert health(8088)["dependencies"]["keycloak"] == "ok"  # client credentials of aegis-orchestrator
    out = exec_python(host, "core-runtime", "import urllib.request,json;print(len(json.load(urllib.request.urlopen("
                      "'http://%s-iam:8180/realms/aegis-system/protocol/openid-connect/certs'))['keys']))" % P)
    assert int(out) >= 1


def test_flow_core_to_storage_filer_write_read(host):
    code = ("import urllib.request as u;u.urlopen(u.Request('http://%s-storage:8888/site-test/flow.txt',"
            "data=b'from-core',method='PUT'));print(u.urlopen('http://%s-storage:8888/site-test/flow.txt').read().decode())"
            % (P, P))
    assert exec_python(host, "core-runtime", code) == "from-core"


def test_flow_core_to_observability_otlp(host):
    assert health(8088)["dependencies"]["otlp"] == "ok"
    assert connect_from(host, "core-runtime", "%s-observability" % P, 4317)
    code = ("import urllib.request as u,json;print(u.urlopen(u.Request('http://%s-observability:4318/v1/traces',"
            "data=json.dumps({'resourceSpans':[]}).encode(),headers={'Content-Type':'application/json'},"
            "method='POST')).status)" % P)
    assert exec_python(host, "core-runtime", code) == "200"


def test_flow_worker_to_core_grpc(host):
    with urllib.request.urlopen("http://%s:3000/health" % ADDRESS, timeout=10) as response:
        assert json.load(response)["dependencies"]["runtime_grpc"] == "ok"
    assert connect_from(host, "temporal-worker", "%s-core" % P, 50051)


def test_flow_worker_to_database(host):
    with urllib.request.urlopen("http://%s:3000/health" % ADDRESS, timeout=10) as response:
        assert json.load(response)["dependencies"]["database"] == "ok"


def test_flow_iam_to_database(host):
    code = ("import os,psycopg2;c=psycopg2.connect(host='%s-database',dbname='keycloak',user='keycloak',"
            "password=os.environ['KC_DB_PASSWORD']);k=c.cursor();k.execute('select count(*) from kc_emulator_state');"
            "print(k.fetchone()[0])" % P)
    assert exec_python(host, "iam-keycloak", code) == "1"


def test_flow_promtail_to_loki(host):
    assert connect_from(host, "observability-promtail", "localhost", 3100)


def test_flow_prometheus_scrapes_every_pod():
    with urllib.request.urlopen("http://%s:9090/api/v1/targets" % ADDRESS, timeout=10) as response:
        targets = json.load(response)["data"]["activeTargets"]
    jobs = {t["labels"]["job"]: t["health"] for t in targets}
    for job in ["postgres-exporter", "seaweedfs-master", "seaweedfs-volume", "seaweedfs-filer", "openbao",
                "aegis-runtime", "temporal", "prometheus"]:
        assert jobs.get(job) == "up", (job, jobs)


def test_flow_grafana_to_its_datasources(host):
    for port in (9090, 3100, 16686):
        assert connect_from(host, "observability-grafana", "localhost", port), port


def test_flow_seal_gateway_to_database():
    with urllib.request.urlopen("http://%s:8089/health/dependencies" % ADDRESS, timeout=10) as response:
        assert json.load(response)["dependencies"]["database"] == "ok"


def test_every_standin_dependency_is_ok_once_all_pods_run():
    runtime = health(8088)["dependencies"]
    assert {k: v for k, v in runtime.items() if v != "ok" and k != "cortex"} == {}


def test_core_host_has_the_approle_env_file_0600(host):
    env = host.file("/etc/aegistest/core/secrets/openbao-approle.env")
    assert env.mode == 0o600 and env.user == "root"
    lines = env.content_string.splitlines()
    assert lines[0].startswith("OPENBAO_ROLE_ID=") and lines[1].startswith("OPENBAO_SECRET_ID=")
