#!/usr/bin/env python3
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only state of the AEGIS pods on this host, as one JSON document (playbooks/status.yml).

One `podman pod ps`, one `podman healthcheck run` per running container (in parallel) and, when asked, one
unauthenticated GET of OpenBao's /v1/sys/health. With --fresh-since (site.yml: the time of its host probe, which
started every container's health check in the background), a pass podman recorded after that time is used
instead of running the check again. With --wait, checks that fail are run again, once a second, until they pass
or the time is up (site.yml starts some pods without waiting for them and waits here for all of them).
Prints {"pods": [...], "openbao": {...}, "healthy": bool, "lines": [table lines]}.
"""

import argparse
import datetime
import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def podman_pods():
    if shutil.which("podman") is None:
        return {}  # not installed yet (--check on an empty host): every pod is absent
    result = subprocess.run(["podman", "pod", "ps", "--format", "json"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit("podman pod ps failed: %s" % result.stderr.strip())
    return {pod["Name"]: pod for pod in json.loads(result.stdout or "[]")}


def recorded_since(names, since):
    """{container: "healthy"} for the health checks podman recorded as passed after `since` (epoch seconds). A
    recorded failure is not kept: the run may have fixed it since (OpenBao unsealed after the probe's check)."""
    if not names or since is None:
        return {}
    result = subprocess.run(["podman", "inspect", "--format", "json"] + names, capture_output=True, text=True, check=False)
    found = {}
    for item in json.loads(result.stdout or "[]") if result.returncode == 0 else []:
        log = ((item.get("State") or {}).get("Health") or {}).get("Log") or []
        if log and check_time(log[-1].get("End", "")) >= since and log[-1].get("ExitCode") == 0:
            found[item["Name"]] = "healthy"
    return found


def check_time(text):
    """Epoch seconds of podman's RFC 3339 time with nanoseconds (2026-11-25T15:06:14.802497223Z); 0 if unreadable."""
    text = re.sub(r"(\.\d{6})\d*", r"\1", text).replace("Z", "+00:00")
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0


def health(container):
    result = subprocess.run(["podman", "healthcheck", "run", container], capture_output=True, text=True,
                            timeout=60, check=False)
    if result.returncode == 0:
        return "healthy"
    if "no defined healthcheck" in (result.stdout + result.stderr):
        return "no check"
    return "unhealthy"


def openbao(url):
    """initialised / sealed / active of the OpenBao server at url (sys/health answers with a JSON body on every
    status code: 200 active, 429 standby, 501 not initialised, 503 sealed)."""
    try:
        with urllib.request.urlopen(url + "/v1/sys/health", timeout=5) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            body = json.load(exc)
        except ValueError:
            return {"url": url, "state": "error", "detail": "HTTP %s" % exc.code}
    except (OSError, ValueError) as exc:
        return {"url": url, "state": "unreachable", "detail": str(getattr(exc, "reason", exc))}
    if not body.get("initialized"):
        state = "not initialised"
    elif body.get("sealed"):
        state = "initialised, sealed"
    else:
        state = "initialised, unsealed, " + ("standby" if body.get("standby") else "active")
    return {"url": url, "state": state, "initialized": bool(body.get("initialized")),
            "sealed": bool(body.get("sealed", True)), "version": body.get("version", "")}


def table(pods, bao):
    rows = [("POD", "CONTAINER", "STATE", "HEALTH")]
    for pod in pods:
        good = sum(1 for c in pod["containers"] if c["health"] in ("healthy", "no check"))
        rows.append((pod["name"], "(pod)", pod["state"],
                     "%d/%d healthy" % (good, len(pod["containers"])) if pod["containers"] else "-"))
        for container in pod["containers"]:
            rows.append((pod["name"], container["name"], container["state"], container["health"]))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3] for row in rows]
    if bao is not None:
        version = " (OpenBao %s)" % bao["version"] if bao.get("version") else ""
        lines.append("OpenBao %s: %s%s" % (bao["url"], bao["state"], version + (" " + bao["detail"] if bao.get("detail") else "")))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pod", action="append", default=[], help="pod name (repeat)")
    parser.add_argument("--openbao-url", default="", help="OpenBao base URL; empty: not checked")
    parser.add_argument("--fresh-since", type=float, help="use health results podman recorded after this epoch time")
    parser.add_argument("--wait", type=float, default=0, help="seconds to keep rerunning failing health checks")
    args = parser.parse_args()

    existing = podman_pods()
    pods, running = [], []
    for name in args.pod:
        pod = existing.get(name)
        if pod is None:
            pods.append({"name": name, "state": "missing", "containers": []})
            continue
        containers = sorted(({"name": c["Names"], "state": c["Status"], "health": "-"}
                             for c in pod.get("Containers") or [] if c["Names"] != name + "-infra"),
                            key=lambda c: c["name"])
        pods.append({"name": name, "state": pod["Status"], "containers": containers})
        running += [c for c in containers if c["state"] == "running"]
    recorded = recorded_since([c["name"] for c in running], args.fresh_since)
    for container in running:
        container["health"] = recorded.get(container["name"], "-")
    unchecked = [c for c in running if c["name"] not in recorded]
    deadline = time.monotonic() + args.wait
    with ThreadPoolExecutor(max_workers=8) as pool:
        while unchecked:
            for container, state in zip(unchecked, pool.map(health, [c["name"] for c in unchecked])):
                container["health"] = state
            unchecked = [c for c in unchecked if c["health"] == "unhealthy"]
            if not unchecked or time.monotonic() >= deadline:
                break
            time.sleep(1)

    bao = openbao(args.openbao_url.rstrip("/")) if args.openbao_url else None
    healthy = all(pod["state"] == "Running" and pod["containers"] for pod in pods) and all(
        c["state"] == "running" and c["health"] in ("healthy", "no check") for pod in pods for c in pod["containers"])
    if bao is not None:
        healthy = healthy and bao.get("initialized", False) and not bao.get("sealed", True)
    print(json.dumps({"pods": pods, "openbao": bao, "healthy": healthy, "lines": table(pods, bao)}))


if __name__ == "__main__":
    main()
