#!/bin/bash
# Mirrors the official postgres image's first-start behaviour: initialise PGDATA with POSTGRES_USER as
# superuser (password from POSTGRES_PASSWORD_FILE, never from the command line), create POSTGRES_DB,
# then run the server as the postgres user.
set -euo pipefail
if [ "${1:-}" = postgres ] && [ "$(id -u)" = 0 ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD=$(< "$POSTGRES_PASSWORD_FILE")
  fi
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 0700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE is required to initialise the database}"
    user=${POSTGRES_USER:-postgres}
    pwfile=$(mktemp)
    printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
    chown postgres "$pwfile"
    runuser -u postgres -- initdb -D "$PGDATA" --username="$user" --pwfile="$pwfile" \
      --auth-local=peer --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    db=${POSTGRES_DB:-$user}
    if [ "$db" != postgres ]; then
      runuser -u postgres -- postgres --single -D "$PGDATA" -c listen_addresses='' postgres <<< "CREATE DATABASE \"$db\" OWNER \"$user\";" >/dev/null
    fi
    echo "database initialised in $PGDATA"
  fi
  unset POSTGRES_PASSWORD
  # setpriv execs (runuser would stay PID 1 and not pass SIGINT on, so stops would wait for SIGKILL).
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
fi
exec "$@"
