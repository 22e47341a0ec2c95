#!/usr/bin/env bash
# The raw baseline of `make bench` (tools/bench.py): the site's pods deployed by a careful plain script with
# podman, curl, jq and psql, doing the work site.yml does, in the same order, waiting for each pod before the next:
#
#   bench_baseline.sh deploy           create what is missing, start what is stopped, wait for what it started
#                                      to be healthy, bootstrap (PostgreSQL, OpenBao, realm), final status.
#                                      A rerun only checks: that is the no-op baseline.
#   bench_baseline.sh upgrade NAME...  remove and recreate these containers from their recorded commands.
#
# Input, read by bench.py from a converge of site.yml, in $BENCH_INPUT (site.yml renders or generates these;
# the script copies them instead):
#   pods/<n>-<pod>    "<name> <podman command, shell-quoted>" per line, the pod first: the commands the converge
#                     ran, read back from podman
#   files/            the rendered config and secret files the pods mount (to /etc/$PREFIX)
#   env/<secret>      values of the podman secrets containers read as environment, except the one this script
#                     mints (the AppRole secret_id; the role_id it mints goes into the runtime's manifest)
#   volumes           "<name> <podman volume create options>" of the volumes the converge created with options
#   passwords/<role>  PostgreSQL login roles and their passwords; databases: "<db> <owner>"; grants: "<role> <group>"
#   policy.hcl        the AppRole's OpenBao policy; realm.json: the realm (settings, roles, client scopes, clients,
#                     service-account roles) without Keycloak's built-ins
# It keeps OpenBao's unseal key, root token and the AppRole credentials in $BENCH_STATE, as site.yml keeps them
# on the controller. Every change is printed as "changed: <what>" (bench.py counts them).
set -euo pipefail
: "${BENCH_INPUT:?}" "${BENCH_STATE:?}" "${PREFIX:?}" "${BIND:?}"
umask 077
CONFIG_DIR=/etc/$PREFIX
BAO=http://$BIND:8200/v1
KC=http://$BIND:8180
DB_SUPERUSER=aegis
KC_ADMIN=admin
APPROLE=aegis-platform

changed() { echo "changed: $*"; }

# --- pods and containers -------------------------------------------------------------------------------------

STARTED=()
deploy_pod() {  # $1: pod. Creates the pod and containers that are missing, starts those not running.
  local name cmd first=1 running
  STARTED=()
  while read -r name cmd; do
    if [ $first = 1 ]; then
      first=0
      podman pod exists "$name" || { eval "$cmd" >/dev/null; changed "pod $name created"; }
      continue
    fi
    if ! running=$(podman inspect --format '{{.State.Running}}' "$name" 2>/dev/null); then
      eval "$cmd" >/dev/null
      changed "container $name created"
    fi
    if [ "$running" != true ]; then
      podman start "$name" >/dev/null
      changed "container $name started"
      # Only containers with a health check can be waited for (all of the site's have one).
      [[ $cmd != *--health-cmd* ]] || STARTED+=("$name")
    fi
  done < <(cat "$BENCH_INPUT"/pods/*-"$1")
}

# Every named container passes its health check; all are probed at once each round, as the pod module does.
# No deadline here: bench.py kills the whole run after its timeout and names what was not ready.
wait_healthy() {
  local pending=("$@") next c
  local -A pid
  while [ ${#pending[@]} -gt 0 ]; do
    for c in "${pending[@]}"; do podman healthcheck run "$c" >/dev/null 2>&1 & pid[$c]=$!; done
    next=()
    for c in "${pending[@]}"; do wait "${pid[$c]}" || next+=("$c"); done
    pending=("${next[@]+"${next[@]}"}")
    [ ${#pending[@]} -eq 0 ] || sleep 0.5
  done
}

pod() { deploy_pod "$1"; wait_healthy "${STARTED[@]+"${STARTED[@]}"}"; }

put_secret() {  # podman secret $1 (read as environment) with value $2, when missing
  podman secret inspect "$1" >/dev/null 2>&1 && return 0
  printf %s "$2" | podman secret create "$1" - >/dev/null
  changed "secret $1"
}

# --- PostgreSQL ------------------------------------------------------------------------------------------------

psql_db() {
  podman exec -i --user postgres "$PREFIX-database-postgres" psql -X -q -A -t -v ON_ERROR_STOP=1 -U "$DB_SUPERUSER" -d postgres "$@"
}

bootstrap_database() {  # login roles with passwords, databases with owners, group grants: what is missing, in one psql
  local have sql="" f role db owner group
  have=$(psql_db -c "SELECT 'role ' || rolname FROM pg_roles UNION ALL SELECT 'db ' || datname FROM pg_database
    UNION ALL SELECT 'grant ' || r.rolname || ' ' || g.rolname FROM pg_auth_members m
    JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid")
  for f in "$BENCH_INPUT"/passwords/*; do
    role=${f##*/}
    # The password goes to psql on stdin; the server stores its SCRAM verifier (password_encryption).
    grep -qx "role $role" <<<"$have" || { sql+="CREATE ROLE \"$role\" LOGIN PASSWORD '$(cat "$f")';"$'\n'; changed "role $role"; }
  done
  while read -r db owner; do
    grep -qx "db $db" <<<"$have" && continue
    sql+="CREATE DATABASE \"$db\" OWNER \"$owner\"; REVOKE ALL ON DATABASE \"$db\" FROM PUBLIC;"$'\n'
    changed "database $db"
  done < "$BENCH_INPUT/databases"
  while read -r role group; do
    grep -qx "grant $role $group" <<<"$have" || { sql+="GRANT \"$group\" TO \"$role\";"$'\n'; changed "grant $group to $role"; }
  done < "$BENCH_INPUT/grants"
  [ -z "$sql" ] || psql_db <<<"$sql" >/dev/null
}

