#!/usr/bin/env bash
# One ansible-core the collection claims (meta/runtime.yml), in a venv of its own (.venv-core/VERSION, made with
# this machine's python3): ansible-test sanity, the unit tests, and the database and secrets pods (dbsec.yml)
# converged on this machine with site.yml, rerun with nothing to change, then removed. `make versions` runs it.
#   tests/versions/run.sh VERSION [sanity] [unit] [converge]      (no step named: all three)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$1
shift
steps=${*:-sanity unit converge}
venv=$root/.venv-core/$version
cd "$root"
export ANSIBLE_CONFIG=$root/ansible.cfg

# The test tools at requirements.txt's pins, with this ansible-core instead of the one of .venv.
wanted="ansible-core==$version cryptography $(grep -E '^(pytest|pytest-httpserver|jmespath|antsibull-changelog|ansible-builder)==' requirements.txt | xargs)"
if [[ "$(cat "$venv/.stamp" 2>/dev/null)" != "$wanted" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  # shellcheck disable=SC2086  # one word per requirement
  "$venv/bin/pip" install --quiet $wanted
  echo "$wanted" >"$venv/.stamp"
fi
echo "ansible-core $version on $("$venv/bin/python" --version): $steps"

# AEGIS_IMAGES_ARCHIVE_DIR: images from the test bed's archives (on an empty host) instead of built here.
play() {
  "$venv/bin/ansible-playbook" -i inventories/local -e @tests/versions/dbsec.yml \
    -e aegis_secrets_dir="$root/.cache/versions/$version/secrets" \
    ${AEGIS_IMAGES_ARCHIVE_DIR:+-e aegis_images_archive_dir="$AEGIS_IMAGES_ARCHIVE_DIR"} "$@"
}
teardown() {
  local out
  out=$(play playbooks/teardown.yml -e aegis_purge_data=true -e aegis_teardown_purge_grace=0 2>&1) \
    || { echo "$out" | tail -n 40; return 1; }
}

for step in $steps; do
  case $step in
    sanity) AEGIS_ANSIBLE_BIN=$venv/bin AEGIS_SANITY_DIR=$root/.cache/sanity-$version tools/sanity.sh ;;
    unit) "$venv/bin/python" -m pytest -q tests/unit standins/tests ;;
    converge)
      if command -v podman >/dev/null; then teardown; fi  # from nothing, also after an interrupted run
      trap teardown EXIT
      play tests/versions/converge.yml
      rerun=$(play tests/versions/converge.yml) || { echo "$rerun"; exit 1; }
      grep -Eq '^localhost +: ok=[0-9]+ +changed=0 ' <<<"$rerun" \
        || { echo "$rerun"; echo "the rerun with ansible-core $version changed something" >&2; exit 1; }
      echo "rerun with ansible-core $version: changed=0" ;;
    *) echo "unknown step: $step (sanity, unit, converge)" >&2; exit 2 ;;
  esac
done
