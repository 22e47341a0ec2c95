#!/bin/bash
# Entrypoint of the local Temporal image. It does what temporalio/auto-setup 1.23.0 does on PostgreSQL, read from
# the same environment: wait for the database, create or upgrade the temporal and visibility schemas, write the
# server's config (auto-setup's config_template.yaml, PostgreSQL part), start the server and register the
# default namespace. Settings auto-setup offers beyond that are refused by name rather than ignored.
set -euo pipefail

fail() { echo "auto_setup.sh: $*" >&2; exit 1; }

case "${DB:-}" in
  postgres12|postgres12_pgx) ;;
  *) fail "DB=${DB:-(unset)}: this image runs Temporal on PostgreSQL 12+ only (DB=postgres12 or postgres12_pgx)" ;;
esac
for name in ENABLE_ES SQL_TLS_ENABLED USE_INTERNAL_FRONTEND TEMPORAL_AUTH_AUTHORIZER STATSD_ENDPOINT \
            VISIBILITY_POSTGRES_SEEDS VISIBILITY_DB_PORT VISIBILITY_POSTGRES_USER VISIBILITY_POSTGRES_PWD; do
  value=${!name:-}
  if [ -n "$value" ] && [ "$value" != false ]; then fail "$name is not supported by this image"; fi
done
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must name the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER must be set}"
POSTGRES_PWD=${POSTGRES_PWD:-}
DB_PORT=${DB_PORT:-5432}
DBNAME=${DBNAME:-temporal}
VISIBILITY_DBNAME=${VISIBILITY_DBNAME:-temporal_visibility}
SKIP_SCHEMA_SETUP=${SKIP_SCHEMA_SETUP:-false}
SKIP_DB_CREATE=${SKIP_DB_CREATE:-false}
SKIP_DEFAULT_NAMESPACE_CREATION=${SKIP_DEFAULT_NAMESPACE_CREATION:-false}
DEFAULT_NAMESPACE=${DEFAULT_NAMESPACE:-default}
DEFAULT_NAMESPACE_RETENTION=${DEFAULT_NAMESPACE_RETENTION:-24h}
BIND_ON_IP=${BIND_ON_IP:-127.0.0.1}
FRONTEND_GRPC_PORT=${FRONTEND_GRPC_PORT:-7233}
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

until (exec 3<>"/dev/tcp/${POSTGRES_SEEDS}/${DB_PORT}") 2>/dev/null; do
  echo "auto_setup.sh: waiting for PostgreSQL at ${POSTGRES_SEEDS}:${DB_PORT}" >&2
  sleep 1
done

# The password reaches the tool through its environment (SQL_PASSWORD), never its command line.
sql_tool() {
  SQL_PLUGIN=$DB SQL_HOST=$POSTGRES_SEEDS SQL_PORT=$DB_PORT SQL_USER=$POSTGRES_USER SQL_PASSWORD=$POSTGRES_PWD \
    temporal-sql-tool --db "$1" "${@:2}"
}

setup_schema() {  # database, schema directory
  # As auto-setup: a database named like its user is PostgreSQL's own to create.
  if [ "$1" != "$POSTGRES_USER" ] && [ "$SKIP_DB_CREATE" != true ]; then sql_tool "$1" create-database; fi
  sql_tool "$1" setup-schema -v 0.0
  sql_tool "$1" update-schema -d "$2/versioned"
}

if [ "$SKIP_SCHEMA_SETUP" != true ]; then
  setup_schema "$DBNAME" "$SCHEMA_DIR/temporal"
  setup_schema "$VISIBILITY_DBNAME" "$SCHEMA_DIR/visibility"
fi

