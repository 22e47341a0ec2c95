#!/usr/bin/env bash
# Benchmark (not a test): site playbook cold converge and no-op rerun, against a raw podman script that creates
# the same pods and containers (the baseline). Runs beside a live deployment under its own prefix and address.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ANSIBLE_CONFIG=$root/ansible.cfg
prefix=aegisbench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
extra=(-e aegis_name_prefix=$prefix -e aegis_bind_address=127.0.0.3 -e "aegis_secrets_dir=$work/secrets")

now() { date +%s.%N; }
teardown() {
  podman pod rm -f -t 0 "$prefix-database" "$prefix-raw-database" >/dev/null 2>&1 || true
  podman volume rm -f "$prefix-postgres-data" "$prefix-raw-postgres-data" "$prefix-raw-database" >/dev/null 2>&1 || true
  rm -rf "/etc/$prefix"
}
teardown
# Images are present (`make bench` runs `make deploy` first), so both sides start from the same images.

t0=$(now)
.venv/bin/ansible-playbook -i inventories/local playbooks/site.yml "${extra[@]}" >"$work/cold.log"
t1=$(now)
.venv/bin/ansible-playbook -i inventories/local playbooks/site.yml "${extra[@]}" >"$work/noop.log"
t2=$(now)
changed=$(grep -Eo 'changed=[0-9]+' "$work/noop.log" | tail -1)

t3=$(now)
tools/raw_podman_baseline.sh "$prefix-raw" 127.0.0.4 >/dev/null
t4=$(now)
teardown
podman network rm -f "$prefix-network" "$prefix-raw-network" >/dev/null 2>&1 || true

python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$changed" <<'PY'
import sys
t0, t1, t2, t3, t4 = map(float, sys.argv[1:6])
cold, noop, raw = t1 - t0, t2 - t1, t4 - t3
print("site cold converge : %6.2f s" % cold)
print("site no-op rerun   : %6.2f s (%s)" % (noop, sys.argv[6]))
print("raw podman script  : %6.2f s" % raw)
print("ratio cold/raw     : %6.2f" % (cold / raw))
PY