# --- OpenBao ---------------------------------------------------------------------------------------------------

bao_api() {  # METHOD PATH [JSON]: OpenBao's HTTP API with the root token; prints the body, fails on HTTP errors
  curl -sSf -X "$1" -H "X-Vault-Token: $ROOT_TOKEN" ${3:+-H 'Content-Type: application/json' -d "$3"} "$BAO/$2"
}

bootstrap_openbao() {  # init (1 share) and unseal, KV v2, AppRole auth, policy, role, a secret_id that logs in
  local status policy role_id secret_id
  until status=$(curl -sf "$BAO/sys/seal-status"); do sleep 0.2; done
  if [ "$(jq -r .initialized <<<"$status")" = false ]; then
    curl -sSf -X PUT -d '{"secret_shares": 1, "secret_threshold": 1}' "$BAO/sys/init" > "$BENCH_STATE/openbao.json"
    changed "OpenBao initialised"
  fi
  ROOT_TOKEN=$(jq -r .root_token "$BENCH_STATE/openbao.json")
  if [ "$(jq -r .sealed <<<"$status")" = true ]; then
    curl -sSf -X PUT -d "$(jq -c '{key: .keys[0]}' "$BENCH_STATE/openbao.json")" "$BAO/sys/unseal" >/dev/null
    changed "OpenBao unsealed"
  fi
  until curl -sf -o /dev/null "$BAO/sys/health"; do sleep 0.2; done  # 200: unsealed and active
  bao_api GET sys/mounts | jq -e '.data["secret/"]' >/dev/null ||
    { bao_api POST sys/mounts/secret '{"type": "kv", "options": {"version": "2"}}'; changed "KV v2 at secret/"; }
  bao_api GET sys/auth | jq -e '.data["approle/"]' >/dev/null ||
    { bao_api POST sys/auth/approle '{"type": "approle"}'; changed "AppRole auth"; }
  policy=$(bao_api GET "sys/policies/acl/$APPROLE" 2>/dev/null | jq -r .data.policy) || true
  [ "$policy" = "$(cat "$BENCH_INPUT/policy.hcl")" ] ||
    { bao_api PUT "sys/policies/acl/$APPROLE" "$(jq -Rs '{policy: .}' "$BENCH_INPUT/policy.hcl")"; changed "policy $APPROLE"; }
  bao_api GET "auth/approle/role/$APPROLE" >/dev/null 2>&1 || {
    bao_api POST "auth/approle/role/$APPROLE" \
      "{\"token_policies\": [\"$APPROLE\"], \"token_ttl\": \"1h\", \"token_max_ttl\": \"4h\", \"secret_id_ttl\": \"0\"}"
    changed "AppRole role $APPROLE"
  }
  # Keep the secret_id while it still logs in, else mint one (as the secrets role does).
  if ! { [ -f "$BENCH_STATE/approle.json" ] && curl -sf -o /dev/null -d @"$BENCH_STATE/approle.json" "$BAO/auth/approle/login"; }; then
    role_id=$(bao_api GET "auth/approle/role/$APPROLE/role-id" | jq -r .data.role_id)
    secret_id=$(bao_api POST "auth/approle/role/$APPROLE/secret-id" | jq -r .data.secret_id)
    jq -n --arg r "$role_id" --arg s "$secret_id" '{role_id: $r, secret_id: $s}' > "$BENCH_STATE/approle.json"
    changed "AppRole secret_id minted"
  fi
}

