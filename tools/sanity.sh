#!/usr/bin/env bash
# ansible-test sanity for the whole collection, offline.
# ansible-test must run from ansible_collections/aegis/platform, and it bootstraps pip in each test venv from a
# download that is unreachable here: we hand it a local bootstrap script instead (tools/get_pip_offline.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# AEGIS_ANSIBLE_BIN: the venv whose ansible-test runs (another ansible-core: make versions).
bin=${AEGIS_ANSIBLE_BIN:-$root/.venv/bin}
work=${AEGIS_SANITY_DIR:-$root/.cache/sanity}
coll=$work/ansible_collections/aegis/platform
mkdir -p "$coll" "$HOME/.ansible/test/cache"
# The script's name carries the pip version this ansible-test bootstraps (23.1.2 in 2.16, 24.2 in 2.19, ...).
pip_version=$("$bin/python" -c 'import pathlib, re, ansible_test
source = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"default_packages = dict\(\s*pip=.([0-9.]+).", source).group(1).replace(".", "_"))')
install -m 0644 "$root/tools/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_$pip_version.py"
# A copy of the tracked tree (plus untracked files not ignored): what a clean clone holds.
rm -rf "$coll" && mkdir -p "$coll"
# (Tracked files deleted in the working tree are skipped: a clean clone after the commit will not hold them.)
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi; done \
  | tar --null -T - -cf -) | tar -xf - -C "$coll"
cd "$coll"
git init -q . 2>/dev/null || true
git add -A >/dev/null 2>&1 || true
exec "$bin/ansible-test" sanity --python "$("$bin/python" -c 'import sys;print("%d.%d"%sys.version_info[:2])')" \
  --requirements --venv --color no "$@"
