#!/bin/sh
# One read of everything aegis.platform.boot decides on, as JSON (no changes are made).
# Arguments: unit directory, name prefix, unseal key file, then the units the role wants.
unit_dir="$1"
prefix="$2"
key_file="$3"
shift 3
podman_bin=$(command -v podman || true)
curl_bin=$(command -v curl || true)
version=""
graph_root=""
run_root=""
pods=""
if [ -n "$podman_bin" ]; then
  read -r version graph_root run_root <<EOT
$(podman info --format '{{.Version.Version}} {{.Store.GraphRoot}} {{.Store.RunRoot}}' 2>/dev/null)
EOT
  pods=$(podman pod ls --format '{{json .Name}}' 2>/dev/null | paste -sd, -)
fi
systemd=false
[ -d /run/systemd/system ] && systemd=true
# This role's units already on disk (content base64, compared by the role), and the units it wants.
units=""
names="$*"
for path in "$unit_dir"/pod-"$prefix"-*.service "$unit_dir/$prefix-openbao-unseal.service"; do
  [ -f "$path" ] || continue
  name=$(basename "$path")
  units="$units${units:+, }\"$name\": \"$(base64 -w0 < "$path")\""
  case " $names " in *" $name "*) ;; *) names="$names $name" ;; esac
done
# Whether each is enabled and active (only where systemd runs).
states=""
if [ "$systemd" = true ]; then
  for name in $names; do
    enabled=$(systemctl is-enabled "$name" 2>/dev/null | head -n1)
    active=$(systemctl is-active "$name" 2>/dev/null | head -n1)
    states="$states${states:+, }\"$name\": \"${enabled:-not-found} ${active:-unknown}\""
  done
fi
key_file_present=false
[ -f "$key_file" ] && key_file_present=true
key_dir_present=false
[ -d "$(dirname "$key_file")" ] && key_dir_present=true
printf '{"podman": "%s", "version": "%s", "graph_root": "%s", "run_root": "%s", "curl": "%s", "systemd": %s, "pods": [%s], "units": {%s}, "states": {%s}, "key_file": %s, "key_dir": %s}\n' \
  "$podman_bin" "$version" "$graph_root" "$run_root" "$curl_bin" "$systemd" "$pods" "$units" "$states" \
  "$key_file_present" "$key_dir_present"