# --- Keycloak realm and its hand-over to OpenBao -----------------------------------------------------------------

kc_api() {  # METHOD PATH [JSON]: Keycloak's Admin API under /admin/realms; prints the body, fails on HTTP errors
  curl -sSf -X "$1" -H "Authorization: Bearer $KC_TOKEN" ${3:+-H 'Content-Type: application/json' -d "$3"} "$KC/admin/realms$2"
}

client_id_of() { kc_api GET "/$REALM/clients?clientId=$1" | jq -r '.[0].id'; }

declare -A CLIENT_SECRET
bootstrap_realm() {  # the realm when missing; client secrets to OpenBao KV and OIDC login when not there yet
  local kind key rep client user roles secret kv discovery
  KC_TOKEN=$(curl -sSf -d grant_type=password -d client_id=admin-cli -d "username=$KC_ADMIN" \
    --data-urlencode "password@$BENCH_INPUT/env/$PREFIX-iam-keycloak-keycloak-admin-password" \
    "$KC/realms/master/protocol/openid-connect/token" | jq -r .access_token)
  REALM=$(jq -r .realm.realm "$BENCH_INPUT/realm.json")
  if ! kc_api GET "/$REALM" >/dev/null 2>&1; then
    kc_api POST "" "$(jq -c .realm "$BENCH_INPUT/realm.json")" >/dev/null
    for kind in roles:roles client-scopes:clientScopes clients:clients; do
      jq -c ".${kind#*:}[]" "$BENCH_INPUT/realm.json" | while read -r rep; do kc_api POST "/$REALM/${kind%:*}" "$rep" >/dev/null; done
    done
    for client in $(jq -r '.serviceAccountRoles | keys[]' "$BENCH_INPUT/realm.json"); do
      user=$(kc_api GET "/$REALM/clients/$(client_id_of "$client")/service-account-user" | jq -r .id)
      roles=$(for key in $(jq -r --arg c "$client" '.serviceAccountRoles[$c][]' "$BENCH_INPUT/realm.json"); do
        kc_api GET "/$REALM/roles/$key"; done | jq -s -c .)
      kc_api POST "/$REALM/users/$user/role-mappings/realm" "$roles" >/dev/null
    done
    changed "realm $REALM"
  fi
  for client in $(jq -r '.clients[] | select(.publicClient != true and .bearerOnly != true) | .clientId' "$BENCH_INPUT/realm.json"); do
    secret=$(kc_api GET "/$REALM/clients/$(client_id_of "$client")/client-secret" | jq -r .value)
    CLIENT_SECRET[$client]=$secret
    kv=$(bao_api GET "secret/data/aegis/keycloak/$client" 2>/dev/null | jq -r .data.data.client_secret) || true
    [ "$kv" = "$secret" ] || {
      bao_api POST "secret/data/aegis/keycloak/$client" \
        "$(jq -n --arg c "$client" --arg s "$secret" '{data: {client_id: $c, client_secret: $s}}')" >/dev/null
      changed "client secret of $client in KV"
    }
  done
  bao_api GET sys/auth | jq -e '.data["oidc/"]' >/dev/null || { bao_api POST sys/auth/oidc '{"type": "oidc"}'; changed "OIDC auth"; }
  discovery=http://$PREFIX-iam:8180/realms/$REALM
  bao_api GET auth/oidc/config 2>/dev/null | jq -e --arg u "$discovery" '.data.oidc_discovery_url == $u' >/dev/null || {
    bao_api POST auth/oidc/config "$(jq -n --arg u "$discovery" --arg s "${CLIENT_SECRET[aegis-openbao]}" \
      '{oidc_discovery_url: $u, oidc_client_id: "aegis-openbao", oidc_client_secret: $s, default_role: "default"}')"
    changed "OIDC config"
  }
  bao_api GET auth/oidc/role/default >/dev/null 2>&1 || {
    bao_api POST auth/oidc/role/default "$(jq -n --arg r "http://$PREFIX-secrets:8200/ui/vault/auth/oidc/oidc/callback" \
      '{role_type: "oidc", user_claim: "sub", allowed_redirect_uris: [$r, "http://localhost:8250/oidc/callback"],
        token_policies: ["default"], oidc_scopes: ["openid", "profile", "email"]}')"
    changed "OIDC role default"
  }
}

