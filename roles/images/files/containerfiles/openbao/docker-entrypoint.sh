#!/bin/sh
# `server` runs the OpenBao server on /openbao/config, like the upstream entrypoint (openbao v2.6.2
# .release/docker/docker-entrypoint.sh): as root it gives config, logs and file (never data) to openbao first.
set -e
if [ "$1" = server ]; then
  shift
  if [ "$(id -u)" = 0 ]; then
    for dir in /openbao/config /openbao/logs /openbao/file; do
      [ "$(stat -c %u "$dir")" = "$(id -u openbao)" ] || chown -R openbao:openbao "$dir"
    done
    exec setpriv --reuid=openbao --regid=openbao --init-groups -- bao server -config=/openbao/config "$@"
  fi
  exec bao server -config=/openbao/config "$@"
fi
exec "$@"
