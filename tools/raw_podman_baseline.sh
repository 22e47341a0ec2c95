#!/usr/bin/env bash
# Baseline for `make bench`: the database pod created with plain podman commands, waited to healthy.
set -euo pipefail
prefix=$1
address=$2
secrets=$(mktemp -d)
trap 'rm -rf "$secrets"' EXIT
head -c 24 /dev/urandom | base64 > "$secrets/pw"
podman network exists "$prefix-network" || podman network create "$prefix-network" >/dev/null
podman pod create --name "$prefix-database" --network "$prefix-network" -p "$address:5432:5432" -p "$address:9187:9187" >/dev/null
podman create --name "$prefix-database-postgres" --pod "$prefix-database" --restart always \
  -e POSTGRES_USER=aegis -e POSTGRES_PASSWORD_FILE=/run/secrets/pw -v "$secrets/pw:/run/secrets/pw:ro" \
  -v "$prefix-postgres-data:/var/lib/postgresql/data" --health-cmd '["pg_isready","-U","aegis","-h","127.0.0.1"]' \
  localhost/aegis-postgres:15 postgres -c password_encryption=scram-sha-256 >/dev/null
podman create --name "$prefix-database-exporter" --pod "$prefix-database" --restart always --user 65534 \
  -e DATA_SOURCE_URI=127.0.0.1:5432/postgres?sslmode=disable -e DATA_SOURCE_USER=aegis \
  --health-cmd '["wget","-q","-O","/dev/null","http://127.0.0.1:9187/metrics"]' \
  localhost/aegis-postgres-exporter:0.11 >/dev/null
podman pod start "$prefix-database" >/dev/null
for c in postgres exporter; do
  until podman healthcheck run "$prefix-database-$c" >/dev/null 2>&1; do sleep 0.5; done
done
