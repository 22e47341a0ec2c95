"""The whole platform on test bed hosts, wherever the inventory places its pods: every pod and container healthy,
the seed's eleven volumes at their paths, and the seed's thirteen inter-pod flows checked from inside the source
pod. A flow between pods of one host goes by pod name over the aegis network; across hosts, to the other host's
address and published port (what `aegis_pod_addresses` renders for the pods' settings)."""

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import testinfra

PREFIX = "aegis"
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", ".."))
TESTBED = os.path.join(PROJECT, "tests", "testbed", "testbed.py")
PODS = ["database", "secrets", "iam", "storage", "observability", "temporal", "core", "seal_gateway"]
CONTAINERS = {
    "database": ["postgres", "postgres-exporter"],
    "secrets": ["openbao"],
    "iam": ["keycloak"],
    "storage": ["master", "volume", "filer", "webdav"],
    "observability": ["jaeger", "prometheus", "grafana", "loki", "promtail"],
    "temporal": ["server", "ui", "worker"],
    "core": ["runtime"],
    "seal_gateway": ["gateway"],
}
# The seed's persistent volume table: volume -> (pod, container, mount point).
VOLUMES = {
    "postgres-data": ("database", "postgres", "/var/lib/postgresql/data"),
    "runtime-data": ("core", "runtime", "/app/data"),
    "openbao-data": ("secrets", "openbao", "/openbao/data"),
    "prometheus-data": ("observability", "prometheus", "/prometheus"),
    "grafana-data": ("observability", "grafana", "/var/lib/grafana"),
    "loki-data": ("observability", "loki", "/loki"),
    "seaweedfs-master-data": ("storage", "master", "/data"),
    "seaweedfs-volume-data": ("storage", "volume", "/data"),
    "seaweedfs-filer-data": ("storage", "filer", "/data"),
    "seal-gateway-data": ("seal_gateway", "gateway", "/app/data"),
    "temporal-worker-data": ("temporal", "worker", "/app/data"),
}


def pod_name(pod):
    return "%s-%s" % (PREFIX, pod.replace("_", "-"))


def container_name(pod, container):
    return "%s-%s" % (pod_name(pod), container)


def read_inventory():
    listed = subprocess.run(["ansible-inventory", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--list"],
                            capture_output=True, text=True, check=True).stdout
    return json.loads(listed)


INVENTORY = read_inventory()
HOSTVARS = INVENTORY["_meta"]["hostvars"]
ALL_HOSTS = sorted(HOSTVARS)


def placed_on(pod):
    group = INVENTORY.get("aegis_" + pod, {}).get("hosts") or []
    return group[0] if group else ALL_HOSTS[0]


def host_of(pod):
    return testinfra.get_host("podman://aegistb-" + placed_on(pod))


def address_of(pod):
    """The published address of the pod's host (what other hosts and this test reach)."""
    return HOSTVARS[placed_on(pod)]["aegis_advertise_address"]


def database_port():
    """PostgreSQL's port as the database pod's host sets it (the multinode inventory moves it)."""
    return int(HOSTVARS[placed_on("database")].get("aegis_database_port", 5432))


def target(source, pod):
    """How the source pod reaches the pod: its name on one host, its host's address across hosts."""
    return pod_name(pod) if placed_on(source) == placed_on(pod) else address_of(pod)


def http_json(pod, port, path):
    with urllib.request.urlopen("http://%s:%s%s" % (address_of(pod), port, path), timeout=10) as response:
        return json.load(response)


def exec_python(pod, container, code):
    """Python inside a container (the stand-ins have python3)."""
    result = host_of(pod).run("podman exec %s python3 -c %s", container_name(pod, container), code)
    assert result.rc == 0, result.stderr + result.stdout
    return result.stdout.strip()


def connect_from(pod, container, address, port):
    """A TCP connection from inside the source container (bash /dev/tcp works in every image we run)."""
    result = host_of(pod).run("podman exec %s bash -c %s", container_name(pod, container),
                              "exec 3<>/dev/tcp/%s/%s && echo connected" % (address, port))
    return result.rc == 0 and "connected" in result.stdout


def run_testbed(*args):
    """testbed.py ARGS (reboot, stop, start a host); not named test* so that pytest does not collect it."""
    subprocess.run(["python3", TESTBED, *args], check=True, capture_output=True, text=True)


def site(*extra, playbook="site.yml"):
    """A run of a playbook against the scenario's inventory; returns (rc, plain output, changed per host)."""
    result = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             os.path.join(PROJECT, "playbooks", playbook), *extra],
                            capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_FORCE_COLOR="0"))
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    changed = {host: int(count) for host, count in re.findall(r"(?m)^(\S+)\s+: ok=\d+\s+changed=(\d+)", output)}
    return result.returncode, output, changed


def unhealthy_containers(pods, timeout=0, skip=()):
    """Containers of these pods (but those in skip) that are not healthy, waiting up to timeout seconds for them."""
    deadline = time.time() + timeout
    while True:
        bad = [container_name(pod, c) for pod in pods for c in CONTAINERS[pod] if container_name(pod, c) not in skip
               and host_of(pod).run("podman healthcheck run %s", container_name(pod, c)).rc != 0]
        if not bad or time.time() >= deadline:
            return bad
        time.sleep(5)


