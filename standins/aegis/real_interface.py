"""What the real AEGIS images read, and what makes them refuse to start (STAND-IN, see README.md).

Each mode reads the configuration the real program of release 0.15.0-pre-alpha reads (the sources are named at
each function), exits with the real program's message where it would exit, and returns the settings the
stand-in's listeners and dependency checks use: {listener ports, dependency addresses}.
"""
import os

import yaml


class Refused(SystemExit):
    """The real program would not start: the message is its own (where it has one)."""


class UnknownProgram(SystemExit):
    """The configuration given is not that of exactly one of the three programs."""


# Where each daemon looks for its manifest when no variable names one.
RUNTIME_MANIFESTS = ("/app/aegis-config.yaml", "/etc/aegis/aegis-config.yaml")
GATEWAY_MANIFESTS = ("/app/seal-gateway-config.yaml", "/etc/aegis/seal-gateway-config.yaml")
# What each program reads that the other two do not: variables (a name ending in _ is a prefix) and files (a
# relative one is in the working directory). The two daemons are told by their manifests; the worker has none.
DAEMON_INPUTS = {
    "runtime": (("AEGIS_CONFIG_PATH", "AEGIS_SEAL_PRIVATE_KEY"), RUNTIME_MANIFESTS),
    "seal-gateway": (("SEAL_GATEWAY_",), GATEWAY_MANIFESTS),
}
WORKER_INPUTS = (("DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "AEGIS_RUNTIME_GRPC_URL",
                  "HTTP_PORT", "HTTP_HOST", "LOG_LEVEL"), (".env",))


def _given(inputs, env):
    """The variables and files of `inputs` this container is given."""
    names, files = inputs
    found = sorted(key for key in env if any(key == name or (name.endswith("_") and key.startswith(name))
                                             for name in names))
    return found + [path for path in files if os.path.exists(os.path.join(os.getcwd(), path))]


def program(env):
    """Which program this container stands in for, told by what the pod gives it (the real programs' own
    configuration), and what told it: (program, [variables and files])."""
    daemons = {name: given for name, given in ((name, _given(inputs, env)) for name, inputs in DAEMON_INPUTS.items())
               if given}
    if len(daemons) > 1:
        raise UnknownProgram("given the configuration of more than one AEGIS program (%s): a container runs one"
                             % "; ".join("aegis-%s: %s" % (name, ", ".join(given)) for name, given in daemons.items()))
    if daemons:
        return next(iter(daemons.items()))
    worker = _given(WORKER_INPUTS, env)
    if worker:
        return "temporal-worker", worker
    raise UnknownProgram(
        "cannot tell which AEGIS program to stand in for: none of their configurations is given (aegis-runtime: "
        "AEGIS_CONFIG_PATH or %s; aegis-seal-gateway: SEAL_GATEWAY_* or %s; aegis-temporal-worker: DATABASE_URL "
        "or ./.env)" % (" or ".join(RUNTIME_MANIFESTS), " or ".join(GATEWAY_MANIFESTS)))


def _resolve(value, env, name):
    """`env:NAME` references (aegis-orchestrator orchestrator/core/src/domain/node_config.rs resolve_env_value)."""
    if isinstance(value, str) and value.startswith("env:"):
        variable = value[4:]
        if variable not in env:
            raise Refused("Environment variable '%s' not set (referenced via 'env:%s' in config)" % (variable, variable))
        return env[variable]
    if value is None:
        raise Refused("missing field `%s`" % name)
    return value


