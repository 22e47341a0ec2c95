#!/usr/bin/env python3
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only state of the AEGIS pods on this host, as one JSON document (playbooks/status.yml).

One `podman pod ps`, one `podman healthcheck run` per running container (in parallel) and, when asked, one
unauthenticated GET of OpenBao's /v1/sys/health. With --fresh-since (site.yml: the time of its host probe, which
started every container's health check in the background), a pass podman recorded after that time is used
instead of running the check again. With --wait, checks that fail are run again, once a second, until they pass
or the time is up (site.yml starts some pods without waiting for them and waits here for all of them).
With --report CONTAINER=PORT, the container's own /health report (the AEGIS images list their dependencies
there) is read inside it too: a container whose health check passes (it stays up while a dependency is down, so
that no pod waits on another) still counts as unhealthy while it reports a dependency that is not `ok`.
Prints {"pods": [...], "openbao": {...}, "healthy": bool, "problems": [...], "lines": [table lines]}.
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


# GET /health inside the container with bash's /dev/tcp (the AEGIS images have neither curl nor wget).
REPORT_SCRIPT = ("exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 "
                 "&& cat <&3")
FINE = ("ok", "not configured")


def failing_dependencies(container, port):
    """{dependency: state} of the dependencies the container reports as neither ok nor not configured; None when
    it gives no such report (no JSON, no `dependencies` object)."""
    result = subprocess.run(["podman", "exec", container, "bash", "-c", REPORT_SCRIPT % port],
                            capture_output=True, text=True, timeout=30, check=False)
    try:
        # text=True has turned the answer's CRLFs into newlines.
        report = json.loads(re.split(r"\r?\n\r?\n", result.stdout, maxsplit=1)[1])
    except (IndexError, ValueError):
        return None
    dependencies = report.get("dependencies") if isinstance(report, dict) else None
    if not isinstance(dependencies, dict):
        return None
    return {name: str(state) for name, state in dependencies.items() if state not in FINE}


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
        good = sum(1 for c in pod["containers"] if c["health"] in ("healthy", "no check") and not c.get("failing"))
        rows.append((pod["name"], "(pod)", pod["state"],
                     "%d/%d healthy" % (good, len(pod["containers"])) if pod["containers"] else "-"))
        for container in pod["containers"]:
            health = container["health"] + ("; dependencies: " + ", ".join(sorted(container["failing"]))
                                            if container.get("failing") else "")
            rows.append((pod["name"], container["name"], container["state"], health))
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
    parser.add_argument("--report", action="append", default=[], metavar="CONTAINER=PORT",
                        help="container whose GET /health on PORT lists its dependencies (repeat)")
    args = parser.parse_args()
    reports = {name: int(port) for name, port in (item.rsplit("=", 1) for item in args.report)}

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
        # Dependencies start in any order: a report is read again until it is clean or the same time is up.
        reporting = [c for c in running if c["name"] in reports and c["health"] == "healthy"]
        while reporting:
            for container, failing in zip(reporting, pool.map(
                    lambda c: failing_dependencies(c["name"], reports[c["name"]]), reporting)):
                container["failing"] = failing or {}
            reporting = [c for c in reporting if c["failing"]]
            if not reporting or time.monotonic() >= deadline:
                break
            time.sleep(1)

    problems = ["%s reports %s" % (c["name"], ", ".join("%s: %s" % item for item in sorted(c["failing"].items())))
                for pod in pods for c in pod["containers"] if c.get("failing")]
    bao = openbao(args.openbao_url.rstrip("/")) if args.openbao_url else None
    healthy = all(pod["state"] == "Running" and pod["containers"] for pod in pods) and all(
        c["state"] == "running" and c["health"] in ("healthy", "no check") for pod in pods for c in pod["containers"])
    healthy = healthy and not problems
    if bao is not None:
        healthy = healthy and bao.get("initialized", False) and not bao.get("sealed", True)
    print(json.dumps({"pods": pods, "openbao": bao, "healthy": healthy, "problems": problems,
                      "lines": table(pods, bao) + problems}))


if __name__ == "__main__":
    main()
