# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Save the data of the AEGIS pods on this host into a directory (playbooks/backup.yml), online:

- PostgreSQL: `pg_dumpall --globals-only` (roles with their SCRAM verifiers) and `pg_dump -Fc` of every database
  but `postgres` and the templates, through `podman exec -u postgres` (peer authentication, no password).
- OpenBao: a raft snapshot from GET /v1/sys/storage/raft/snapshot; the token is read from standard input, never
  from the command line or the environment (Ansible's `environment:` shows up in -vvv logs).
- Other named volumes: `podman volume export`, with their pod paused meanwhile (a crash-consistent copy).

Prints {"items": [{pod, kind, name, path, size, sha256}]}: paths relative to the directory.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

CHUNK = 1 << 20


class Failure(Exception):
    pass


def podman(args, stdout=subprocess.PIPE, check=True):
    result = subprocess.run(["podman"] + args, stdout=stdout, stderr=subprocess.PIPE, check=False)
    if check and result.returncode != 0:
        raise Failure("podman %s failed (rc=%s): %s" % (" ".join(args[:3]), result.returncode,
                                                        result.stderr.decode(errors="replace").strip()[-1000:]))
    return result


def to_file(path, args):
    """Run podman with stdout into a new 0600 file."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        podman(args, stdout=handle)


def item(root, pod, kind, name, path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return {"pod": pod, "kind": kind, "name": name, "path": os.path.relpath(path, root),
            "size": os.path.getsize(path), "sha256": digest.hexdigest()}


def backup_database(root, container, superuser, port):
    # PGPORT: the client tools connect to the socket of the port the server listens on.
    exec_pg = ["exec", "-u", "postgres", "-e", "PGPORT=%d" % port, container]
    items = []
    path = os.path.join(root, "database", "globals.sql")
    to_file(path, exec_pg + ["pg_dumpall", "-U", superuser, "--globals-only"])
    items.append(item(root, "database", "postgres-globals", "globals", path))
    query = ("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres' "
             "ORDER BY 1")
    names = podman(exec_pg + ["psql", "-U", superuser, "-d", "postgres", "-AtX", "-c", query]).stdout.decode().split()
    for name in names:
        path = os.path.join(root, "database", name + ".dump")
        to_file(path, exec_pg + ["pg_dump", "-U", superuser, "-Fc", "-d", name])
        items.append(item(root, "database", "postgres-database", name, path))
    return items


def backup_openbao(root, url, token):
    if not token:
        raise Failure("no token on standard input: the OpenBao snapshot needs the root token "
                      "(aegis_secrets_dir/openbao/init.json or aegis_secrets_root_token)")
    path = os.path.join(root, "openbao", "raft.snap")
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    request = urllib.request.Request(url + "/v1/sys/storage/raft/snapshot", headers={"X-Vault-Token": token})
    try:
        with urllib.request.urlopen(request, timeout=300) as response, \
                open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            for block in iter(lambda: response.read(CHUNK), b""):
                handle.write(block)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()[:500]
        hint = " (sealed? rerun site.yml to unseal)" if exc.code == 503 else ""
        raise Failure("OpenBao at %s refused the raft snapshot: HTTP %s %s%s" % (url, exc.code, detail, hint))
    except OSError as exc:
        raise Failure("OpenBao at %s is not reachable for the raft snapshot: %s" % (url, exc))
    if os.path.getsize(path) == 0:
        raise Failure("OpenBao at %s returned an empty raft snapshot" % url)
    return [item(root, "secrets", "openbao-raft-snapshot", "raft", path)]


def backup_volumes(root, pod_volumes, pause):
    """pod_volumes: {pod name: [(pod key, volume)]}; volumes that do not exist are skipped."""
    items = []
    running = {pod["Name"]: pod["Status"] for pod in json.loads(podman(["pod", "ps", "--format", "json"]).stdout or b"[]")}
    for pod, volumes in pod_volumes.items():
        existing = [(key, volume) for key, volume in volumes if podman(["volume", "exists", volume], check=False).returncode == 0]
        if not existing:
            continue
        paused = pause and running.get(pod) == "Running"
        if paused:
            podman(["pod", "pause", pod])
        try:
            for key, volume in existing:
                path = os.path.join(root, "volumes", volume + ".tar")
                os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
                podman(["volume", "export", volume, "--output", path])
                os.chmod(path, 0o600)
                items.append(item(root, key, "volume", volume, path))
        finally:
            if paused:
                podman(["pod", "unpause", pod])
    return items


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dest", required=True)
    parser.add_argument("--database-container", default="")
    parser.add_argument("--database-superuser", default="aegis")
    parser.add_argument("--database-port", type=int, default=5432)
    parser.add_argument("--openbao-url", default="", help="OpenBao base URL; the token is read from stdin")
    parser.add_argument("--volume", action="append", default=[], help="POD_KEY:POD_NAME:VOLUME (repeat)")
    parser.add_argument("--pause", action="store_true", help="pause a pod while its volumes are exported")
    args = parser.parse_args()
    os.umask(0o077)
    root = os.path.abspath(args.dest)
    pod_volumes = {}
    for spec in args.volume:
        key, pod, volume = spec.split(":", 2)
        pod_volumes.setdefault(pod, []).append((key, volume))
    try:
        items = []
        if args.database_container:
            items += backup_database(root, args.database_container, args.database_superuser, args.database_port)
        if args.openbao_url:
            items += backup_openbao(root, args.openbao_url.rstrip("/"), sys.stdin.readline().strip())
        items += backup_volumes(root, pod_volumes, args.pause)
    except Failure as exc:
        sys.exit(str(exc))
    print(json.dumps({"items": items}))


if __name__ == "__main__":
    main()
