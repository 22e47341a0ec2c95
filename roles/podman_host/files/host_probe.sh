#!/bin/sh
# One read of everything the podman_host role decides on, as JSON (no changes are made).
conf="$1"
network="$2"
socket="$3"
podman_bin=$(command -v podman || true)
hard() { awk -v k="$1" '$0 ~ k {print $(NF-1)}' /proc/self/limits; }
cgroup=v1
[ -f /sys/fs/cgroup/cgroup.controllers ] && cgroup=v2
systemd=false
[ -d /run/systemd/system ] && systemd=true
subnet=null
if [ -n "$podman_bin" ] && podman network exists "$network" 2>/dev/null; then
  subnet="\"$(podman network inspect "$network" --format '{{range .Subnets}}{{.Subnet}}{{end}}')\""
fi
socket_alive=false
if [ -n "$podman_bin" ] && [ -S "$socket" ] && podman --url "unix://$socket" version >/dev/null 2>&1; then
  socket_alive=true
fi
conf_b64=""
[ -f "$conf" ] && conf_b64=$(base64 -w0 < "$conf")
printf '{"podman": %s, "cgroup": "%s", "systemd": %s, "nofile": "%s", "nproc": "%s", "network_subnet": %s, "socket_alive": %s, "conf_b64": "%s"}\n' \
  "$([ -n "$podman_bin" ] && echo true || echo false)" "$cgroup" "$systemd" \
  "$(hard 'Max open files')" "$(hard 'Max processes')" "$subnet" "$socket_alive" "$conf_b64"
