"""The AEGIS stand-in reads what the real images of release 0.15.0-pre-alpha read and refuses what they refuse.
Sources (tag 0.15.0-pre-alpha): 100monkeys-ai/aegis-orchestrator orchestrator/core/src/domain/node_config.rs,
cli/src/daemon/server.rs; 100monkeys-ai/aegis-seal-gateway src/infrastructure/config.rs; aegis-temporal-worker
src/config.ts."""
import pytest
import yaml

import real_interface as ri

REGISTRY = {"apiVersion": "aegis.ai/v1", "kind": "RuntimeRegistry", "metadata": {"name": "r"},
            "spec": {"registry_url": "docker.io", "runtimes": {}}}


def node_config(tmp_path, **spec):
    registry = tmp_path / "runtime-registry.yaml"
    registry.write_text(yaml.safe_dump(REGISTRY))
    document = {"apiVersion": "100monkeys.ai/v1", "kind": "NodeConfig", "metadata": {"name": "aegis-core"},
                "spec": dict({"node": {"id": "n1", "type": "orchestrator"},
                              "runtime": {"runtime_registry_path": str(registry)},
                              "database": {"url": "env:AEGIS_DATABASE_URL"},
                              "storage": {"backend": "local_host", "local_host": {"mount_point": str(tmp_path / "v")}}},
                             **spec)}
    path = tmp_path / "aegis-config.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


ENV = {"AEGIS_SEAL_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\\nAAAA\\n-----END RSA PRIVATE KEY-----",
       "AEGIS_DATABASE_URL": "postgres://aegis:pw@db:5432/aegis"}


def test_runtime_reads_the_node_manifest_and_the_real_variables(tmp_path):
    path = node_config(tmp_path, network={"port": 18088, "grpc_port": 15051},
                       secrets={"backend": {"address": "http://bao:8200", "approle": {"role_id": "env:OPENBAO_ROLE_ID"}}},
                       temporal={"address": "temporal:7233"})
    settings = ri.runtime(dict(ENV, AEGIS_CONFIG_PATH=path, OPENBAO_ROLE_ID="rid", OPENBAO_SECRET_ID="sid"))
    assert settings["ports"] == {"http": 18088, "grpc": 15051, "nfs": 2049, "metrics": None}
    assert settings["DATABASE_URL"] == ENV["AEGIS_DATABASE_URL"]
    assert settings["SEAL_KEY_PEM"].count("\n") == 2  # a one-line key with literal \n is unfolded
    assert (settings["OPENBAO_ROLE_ID"], settings["OPENBAO_SECRET_ID"], settings["TEMPORAL_ADDRESS"]) == \
        ("rid", "sid", "temporal:7233")


def test_runtime_refuses_a_flat_config_file(tmp_path):
    flat = tmp_path / "flat.yaml"
    flat.write_text(yaml.safe_dump({"server": {"http_port": 8088}, "dependencies": {}}))
    with pytest.raises(ri.Refused, match="missing field `apiVersion`"):
        ri.runtime(dict(ENV, AEGIS_CONFIG_PATH=str(flat)))


@pytest.mark.parametrize("change, message", [
    ({"AEGIS_SEAL_PRIVATE_KEY": ""}, "SEAL private key not configured: set AEGIS_SEAL_PRIVATE_KEY"),
    ({"AEGIS_DATABASE_URL": None}, "Environment variable 'AEGIS_DATABASE_URL' not set"),
])
def test_runtime_refuses_without_its_secrets(tmp_path, change, message):
    env = dict(ENV, AEGIS_CONFIG_PATH=node_config(tmp_path))
    env.update(change)
    env = {key: value for key, value in env.items() if value is not None}
    with pytest.raises(ri.Refused, match=message):
        ri.runtime(env)


def test_runtime_refuses_without_storage_database_or_registry(tmp_path):
    for spec, message in (({"storage": None}, "Storage configuration not found"),
                          ({"database": None}, "Database connection required"),
                          ({"runtime": {"runtime_registry_path": str(tmp_path / "none.yaml")}},
                           "Failed to load StandardRuntime registry")):
        with pytest.raises(ri.Refused, match=message):
            ri.runtime(dict(ENV, AEGIS_CONFIG_PATH=node_config(tmp_path, **spec)))