def load_manifest(path, api_version, kind):
    """A config manifest: apiVersion, kind, metadata.name and spec, as both AEGIS daemons require them."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        raise Refused('Failed to search/load config at "%s": %s' % (path, exc.strerror)) from None
    except yaml.YAMLError as exc:
        raise Refused('Failed to search/load config at "%s": %s' % (path, exc)) from None
    if not isinstance(document, dict):
        raise Refused('Failed to search/load config at "%s": invalid type: expected struct' % path)
    for field in ("apiVersion", "kind", "metadata", "spec"):
        if field not in document:
            raise Refused('Failed to search/load config at "%s": missing field `%s`' % (path, field))
    if document["apiVersion"] != api_version:
        raise Refused("Invalid apiVersion: '%s'. Must be '%s'" % (document["apiVersion"], api_version))
    if document["kind"] != kind:
        raise Refused("Invalid kind: '%s'. Must be '%s'" % (document["kind"], kind))
    if not (document["metadata"] or {}).get("name"):
        raise Refused("metadata.name cannot be empty")
    return document["spec"] or {}


def _port(address, default):
    """The port of `host:port` (binds and addresses)."""
    return int(str(address or "").rsplit(":", 1)[-1]) if address else default


def runtime(env):
    """aegis-runtime: cli/src/main.rs (AEGIS_CONFIG_PATH), node_config.rs (the NodeConfig manifest),
    cli/src/daemon/server.rs (AEGIS_SEAL_PRIVATE_KEY, storage and database required, NFS always served)."""
    path = env.get("AEGIS_CONFIG_PATH") or next((p for p in RUNTIME_MANIFESTS if os.path.exists(p)), None)
    if not path:
        raise Refused("Storage configuration not found in node config")  # the built-in defaults have no storage
    spec = load_manifest(path, "100monkeys.ai/v1", "NodeConfig")
    node = spec.get("node") or {}
    if not node.get("id"):
        raise Refused("spec.node.id cannot be empty")
    if node.get("type") not in ("edge", "orchestrator", "hybrid"):
        raise Refused("unknown variant `%s`, expected one of `edge`, `orchestrator`, `hybrid`" % node.get("type"))
    key = env.get("AEGIS_SEAL_PRIVATE_KEY", "")
    if not key.strip():
        raise Refused("SEAL private key not configured: set AEGIS_SEAL_PRIVATE_KEY (PEM-encoded RSA private key; "
                      "see ADR-034/ADR-035)")
    if "\\n" in key and "\n" not in key:
        key = key.replace("\\n", "\n")
    storage = spec.get("storage")
    if not storage:
        raise Refused("Storage configuration not found in node config")
    database = spec.get("database")
    if not database:
        raise Refused("Database connection required for volume management")
    network = spec.get("network") or {}
    metrics = (spec.get("observability") or {}).get("metrics") or {}
    runtime_spec = spec.get("runtime") or {}
    registry = runtime_spec.get("runtime_registry_path") or "runtime-registry.yaml"
    registry = registry if os.path.isabs(registry) else os.path.join("/app", registry)
    if not os.path.exists(registry):
        raise Refused("Failed to load StandardRuntime registry from '%s'" % registry)
    load_manifest(registry, "aegis.ai/v1", "RuntimeRegistry")
    settings = {
        "ports": {"http": int(network.get("port", env.get("AEGIS_PORT") or 8088)),
                  "grpc": int(network.get("grpc_port", 50051)),
                  "nfs": int(storage.get("nfs_port") or 2049),
                  "metrics": int(metrics.get("port", 9091)) if metrics and metrics.get("enabled", True) else None},
        "DATABASE_URL": _resolve(database.get("url"), env, "url"),
        "SEAL_KEY_PEM": key,
        "CONFIG_FILES": [path, registry],
    }
    if storage.get("backend", "local_host") == "seaweedfs":
        settings["AEGIS_STORAGE_URL"] = _resolve((storage.get("seaweedfs") or {}).get("filer_url"), env, "filer_url")
    else:
        mount_point = (storage.get("local_host") or {}).get("mount_point") or "/var/lib/aegis/local-host-volumes"
        try:
            os.makedirs(mount_point, exist_ok=True)
        except OSError as exc:
            raise Refused("Failed to create local host storage mount point %s: %s" % (mount_point, exc.strerror)) from None
    if spec.get("temporal"):
        settings["TEMPORAL_ADDRESS"] = _resolve(spec["temporal"].get("address", "temporal:7233"), env, "address")
    backend = (spec.get("secrets") or {}).get("backend")
    if backend:
        approle = backend.get("approle") or {}
        settings.update(OPENBAO_ADDR=backend.get("address"), OPENBAO_ROLE_ID=_resolve(approle.get("role_id"), env, "role_id"),
                        OPENBAO_SECRET_ID=env.get(approle.get("secret_id_env_var") or "OPENBAO_SECRET_ID", ""))
    realms = (spec.get("iam") or {}).get("realms") or []
    if realms:
        issuer = _resolve(realms[0].get("issuer_url"), env, "issuer_url")
        settings.update(KEYCLOAK_URL=issuer.split("/realms/")[0], KEYCLOAK_REALM=realms[0].get("slug"))
    tracing = (spec.get("observability") or {}).get("tracing") or {}
    if tracing.get("enabled") and tracing.get("otlp_endpoint"):
        settings["AEGIS_OTLP_ENDPOINT"] = _resolve(tracing["otlp_endpoint"], env, "otlp_endpoint")
    if (spec.get("cortex") or {}).get("grpc_url"):
        settings["CORTEX_GRPC_URL"] = spec["cortex"]["grpc_url"]
    return settings


def _gateway_value(value, env):
    """The gateway's `env:` references (config_manifest.rs resolve_env_string): an unset variable leaves ''."""
    if isinstance(value, str) and value.startswith("env:"):
        return env.get(value[4:], "")
    return value