def openbao_sealed():
    try:
        urllib.request.urlopen("http://%s:8200/v1/sys/health" % address_of("secrets"), timeout=10)
        return False
    except urllib.error.HTTPError as error:
        return json.load(error)["sealed"]


# --- pods, containers, volumes ------------------------------------------------------------------------------

@pytest.mark.parametrize("pod", PODS)
def test_pod_is_running(pod):
    info = json.loads(host_of(pod).check_output("podman pod inspect %s --format json", pod_name(pod)))
    info = info[0] if isinstance(info, list) else info
    assert info["State"] == "Running"


def test_all_18_containers_are_healthy():
    assert sum(len(c) for c in CONTAINERS.values()) == 18
    assert unhealthy_containers(PODS) == []


@pytest.mark.parametrize("volume", sorted(VOLUMES))
def test_seed_volume_is_mounted_at_its_path(volume):
    pod, container, path = VOLUMES[volume]
    mounts = json.loads(host_of(pod).check_output("podman inspect %s --format json", container_name(pod, container)))[0]["Mounts"]
    assert {"%s-%s" % (PREFIX, volume): path}.items() <= {m.get("Name"): m["Destination"] for m in mounts}.items()


def test_each_host_runs_only_its_pods():
    for host in ALL_HOSTS:
        pods = testinfra.get_host("podman://aegistb-" + host).check_output("podman pod ls --format '{{.Name}}'").split()
        assert sorted(pods) == sorted(pod_name(p) for p in PODS if placed_on(p) == host), host


# --- the thirteen flows of the seed's table -------------------------------------------------------------------

def test_flow_core_to_database_sql():
    assert http_json("core", 8088, "/health/dependencies")["dependencies"]["database"] == "ok"  # real SCRAM login
    assert connect_from("core", "runtime", target("core", "database"), database_port())


def test_flow_core_to_temporal_grpc():
    assert http_json("core", 8088, "/health/dependencies")["dependencies"]["temporal"] == "ok"
    assert connect_from("core", "runtime", target("core", "temporal"), 7233)
    result = host_of("temporal").run("podman exec %s temporal operator cluster health --address 127.0.0.1:7233",
                                     container_name("temporal", "server"))
    assert "SERVING" in result.stdout


def test_flow_core_to_secrets_approle():
    assert http_json("core", 8088, "/health/dependencies")["dependencies"]["openbao"] == "ok"  # real AppRole login
    code = ("import urllib.request,json;print(json.load(urllib.request.urlopen('http://%s:8200/v1/sys/health'))['sealed'])"
            % target("core", "secrets"))
    assert exec_python("core", "runtime", code) == "False"


def test_flow_core_to_iam_jwt():
    assert http_json("core", 8088, "/health/dependencies")["dependencies"]["keycloak"] == "ok"
    code = ("import urllib.request,json;print(len(json.load(urllib.request.urlopen("
            "'http://%s:8180/realms/aegis-system/protocol/openid-connect/certs'))['keys']))" % target("core", "iam"))
    assert int(exec_python("core", "runtime", code)) >= 1


def test_flow_core_to_storage_filer_write_read():
    url = "http://%s:8888/testbed/flow.txt" % target("core", "storage")
    code = ("import urllib.request as u;u.urlopen(u.Request('%s',data=b'from-core',method='PUT'));"
            "print(u.urlopen('%s').read().decode())" % (url, url))
    assert exec_python("core", "runtime", code) == "from-core"


def test_flow_core_to_observability_otlp():
    assert http_json("core", 8088, "/health/dependencies")["dependencies"]["otlp"] == "ok"
    assert connect_from("core", "runtime", target("core", "observability"), 4317)
    code = ("import urllib.request as u,json;print(u.urlopen(u.Request('http://%s:4318/v1/traces',"
            "data=json.dumps({'resourceSpans':[]}).encode(),headers={'Content-Type':'application/json'},"
            "method='POST')).status)" % target("core", "observability"))
    assert exec_python("core", "runtime", code) == "200"


def test_flow_worker_to_core_grpc():
    assert http_json("temporal", 3000, "/health")["dependencies"]["runtime_grpc"] == "ok"
    assert connect_from("temporal", "worker", target("temporal", "core"), 50051)


def test_flow_worker_to_database():
    assert http_json("temporal", 3000, "/health")["dependencies"]["database"] == "ok"
    assert connect_from("temporal", "worker", target("temporal", "database"), database_port())


def test_flow_iam_to_database():
    # Keycloak keeps its realms in the database pod's keycloak database: the realm the bootstrap made is there.
    assert connect_from("iam", "keycloak", target("iam", "database"), database_port())
    result = host_of("database").run("podman exec -u postgres %s psql -p %s -U aegis -d keycloak -tAc %s",
                                     container_name("database", "postgres"), str(database_port()),
                                     "select name from realm order by name")
    assert result.rc == 0, result.stderr
    assert "aegis-system" in result.stdout.split()


