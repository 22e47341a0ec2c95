#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_probe
short_description: One read of everything the AEGIS roles decide on
version_added: "0.2.0"
description:
  - Reads the host (podman, cgroups, hard limits, systemd, the API socket, C(containers.conf)), the podman state
    the P(aegis.platform.pod#module) action compares against (network, images, pods and containers with their
    spec labels) and the digest, mode and owner of every file under the AEGIS config directory. A no-op rerun then
    needs no per-pod module call. It changes nothing.
  - It also starts, detached and niced, C(podman healthcheck run) for every running container whose name starts
    with O(name_prefix); podman records each result, and the summary at the end of the site playbook reads the
    results recorded since the probe (RV(probe.time)) instead of running every health check after the play.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  containers_conf:
    description: The drop-in C(containers.conf) whose content is reported.
    type: path
    required: true
  network:
    description: The platform's podman network (its subnet is reported).
    type: str
    required: true
  socket:
    description: The podman API socket (whether it answers is reported).
    type: path
    required: true
  config_dir:
    description: Directory whose regular files are reported as C([content digest, mode, uid]).
    type: path
    required: true
  name_prefix:
    description: Health checks start for running containers whose names start with this.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Probe the host
  aegis.platform.host_probe:
    containers_conf: /etc/containers/containers.conf.d/50-aegis.conf
    network: aegis-network
    socket: /run/podman/podman.sock
    config_dir: /etc/aegis
    name_prefix: aegis-
  register: probe
"""

RETURN = r"""
probe:
  description: What the host has.
  returned: always
  type: dict
  contains:
    podman:
      description: Whether podman is installed.
      type: bool
    cgroup:
      description: C(v2) or C(v1).
      type: str
    systemd:
      description: Whether systemd is PID 1.
      type: bool
    nofile:
      description: Hard limit of open files.
      type: str
    nproc:
      description: Hard limit of processes.
      type: str
    socket_alive:
      description: Whether the API socket answers its ping.
      type: bool
    conf:
      description: Content of O(containers_conf) (empty when missing).
      type: str
    files:
      description: "C({path: [content digest, mode, uid]}) of the files under O(config_dir)."
      type: dict
    time:
      description: When the probe started (seconds since the epoch).
      type: float
    network_subnet:
      description: The network's subnets, comma-separated; null when the network is missing.
      type: str
    images:
      description: Every image with C(Id), C(Names) (with repo digests) and C(Labels).
      type: list
      elements: dict
    pods:
      description: "C({name: {digest}}) of every pod."
      type: dict
    containers:
      description: "C({name: {pod, digest, running, id, started_at}}) of every container but infra ones."
      type: dict
    container_log_dir:
      description:
        - Where podman's storage driver keeps each container's files, its log included
          (C(<graph root>/<driver>-containers)); null when podman does not say.
      type: str
"""

import json
import os
import shutil
import socket
import stat
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegis.platform.plugins.module_utils.digests import SPEC_LABEL, file_state


def podman_json(module, *args):
    rc, out, dummy = module.run_command(["podman", *args])
    if rc != 0 or not out.strip():
        return None
    return json.loads(out)


def hard_limit(name):
    with open("/proc/self/limits", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(name):
                return line[len(name):].split()[1]
    return "unlimited"


def socket_alive(path):
    """The API answers its ping (a raw request: `podman --url ... version` costs half a second)."""
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(3)
            client.connect(path)
            client.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return client.recv(64).split(b"\r\n", 1)[0].endswith(b" 200 OK")
    except OSError:
        return False


def files_under(root):
    """{path: [content digest, mode, uid]} (digests.file_state) of the regular files below root."""
    found = {}
    for directory, dummy, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            with open(path, "rb") as handle:
                found[path] = file_state(path, handle.read().decode("utf-8", "replace"))
    return found


def podman_state(module, network):
    """Network, images, pods, containers (reduced to what the pod action compares) and the container log directory
    (Promtail reads it: one podman info here instead of one in the observability role); the podman calls run in
    parallel (listing images alone takes a quarter of a second, podman info longer)."""
    calls = [("info", "--format", "json"), ("network", "inspect", network), ("image", "ls", "--format", "json"),
             ("pod", "ps", "--format", "json"), ("ps", "-a", "--pod", "--format", "json")]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        info, networks, images, pods, containers = [
            found or [] for found in pool.map(lambda args: podman_json(module, *args), calls)]
    store = (info.get("store") or {}) if isinstance(info, dict) else {}
    return {
        "container_log_dir": "%s/%s-containers" % (store["graphRoot"], store["graphDriverName"])
        if store.get("graphRoot") and store.get("graphDriverName") else None,
        "network_subnet": ",".join(item["subnet"] for item in networks[0].get("subnets") or []) if networks else None,
        # Only what the images role and the pod action read: every task of the play carries these facts.
        # Names with the repo digests, so that an image pinned by digest (name@sha256:...) counts as present.
        "images": [{"Id": image["Id"], "Names": (image.get("Names") or []) + (image.get("RepoDigests") or []),
                    "Labels": image.get("Labels") or {}} for image in images],
        "pods": {pod["Name"]: {"digest": (pod.get("Labels") or {}).get(SPEC_LABEL)} for pod in pods},
        "containers": {
            item["Names"][0]: {"pod": item.get("PodName") or "", "digest": (item.get("Labels") or {}).get(SPEC_LABEL),
                               "running": item.get("State") == "running", "id": item["Id"],
                               "started_at": item.get("StartedAt")}
            for item in containers if not item.get("IsInfra")
        },
    }


# Runs the health checks in the background, two at a time, niced, in their own session, and returns at once.
HEALTH_CHECKS = ('printf "%s\\n" "$@" | setsid nice -n 10 xargs -r -n 1 -P 2 podman healthcheck run '
                 '>/dev/null 2>&1 &')


def start_health_checks(module, names):
    """The play goes on while podman records the results, and the controller keeps a core."""
    if names:
        module.run_command(["sh", "-c", HEALTH_CHECKS, "sh"] + names)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            containers_conf=dict(type="path", required=True),
            network=dict(type="str", required=True),
            socket=dict(type="path", required=True),
            config_dir=dict(type="path", required=True),
            name_prefix=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    started = time.time()
    podman = shutil.which("podman") is not None
    conf_text = ""
    if os.path.isfile(params["containers_conf"]):
        with open(params["containers_conf"], encoding="utf-8") as handle:
            conf_text = handle.read()
    state = podman_state(module, params["network"]) if podman else {
        "network_subnet": None, "images": [], "pods": {}, "containers": {}, "container_log_dir": None}
    # Before the health checks start: they hold podman's locks, which a socket-activated service waits for.
    alive = podman and socket_alive(params["socket"])
    running = [name for name, item in state["containers"].items() if item["running"]]
    start_health_checks(module, sorted(name for name in running if name.startswith(params["name_prefix"])))
    module.exit_json(changed=False, probe=dict(
        podman=podman,
        cgroup="v2" if os.path.isfile("/sys/fs/cgroup/cgroup.controllers") else "v1",
        systemd=os.path.isdir("/run/systemd/system"),
        nofile=hard_limit("Max open files"),
        nproc=hard_limit("Max processes"),
        socket_alive=alive,
        conf=conf_text,
        files=files_under(params["config_dir"]),
        time=started,
        **state
    ))


if __name__ == "__main__":
    main()