def _gateway_override(env, name, current):
    """apply_env_overrides: a set, non-blank SEAL_GATEWAY_* variable wins over the manifest."""
    value = env.get(name, "")
    return value if value.strip() else current


def seal_gateway(env):
    """aegis-seal-gateway: src/domain/config_manifest.rs (the SealGatewayConfig manifest found at
    SEAL_GATEWAY_CONFIG_PATH, ./seal-gateway-config.yaml or /etc/aegis; then the SEAL_GATEWAY_* overrides; then
    validate()), src/infrastructure/persistence/sqlite.rs (a postgres:// URL selects PostgreSQL)."""
    path = next((p for p in (env.get("SEAL_GATEWAY_CONFIG_PATH"),) + GATEWAY_MANIFESTS if p and os.path.exists(p)), None)
    spec = load_manifest(path, "seal.100monkeys.ai/v1", "SealGatewayConfig") if path else {}
    database = _gateway_override(env, "SEAL_GATEWAY_DB", _gateway_value(
        (spec.get("database") or {}).get("url", "sqlite://gateway.db"), env))
    auth = spec.get("auth") or {}
    disabled = env["SEAL_GATEWAY_AUTH_DISABLED"].lower() == "true" if "SEAL_GATEWAY_AUTH_DISABLED" in env \
        else bool(auth.get("disabled"))
    jwks = env["SEAL_GATEWAY_OPERATOR_JWKS_URI"] if "SEAL_GATEWAY_OPERATOR_JWKS_URI" in env \
        else _gateway_value(auth.get("operator_jwks_uri", ""), env)
    if not (database or "").strip():
        raise Refused("spec.database.url cannot be empty")
    if not disabled and not jwks.strip():
        raise Refused("spec.auth.operator_jwks_uri is required when auth is enabled")
    settings = {"ports": {"http": _port(env.get("SEAL_GATEWAY_BIND"), 8089),
                          "grpc": _port(env.get("SEAL_GATEWAY_GRPC_BIND"), 50055)},
                "UI_ENABLED": env.get("SEAL_GATEWAY_UI_ENABLED") != "false"}
    if database.startswith(("postgres://", "postgresql://")):
        settings["DATABASE_URL"] = database
    else:
        file = database[len("sqlite://"):] if database.startswith("sqlite://") else database
        file = file if os.path.isabs(file) else os.path.join("/app", file)
        os.makedirs(os.path.dirname(file), exist_ok=True)
        open(file, "a").close()
        settings["SQLITE_FILE"] = file
    return settings


LOG_LEVELS = ("trace", "debug", "info", "warn", "error")


def dotenv(path, env):
    """The environment after dotenv's config() (dotenv 17, lib/main.js): KEY=VALUE lines of the file (quotes
    stripped, `#` comments), where the environment does not already set KEY (override is off)."""
    merged = dict(env)
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return merged  # dotenv goes on without a file
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key, value = key.strip().removeprefix("export ").strip(), value.strip()
        if value[:1] in "'\"`" and len(value) > 1 and value[-1] == value[0]:
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        merged.setdefault(key, value)
    return merged


def temporal_worker(env):
    """aegis-temporal-worker: src/config.ts (dotenv.config() reads ./.env, /app/.env in the image, without
    overriding the environment; zod: DATABASE_URL required, HTTP_PORT, LOG_LEVEL enum)."""
    env = dotenv(os.path.join(os.getcwd(), ".env"), env)
    if not env.get("DATABASE_URL"):
        raise Refused("Invalid configuration: DATABASE_URL: Required")
    level = env.get("LOG_LEVEL") or "info"
    if level not in LOG_LEVELS:
        raise Refused("Invalid configuration: LOG_LEVEL: Invalid enum value. Expected %s, received '%s'"
                      % (" | ".join("'%s'" % item for item in LOG_LEVELS), level))
    grpc = env.get("AEGIS_RUNTIME_GRPC_URL") or "localhost:50051"
    return {"ports": {"http": int(env.get("HTTP_PORT") or 3000)},
            "DATABASE_URL": env["DATABASE_URL"], "TEMPORAL_ADDRESS": env.get("TEMPORAL_ADDRESS") or "localhost:7233",
            # A host:port target for @grpc/grpc-js; a URL with a scheme is no address for it.
            "AEGIS_RUNTIME_GRPC_URL": grpc}


READERS = {"runtime": runtime, "seal-gateway": seal_gateway, "temporal-worker": temporal_worker}