yaml_quote() { local value=${1//\\/\\\\}; printf '"%s"' "${value//\"/\\\"}"; }

datastore() {  # database name, connections
  cat <<YAML
            sql:
                pluginName: "$DB"
                databaseName: $(yaml_quote "$1")
                connectAddr: $(yaml_quote "$POSTGRES_SEEDS:$DB_PORT")
                connectProtocol: tcp
                user: $(yaml_quote "$POSTGRES_USER")
                password: $(yaml_quote "$POSTGRES_PWD")
                maxConns: $2
                maxIdleConns: $2
                maxConnLifetime: 1h
YAML
}

service() {  # name, gRPC port, membership port
  printf '    %s:\n        rpc:\n            grpcPort: %s\n            membershipPort: %s\n            bindOnIP: %s\n' \
    "$1" "$2" "$3" "$BIND_ON_IP"
}

umask 077
{
  cat <<YAML
log:
    stdout: true
    level: ${LOG_LEVEL:-info}
persistence:
    numHistoryShards: ${NUM_HISTORY_SHARDS:-4}
    defaultStore: default
    visibilityStore: visibility
    datastores:
        default:
$(datastore "$DBNAME" "${SQL_MAX_CONNS:-20}")
        visibility:
$(datastore "$VISIBILITY_DBNAME" "${SQL_VIS_MAX_CONNS:-10}")
global:
    membership:
        maxJoinDuration: 30s
        broadcastAddress: $(yaml_quote "${TEMPORAL_BROADCAST_ADDRESS:-}")
    pprof:
        port: ${PPROF_PORT:-0}
YAML
  if [ -n "${PROMETHEUS_ENDPOINT:-}" ]; then
    printf '    metrics:\n        prometheus:\n            timerType: %s\n            listenAddress: %s\n' \
      "${PROMETHEUS_TIMER_TYPE:-histogram}" "$(yaml_quote "$PROMETHEUS_ENDPOINT")"
  fi
  echo "services:"
  printf '    frontend:\n        rpc:\n            grpcPort: %s\n            membershipPort: %s\n            bindOnIP: %s\n            httpPort: %s\n' \
    "$FRONTEND_GRPC_PORT" "${FRONTEND_MEMBERSHIP_PORT:-6933}" "$BIND_ON_IP" "${FRONTEND_HTTP_PORT:-7243}"
  service matching "${MATCHING_GRPC_PORT:-7235}" "${MATCHING_MEMBERSHIP_PORT:-6935}"
  service history "${HISTORY_GRPC_PORT:-7234}" "${HISTORY_MEMBERSHIP_PORT:-6934}"
  service worker "${WORKER_GRPC_PORT:-7239}" "${WORKER_MEMBERSHIP_PORT:-6939}"
  cat <<YAML
clusterMetadata:
    enableGlobalNamespace: false
    failoverVersionIncrement: 10
    masterClusterName: active
    currentClusterName: active
    clusterInformation:
        active:
            enabled: true
            initialFailoverVersion: 1
            rpcName: frontend
            rpcAddress: "127.0.0.1:$FRONTEND_GRPC_PORT"
dcRedirectionPolicy:
    policy: noop
dynamicConfigClient:
    filepath: $(yaml_quote "${DYNAMIC_CONFIG_FILE_PATH:-/etc/temporal/config/dynamicconfig/docker.yaml}")
    pollInterval: 60s
YAML
} > /etc/temporal/config/docker.yaml

address=$([ "$BIND_ON_IP" = 0.0.0.0 ] && echo 127.0.0.1 || echo "$BIND_ON_IP"):$FRONTEND_GRPC_PORT
register_namespace() {
  until temporal operator cluster health --address "$address" >/dev/null 2>&1; do sleep 1; done
  temporal operator namespace describe --namespace "$DEFAULT_NAMESPACE" --address "$address" >/dev/null 2>&1 \
    || temporal operator namespace create --namespace "$DEFAULT_NAMESPACE" --retention "$DEFAULT_NAMESPACE_RETENTION" \
         --description "Default namespace for Temporal Server." --address "$address"
}
if [ "$SKIP_DEFAULT_NAMESPACE_CREATION" != true ]; then register_namespace & fi

exec temporal-server --root /etc/temporal --config config --env docker start