def test_seal_gateway_reads_its_binds_and_database(tmp_path):
    settings = ri.seal_gateway({"SEAL_GATEWAY_BIND": "0.0.0.0:18089", "SEAL_GATEWAY_GRPC_BIND": "0.0.0.0:15055",
                                "SEAL_GATEWAY_DB": "postgres://g:pw@db:5432/seal_gateway",
                                "SEAL_GATEWAY_AUTH_DISABLED": "true"})
    assert settings["ports"] == {"http": 18089, "grpc": 15055}
    assert settings["DATABASE_URL"] == "postgres://g:pw@db:5432/seal_gateway"
    sqlite = ri.seal_gateway({"SEAL_GATEWAY_AUTH_DISABLED": "true", "SEAL_GATEWAY_DB": "sqlite://%s/g.db" % tmp_path})
    assert sqlite["SQLITE_FILE"] == "%s/g.db" % tmp_path and (tmp_path / "g.db").exists()


def test_seal_gateway_refuses_auth_without_jwks_and_a_foreign_manifest(tmp_path):
    with pytest.raises(ri.Refused, match="operator_jwks_uri is required when auth is enabled"):
        ri.seal_gateway({})
    manifest = tmp_path / "seal-gateway-config.yaml"
    manifest.write_text(yaml.safe_dump({"apiVersion": "100monkeys.ai/v1", "kind": "SealGatewayConfig",
                                        "metadata": {"name": "g"}, "spec": {}}))
    with pytest.raises(ri.Refused, match="Must be 'seal.100monkeys.ai/v1'"):
        ri.seal_gateway({"SEAL_GATEWAY_CONFIG_PATH": str(manifest), "SEAL_GATEWAY_AUTH_DISABLED": "true"})


def test_temporal_worker_reads_http_port_and_log_level():
    settings = ri.temporal_worker({"DATABASE_URL": "postgres://w:pw@db/w", "HTTP_PORT": "13000", "LOG_LEVEL": "warn"})
    assert settings["ports"] == {"http": 13000}
    with pytest.raises(ri.Refused, match="DATABASE_URL: Required"):
        ri.temporal_worker({})
    with pytest.raises(ri.Refused, match="LOG_LEVEL: Invalid enum value"):
        ri.temporal_worker({"DATABASE_URL": "postgres://w:pw@db/w", "LOG_LEVEL": "warning"})


def gateway_manifest(tmp_path, **spec):
    path = tmp_path / "seal-gateway-config.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "seal.100monkeys.ai/v1", "kind": "SealGatewayConfig",
                                    "metadata": {"name": "g"}, "spec": spec}))
    return str(path)


def test_seal_gateway_takes_its_database_from_the_manifest_unless_the_environment_overrides_it(tmp_path):
    path = gateway_manifest(tmp_path, database={"url": "postgres://g:pw@db:5432/seal_gateway"})
    env = {"SEAL_GATEWAY_CONFIG_PATH": path, "SEAL_GATEWAY_AUTH_DISABLED": "true"}
    assert ri.seal_gateway(env)["DATABASE_URL"] == "postgres://g:pw@db:5432/seal_gateway"
    override = dict(env, SEAL_GATEWAY_DB="postgres://o:pw@other:5432/o")
    assert ri.seal_gateway(override)["DATABASE_URL"] == "postgres://o:pw@other:5432/o"
    unset_reference = gateway_manifest(tmp_path, database={"url": "env:NOT_SET"})
    with pytest.raises(ri.Refused, match="spec.database.url cannot be empty"):
        ri.seal_gateway(dict(env, SEAL_GATEWAY_CONFIG_PATH=unset_reference))


def test_temporal_worker_reads_its_dotenv_file_without_overriding_the_environment(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("# written by the role\nDATABASE_URL='postgres://w:p%23w@db:5432/w'\nLOG_LEVEL=debug\n")
    monkeypatch.chdir(tmp_path)
    settings = ri.temporal_worker({"LOG_LEVEL": "warn"})
    assert settings["DATABASE_URL"] == "postgres://w:p%23w@db:5432/w"
    with pytest.raises(ri.Refused, match="LOG_LEVEL: Invalid enum value"):
        ri.temporal_worker({"LOG_LEVEL": "warning"})  # the environment wins over the file