runtime_credentials() {  # the runtime's AppRole: role ID in its manifest, secret ID a podman secret, a 0600 env file
  local env manifest=$CONFIG_DIR/core/secrets/aegis-config.yaml wanted
  wanted=$(sed "s/^\( *role_id:\).*/\1 $(jq -r .role_id "$BENCH_STATE/approle.json")/" "$BENCH_INPUT/files/core/secrets/aegis-config.yaml")
  [ "$(cat "$manifest")" = "$wanted" ] || { printf '%s\n' "$wanted" > "$manifest"; changed "file core/secrets/aegis-config.yaml"; }
  put_secret "$PREFIX-core-runtime-openbao-secret-id" "$(jq -r .secret_id "$BENCH_STATE/approle.json")"
  env=$(jq -r '"OPENBAO_ROLE_ID=\(.role_id)\nOPENBAO_SECRET_ID=\(.secret_id)"' "$BENCH_STATE/approle.json")
  [ "$(cat "$CONFIG_DIR/core/secrets/openbao-approle.env" 2>/dev/null)" = "$env" ] ||
    { echo "$env" > "$CONFIG_DIR/core/secrets/openbao-approle.env"; changed "file core/secrets/openbao-approle.env"; }
}

status() {  # every container's health check (at once) and OpenBao's seal state, as site.yml's status play
  local name
  for name in $(tail -q -n +2 "$BENCH_INPUT"/pods/* | cut -d' ' -f1); do
    { podman healthcheck run "$name" >/dev/null 2>&1 && echo "status: $name healthy" || echo "status: $name NOT HEALTHY"; } &
  done
  wait
  curl -sS "$BAO/sys/seal-status" | jq -r '"status: OpenBao initialized=\(.initialized) sealed=\(.sealed)"'
}

deploy() {
  local f
  podman network exists "$PREFIX-network" || { podman network create "$PREFIX-network" >/dev/null; changed "network"; }
  mkdir -p -m 0755 "$CONFIG_DIR"
  diff -rq -x openbao-approle.env -x aegis-config.yaml "$BENCH_INPUT/files" "$CONFIG_DIR" >/dev/null 2>&1 ||
    { cp -a "$BENCH_INPUT/files/." "$CONFIG_DIR/"; changed "config files"; }
  for f in "$BENCH_INPUT"/env/*; do put_secret "${f##*/}" "$(cat "$f")"; done
  local name opts
  while read -r name opts; do  # before the containers that would create them without their options
    podman volume exists "$name" || { eval "podman volume create $opts $name" >/dev/null; changed "volume $name"; }
  done < "$BENCH_INPUT/volumes"
  pod database
  bootstrap_database
  deploy_pod secrets  # OpenBao's health check fails while sealed: unseal first, then wait
  bootstrap_openbao
  wait_healthy "${STARTED[@]+"${STARTED[@]}"}"
  pod iam
  bootstrap_realm
  pod storage
  pod observability
  pod temporal
  runtime_credentials
  pod core
  pod seal-gateway
  status
}

upgrade() {  # remove and recreate the named containers from their (new) recorded commands, then wait to healthy
  local name line
  for name in "$@"; do
    line=$(grep -h "^$name " "$BENCH_INPUT"/pods/*)
    podman rm --force --time 5 "$name" >/dev/null
    eval "${line#"$name "}" >/dev/null
    podman start "$name" >/dev/null
    changed "container $name recreated"
  done
  wait_healthy "$@"
}

case "${1:-}" in
  deploy) deploy ;;
  upgrade) shift; upgrade "$@" ;;
  *) echo "usage: $0 deploy | upgrade NAME..." >&2; exit 2 ;;
esac