def test_flow_promtail_to_loki():
    assert connect_from("observability", "promtail", "localhost", 3100)


def test_promtail_ships_the_containers_logs():
    # On hosts with systemd podman logs to journald unless told otherwise, and Promtail finds no ctr.log to tail.
    query = urllib.parse.urlencode({"query": '{job="podman"}', "limit": 5})
    streams = http_json("observability", 3100, "/loki/api/v1/query_range?" + query)["data"]["result"]
    assert streams, "Loki holds no container log line"


def test_flow_prometheus_scrapes_every_pod():
    targets = http_json("observability", 9090, "/api/v1/targets")["data"]["activeTargets"]
    jobs = {t["labels"]["job"]: t["health"] for t in targets}
    for job in ["postgres-exporter", "seaweedfs-master", "seaweedfs-volume", "seaweedfs-filer", "openbao",
                "aegis-runtime", "temporal", "prometheus"]:
        assert jobs.get(job) == "up", (job, jobs)


def test_flow_grafana_to_its_datasources():
    for port in (9090, 3100, 16686):
        assert connect_from("observability", "grafana", "localhost", port), port


def test_flow_seal_gateway_to_database():
    assert http_json("seal_gateway", 8089, "/health/dependencies")["dependencies"]["database"] == "ok"
    assert connect_from("seal_gateway", "gateway", target("seal_gateway", "database"), database_port())


def test_every_dependency_of_core_is_ok():
    runtime = http_json("core", 8088, "/health/dependencies")["dependencies"]
    assert {k: v for k, v in runtime.items() if v != "ok" and k != "cortex"} == {}


def test_core_host_has_the_approle_env_file_0600():
    env = host_of("core").file("/etc/%s/core/secrets/openbao-approle.env" % PREFIX)
    assert env.mode == 0o600 and env.user == "root"
    lines = env.content_string.splitlines()
    assert lines[0].startswith("OPENBAO_ROLE_ID=") and lines[1].startswith("OPENBAO_SECRET_ID=")


def test_pods_have_boot_units_enabled():
    for pod in PODS:
        unit = "pod-%s.service" % pod_name(pod)
        assert host_of(pod).run("systemctl is-enabled %s", unit).stdout.strip() == "enabled", unit


# --- secrets ---------------------------------------------------------------------------------------------------

# What a program reads only from its environment, so `podman inspect` shows it (the role READMEs list each one):
# container -> names of generated secrets (as generated_secrets() names them).
ENV_ONLY_SECRETS = {
    container_name("core", "runtime"): {"core/seal-private-key.pem", "openbao/approle.json:secret_id"},
    container_name("iam", "keycloak"): {"iam/admin"},
    container_name("temporal", "server"): {"database/temporal"},
}


def generated_secrets():
    """{name: value} of every secret the run generated: the controller's files (a JSON file's values as
    file:key) and the client secrets the iam role handed to OpenBao KV. A PEM key is looked for by a line of it."""
    root = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "secrets")
    found = {}
    for directory, dummy, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            if name.endswith(".json"):
                for key, value in json.loads(text).items():
                    for index, item in enumerate(value if isinstance(value, list) else [value]):
                        found["%s:%s%s" % (relative, key, "[%d]" % index if isinstance(value, list) else "")] = item
            elif name.endswith(".pem"):
                found[relative] = text.splitlines()[1]
            elif not name.endswith(".sha256"):
                found[relative] = text.strip()
    token = found["openbao/init.json:root_token"]
    for client in ("aegis-orchestrator", "aegis-temporal-worker", "aegis-openbao"):
        request = urllib.request.Request("http://%s:8200/v1/secret/data/aegis/keycloak/%s" % (address_of("secrets"), client),
                                         headers={"X-Vault-Token": token})
        with urllib.request.urlopen(request, timeout=10) as response:
            found["kv:aegis/keycloak/%s" % client] = json.load(response)["data"]["data"]["client_secret"]
    return {name: value for name, value in found.items() if isinstance(value, str) and len(value) >= 8}


def test_no_secret_in_podman_inspect_or_ps_but_the_documented_exceptions():
    secrets = generated_secrets()
    assert {"database/aegis", "iam/admin", "openbao/approle.json:secret_id", "kv:aegis/keycloak/aegis-orchestrator"} <= set(secrets)
    shown, in_ps = {}, {}
    for host in ALL_HOSTS:
        machine = testinfra.get_host("podman://aegistb-" + host)
        names = machine.check_output("podman ps -a --format '{{.Names}}'").split()
        for item in json.loads(machine.check_output("podman inspect " + " ".join(names))):
            text = json.dumps(item)
            found = {name for name, value in secrets.items() if value in text}
            if found:
                shown[item["Name"]] = found
        # Every process's command line (a minimal host has no ps).
        processes = machine.check_output("for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done")
        in_ps.update({name: host for name, value in secrets.items() if value in processes})
    assert in_ps == {}
    assert {container: names - ENV_ONLY_SECRETS.get(container, set()) for container, names in shown.items()
            if names - ENV_ONLY_SECRETS.get(container, set())} == {}
