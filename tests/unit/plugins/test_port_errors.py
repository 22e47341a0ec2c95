from ansible_collections.aegis.platform.plugins.filter.ports import port_errors


def test_valid_ports_including_numeric_strings_from_extra_vars():
    assert port_errors({"a_port": 5432, "b_port": "9187"}) == []


def test_out_of_range_and_non_numeric_ports_name_the_variable():
    errors = port_errors({"a_port": 70000, "b_port": "x", "c_port": 0})
    assert [error.split()[0] for error in errors] == ["a_port", "b_port", "c_port"]


def test_collisions_name_every_variable_and_the_pod():
    errors = port_errors({"loki_grpc_port": 9095, "promtail_grpc_port": "9095", "other": 1}, pod="aegis-observability")
    assert errors == ["loki_grpc_port and promtail_grpc_port all claim port 9095, but the containers of "
                      "aegis-observability share one network namespace"]


def test_published_ports_clash_as_host_ports_and_strings_count_as_numbers():
    errors = port_errors({"grafana_port": "3000", "loki_port": 3000, "ok_port": "3100"}, pod="aegis-observability",
                         published=True)
    assert errors == ["grafana_port and loki_port all publish host port 3000, but aegis-observability can publish "
                      "each host port once on aegis_bind_address"]
