#!/bin/sh
# Stand-in for Keycloak's kc.sh: `start` / `start-dev` (and their options) run the emulator on KC_HTTP_PORT.
case "$1" in
  start|start-dev) ;;
  *) echo "kc.sh stand-in: only 'start' is supported (got: $*)" >&2; exit 2 ;;
esac
exec python3 -m keycloak_emulator --host 0.0.0.0 --port "${KC_HTTP_PORT:-8080}"
