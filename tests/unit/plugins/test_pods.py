import pathlib

import yaml

from ansible_collections.aegis.platform.plugins.filter.pods import (
    endpoint_variables, pod_addresses, pod_dependants, pod_endpoints, pods_on_host, unplaced_pods)

ROOT = pathlib.Path(__file__).resolve().parents[3]
REGISTRY = yaml.safe_load((ROOT / "roles/common/vars/main.yml").read_text())["__aegis_pods"]
PORTS = yaml.safe_load((ROOT / "roles/common/defaults/main/ports.yml").read_text())
GROUPS = {"aegis_database": ["db1"], "aegis_core": ["app1"], "all": ["db1", "app1"]}
HOSTVARS = {"db1": {"ansible_host": "10.0.0.5"}, "app1": {"aegis_advertise_address": "app1.example", "ansible_host": "10.0.0.6"}}


def test_single_host_uses_pod_names_on_the_network():
    addresses = pod_addresses(REGISTRY, "aegis", {"all": ["h"]}, {"h": {}}, "h")
    assert addresses["database"] == "aegis-database"
    assert addresses["seal_gateway"] == "aegis-seal-gateway"


def test_pod_on_another_host_is_reached_at_that_hosts_address():
    from_app = pod_addresses(REGISTRY, "aegis", GROUPS, HOSTVARS, "app1")
    assert from_app["database"] == "10.0.0.5"
    assert from_app["core"] == "aegis-core"
    from_db = pod_addresses(REGISTRY, "aegis", GROUPS, HOSTVARS, "db1")
    assert from_db["core"] == "app1.example"
    assert from_db["database"] == "aegis-database"


def test_host_side_addresses_use_the_bind_address_or_loopback():
    assert pod_addresses(REGISTRY, "aegis", GROUPS, HOSTVARS, "db1", "0.0.0.0")["database"] == "127.0.0.1"
    assert pod_addresses(REGISTRY, "aegis", GROUPS, HOSTVARS, "db1", "127.0.0.2")["database"] == "127.0.0.2"
    assert pod_addresses(REGISTRY, "aegis", GROUPS, HOSTVARS, "db1", "127.0.0.2")["core"] == "app1.example"


def test_every_endpoint_names_a_port_variable_with_a_default():
    assert set(endpoint_variables(REGISTRY)) <= set(PORTS)


def test_endpoints_follow_the_port_variables():
    ports = dict(PORTS, aegis_database_port=15432)
    here = pod_endpoints(REGISTRY, "aegis", {"all": ["h"]}, {"h": {}}, "h", ports)
    assert here["database"]["postgres"] == {"host": "aegis-database", "port": 15432, "address": "aegis-database:15432"}
    assert here["secrets"]["api"]["address"] == "aegis-secrets:8200"


def test_another_hosts_pod_is_reached_on_its_published_port_as_that_host_sets_it():
    hostvars = {"db1": {"ansible_host": "10.0.0.5", "aegis_database_port": "15432"}, "app1": {}}
    from_app = pod_endpoints(REGISTRY, "aegis", GROUPS, hostvars, "app1", PORTS)
    assert from_app["database"]["postgres"]["address"] == "10.0.0.5:15432"
    assert from_app["core"]["http"]["address"] == "aegis-core:8088"


def test_containers_use_the_port_inside_the_pod_tasks_the_published_one():
    single = ({"all": ["h"]}, {"h": {}}, "h")
    inside = pod_endpoints(REGISTRY, "aegis", *single, PORTS)["observability"]["grafana"]
    published = pod_endpoints(REGISTRY, "aegis", *single, PORTS, "127.0.0.2")["observability"]["grafana"]
    assert inside["address"] == "aegis-observability:3000"
    assert published["address"] == "127.0.0.2:3300"


def test_dependants_are_the_pods_that_use_a_pod():
    assert pod_dependants(["database"], REGISTRY) == ["iam", "temporal", "core", "seal_gateway"]
    assert pod_dependants(["core"], REGISTRY) == ["temporal"]
    assert pod_dependants(["seal_gateway"], REGISTRY) == []


def test_each_host_runs_the_pods_its_groups_place_there():
    profile = ["database", "secrets", "core"]
    assert pods_on_host(profile, GROUPS, "db1") == ["database", "secrets"]
    assert pods_on_host(profile, GROUPS, "app1") == ["secrets", "core"]
    assert pods_on_host(profile, {"all": ["h"]}, "h") == profile


def test_unplaced_pods_are_those_without_exactly_one_host():
    groups = {"aegis_database": ["db1"], "aegis_core": ["a", "b"]}
    assert unplaced_pods(["database", "core", "secrets"], groups) == ["core", "secrets"]
