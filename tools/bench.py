#!/usr/bin/env python3
"""`make bench`: the whole site against a raw podman baseline (a benchmark, not a test).

1. cold converge of playbooks/site.yml (images already present), 2. no-op rerun (time and changed count),
3. single-pod upgrade (one setting of the core pod changed; which containers were recreated),
4. the baseline: the very `podman pod create` / `podman create` commands the converge ran (read back from
   podman), replayed by a plain script on fresh volumes, then started and waited to healthy.
Runs beside a live deployment under its own prefix, network and bind address.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PREFIX = "aegisbench"
PODS = ["database", "secrets", "iam", "storage", "observability", "temporal", "core", "seal-gateway"]


def podman(*args, check=True):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)


def site(secrets, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    args = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", str(ROOT / "inventories" / "local"),
            str(ROOT / "playbooks" / "site.yml"), "-e", "aegis_name_prefix=" + PREFIX, "-e", "aegis_bind_address=127.0.0.3",
            "-e", "aegis_secrets_dir=" + secrets, *extra]
    start = time.monotonic()
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        sys.exit("site.yml failed:\n" + result.stdout[-3000:])
    changed = re.findall(r"changed=(\d+)", result.stdout)
    return elapsed, int(changed[-1]) if changed else -1


def containers_of(pod):
    out = podman("ps", "-a", "--filter", "pod=" + pod, "--format", "json").stdout
    return [c for c in json.loads(out or "[]") if not c.get("IsInfra")]


def teardown(volumes=True):
    for pod in PODS:
        podman("pod", "rm", "-f", "-t", "0", "%s-%s" % (PREFIX, pod), check=False)
    if volumes:
        names = podman("volume", "ls", "--format", "{{.Name}}").stdout.split()
        for name in names:
            if name.startswith(PREFIX + "-"):
                podman("volume", "rm", "-f", name, check=False)


def ready(name):
    """Healthy; for OpenBao, serving (a recreated OpenBao is sealed: `bao status` exits 2, the health check fails)."""
    if name.endswith("-secrets-openbao"):
        return podman("exec", name, "bao", "status", check=False).returncode in (0, 2)
    return podman("healthcheck", "run", name, check=False).returncode == 0


def wait_healthy(names, timeout=300):
    def probe(name):
        deadline = time.monotonic() + timeout
        while not ready(name):
            if time.monotonic() > deadline:
                raise SystemExit("baseline: %s not healthy after %ss" % (name, timeout))
            time.sleep(0.5)
    threads = [threading.Thread(target=probe, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main():
    secrets = tempfile.mkdtemp(prefix="aegis-bench-")
    try:
        teardown()
        cold, _ = site(secrets)
        noop, noop_changed = site(secrets)

        ids = {c["Names"][0]: c["Id"] for pod in PODS for c in containers_of("%s-%s" % (PREFIX, pod))}
        upgrade, upgrade_changed = site(secrets, "-e", "aegis_core_rust_log=debug")
        after = {c["Names"][0]: c["Id"] for pod in PODS for c in containers_of("%s-%s" % (PREFIX, pod))}
        recreated = sorted(name for name in ids if after.get(name) != ids[name])

        # The baseline replays what the converge created, in the same order, on fresh volumes.
        script = []
        checked = []
        for pod in PODS:
            name = "%s-%s" % (PREFIX, pod)
            info = json.loads(podman("pod", "inspect", name, "--format", "json").stdout)
            info = info[0] if isinstance(info, list) else info
            script.append(info["CreateCommand"])
            for container in containers_of(name):
                detail = json.loads(podman("inspect", container["Id"], "--format", "json").stdout)[0]
                script.append(detail["Config"]["CreateCommand"])
                if detail["Config"].get("Healthcheck"):
                    checked.append(container["Names"][0])
            script.append(["podman", "pod", "start", name])
        teardown()
        start = time.monotonic()
        for command in script:
            subprocess.run(command, capture_output=True, check=True)
        wait_healthy(checked)
        raw = time.monotonic() - start
    finally:
        teardown()
        podman("network", "rm", "-f", PREFIX + "-network", check=False)
        shutil.rmtree("/etc/" + PREFIX, ignore_errors=True)
        shutil.rmtree(secrets, ignore_errors=True)

    print("pods / containers            : %d / %d" % (len(PODS), len(ids)))
    print("site cold converge           : %6.1f s  (includes OpenBao init and the realm bootstrap)" % cold)
    print("raw podman replay (baseline) : %6.1f s  (same pods and containers, to healthy; no bootstraps)" % raw)
    print("ratio cold / raw             : %6.2f" % (cold / raw))
    print("site no-op rerun             : %6.1f s  changed=%d" % (noop, noop_changed))
    print("single-pod upgrade (core)    : %6.1f s  changed=%d, recreated: %s" % (upgrade, upgrade_changed, ", ".join(recreated)))


if __name__ == "__main__":
    main()
