#!/usr/bin/env python3
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One read of everything the AEGIS roles decide on, as JSON; it changes nothing.

Host (podman, cgroups, hard limits, systemd, network, API socket, containers.conf) plus the podman state the
`aegis.platform.pod` action compares against (images, pods, containers with their spec labels) and the digest,
mode and owner of every file under the AEGIS config directory. A no-op rerun then needs no per-pod module call.

It also starts, detached and niced, `podman healthcheck run` for every running container whose name starts with
NAME_PREFIX: podman records each result, and the summary at the end of site.yml reads the results recorded
since the probe ("time") instead of running 18 health checks after the play (no systemd timer runs them here).

usage: host_probe.py CONTAINERS_CONF NETWORK SOCKET CONFIG_DIR NAME_PREFIX
"""
import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

SPEC_LABEL = "io.aegis.spec"


def podman_json(*args):
    result = subprocess.run(["podman", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return json.loads(result.stdout)


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
    """{path: [content digest (as the pod module computes it), mode, uid]} of the regular files below root."""
    found = {}
    for directory, dummy, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                continue
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
            found[path] = [hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], "%04o" % (info.st_mode & 0o7777), info.st_uid]
    return found


def podman_state(network):
    """Network, images, pods and containers (reduced to what the pod action compares); the podman calls run in
    parallel (listing images alone takes a quarter of a second)."""
    calls = [("network", "inspect", network), ("image", "ls", "--format", "json"), ("pod", "ps", "--format", "json"),
             ("ps", "-a", "--pod", "--format", "json")]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        networks, images, pods, containers = [found or [] for found in pool.map(lambda args: podman_json(*args), calls)]
    return {
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


def start_health_checks(names):
    """Two at a time, niced, in their own session: the play goes on and the controller keeps a core."""
    if not names:
        return
    reader, writer = os.pipe()
    subprocess.Popen(["nice", "-n", "10", "xargs", "-0", "-n", "1", "-P", "2", "podman", "healthcheck", "run"],
                     stdin=reader, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(reader)
    os.write(writer, "\0".join(names).encode("utf-8"))
    os.close(writer)


def main():
    conf, network, socket, config_dir, prefix = sys.argv[1:6]
    started = time.time()
    podman = shutil.which("podman") is not None
    conf_text = ""
    if os.path.isfile(conf):
        with open(conf, encoding="utf-8") as handle:
            conf_text = handle.read()
    state = podman_state(network) if podman else {"network_subnet": None, "images": [], "pods": {}, "containers": {}}
    # Before the health checks start: they hold podman's locks, which a socket-activated service waits for.
    alive = podman and socket_alive(socket)
    start_health_checks(sorted(name for name, item in state["containers"].items() if item["running"] and name.startswith(prefix)))
    print(json.dumps({
        "podman": podman,
        "cgroup": "v2" if os.path.isfile("/sys/fs/cgroup/cgroup.controllers") else "v1",
        "systemd": os.path.isdir("/run/systemd/system"),
        "nofile": hard_limit("Max open files"),
        "nproc": hard_limit("Max processes"),
        "socket_alive": alive,
        "conf": conf_text,
        "files": files_under(config_dir),
        "time": started,
        **state,
    }))


if __name__ == "__main__":
    main()
