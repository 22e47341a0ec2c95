from ansible_collections.aegis.platform.plugins.filter.addresses import pod_addresses, pods_on_host, unplaced_pods

GROUPS = {"aegis_database": ["db1"], "aegis_core": ["app1"], "all": ["db1", "app1"]}
HOSTVARS = {"db1": {"ansible_host": "10.0.0.5"}, "app1": {"aegis_advertise_address": "app1.example", "ansible_host": "10.0.0.6"}}


def test_single_host_uses_pod_names_on_the_network():
    addresses = pod_addresses("aegis", {"all": ["h"]}, {"h": {}}, "h")
    assert addresses["database"] == "aegis-database"
    assert addresses["seal_gateway"] == "aegis-seal-gateway"


def test_pod_on_another_host_is_reached_at_that_hosts_address():
    from_app = pod_addresses("aegis", GROUPS, HOSTVARS, "app1")
    assert from_app["database"] == "10.0.0.5"
    assert from_app["core"] == "aegis-core"
    from_db = pod_addresses("aegis", GROUPS, HOSTVARS, "db1")
    assert from_db["core"] == "app1.example"
    assert from_db["database"] == "aegis-database"


def test_host_side_addresses_use_the_bind_address_or_loopback():
    assert pod_addresses("aegis", GROUPS, HOSTVARS, "db1", "0.0.0.0")["database"] == "127.0.0.1"
    assert pod_addresses("aegis", GROUPS, HOSTVARS, "db1", "127.0.0.2")["database"] == "127.0.0.2"
    assert pod_addresses("aegis", GROUPS, HOSTVARS, "db1", "127.0.0.2")["core"] == "app1.example"


def test_each_host_runs_the_pods_its_groups_place_there():
    profile = ["database", "secrets", "core"]
    assert pods_on_host(profile, GROUPS, "db1") == ["database", "secrets"]
    assert pods_on_host(profile, GROUPS, "app1") == ["secrets", "core"]
    assert pods_on_host(profile, {"all": ["h"]}, "h") == profile


def test_unplaced_pods_are_those_without_exactly_one_host():
    groups = {"aegis_database": ["db1"], "aegis_core": ["a", "b"]}
    assert unplaced_pods(["database", "core", "secrets"], groups) == ["core", "secrets"]
