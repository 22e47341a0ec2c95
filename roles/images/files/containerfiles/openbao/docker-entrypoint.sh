#!/bin/sh
# `server` runs the OpenBao server on /openbao/config as the openbao user, like the upstream image.
set -e
if [ "$1" = server ]; then
  shift
  if [ "$(id -u)" = 0 ]; then
    chown -R openbao /openbao/data
    exec setpriv --reuid=openbao --regid=openbao --init-groups -- bao server -config=/openbao/config "$@"
  fi
  exec bao server -config=/openbao/config "$@"
fi
exec "$@"
