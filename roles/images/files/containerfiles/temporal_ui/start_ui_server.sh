#!/bin/bash
# Entrypoint of the local Temporal UI image: writes config/docker.yaml from the environment temporalio/ui 2.21.3
# reads (its docker/config-template.yaml) and starts the UI server. Sign-in (TEMPORAL_AUTH_*) and TLS to the
# server are not offered here and are refused by name rather than ignored.
set -euo pipefail

for name in TEMPORAL_AUTH_ENABLED TEMPORAL_TLS_CA TEMPORAL_TLS_CERT TEMPORAL_TLS_KEY TEMPORAL_CODEC_ENDPOINT; do
  value=${!name:-}
  if [ -n "$value" ] && [ "$value" != false ]; then echo "start_ui_server.sh: $name is not supported by this image" >&2; exit 1; fi
done

yaml_quote() { local value=${1//\\/\\\\}; printf '"%s"' "${value//\"/\\\"}"; }

origins=${TEMPORAL_CORS_ORIGINS:-http://localhost:8080}
{
  echo "temporalGrpcAddress: $(yaml_quote "${TEMPORAL_ADDRESS:-127.0.0.1:7233}")"
  echo "port: ${TEMPORAL_UI_PORT:-8080}"
  echo "publicPath: $(yaml_quote "${TEMPORAL_UI_PUBLIC_PATH:-}")"
  echo "enableUi: ${TEMPORAL_UI_ENABLED:-true}"
  echo "defaultNamespace: $(yaml_quote "${TEMPORAL_DEFAULT_NAMESPACE:-default}")"
  echo "notifyOnNewVersion: ${TEMPORAL_NOTIFY_ON_NEW_VERSION:-true}"
  echo "showTemporalSystemNamespace: ${TEMPORAL_SHOW_TEMPORAL_SYSTEM_NAMESPACE:-false}"
  echo "disableWriteActions: ${TEMPORAL_DISABLE_WRITE_ACTIONS:-false}"
  echo "cors:"
  echo "  cookieInsecure: ${TEMPORAL_CSRF_COOKIE_INSECURE:-false}"
  echo "  allowOrigins:"
  IFS=, read -ra list <<< "$origins"
  for origin in "${list[@]}"; do echo "    - $(yaml_quote "$origin")"; done
} > config/docker.yaml

exec ./ui-server --env docker start
