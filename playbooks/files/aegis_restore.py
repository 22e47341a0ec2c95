# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore the data of the AEGIS pods on this host from a backup directory (playbooks/restore.yml).

  verify   --dir D --items JSON                 sha256 and size of every item, before anything is touched
  volumes  --dir D --volume V ...               replace each volume by its tarball (its pod must be removed)
  database --dir D --container C --superuser U  globals, then each database with pg_restore --clean --create
  openbao  --dir D --url URL                    POST the raft snapshot to sys/storage/raft/snapshot-force;
                                                the token is read from standard input

Exits non-zero with a message naming what failed.
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


def run(args, stdin=None, check=True):
    result = subprocess.run(args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if check and result.returncode != 0:
        raise Failure("%s failed (rc=%s): %s" % (" ".join(args[:4]), result.returncode,
                                                 result.stderr.decode(errors="replace").strip()[-1500:]))
    return result


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(directory, items):
    bad = []
    for entry in items:
        path = os.path.join(directory, entry["path"])
        if not os.path.isfile(path):
            bad.append("%s: missing" % entry["path"])
        elif os.path.getsize(path) != entry["size"] or sha256(path) != entry["sha256"]:
            bad.append("%s: size or sha256 differs from the manifest" % entry["path"])
    if bad:
        raise Failure("the backup is damaged, nothing was changed: " + "; ".join(bad))


def volumes(directory, names):
    for name in names:
        users = run(["podman", "ps", "-a", "--filter", "volume=" + name, "--format", "{{.Names}}"]).stdout.decode().split()
        if users:
            raise Failure("volume %s is still used by %s; remove those containers first" % (name, ", ".join(users)))
    for name in names:
        if run(["podman", "volume", "exists", name], check=False).returncode == 0:
            run(["podman", "volume", "rm", name])
        run(["podman", "volume", "create", name])
        run(["podman", "volume", "import", name, os.path.join(directory, "volumes", name + ".tar")])


def database(directory, container, superuser, port, names):
    # PGPORT: the client tools connect to the socket of the port the server listens on.
    exec_pg = ["podman", "exec", "-i", "-u", "postgres", "-e", "PGPORT=%d" % port, container]
    psql = exec_pg + ["psql", "-U", superuser, "-d", "postgres", "-X", "-q"]
    # Roles first (their SCRAM verifiers included). Every role that exists already (the superuser at least)
    # answers "already exists" to its CREATE ROLE and is still set by the ALTER ROLE that follows.
    with open(os.path.join(directory, "database", "globals.sql"), "rb") as handle:
        result = run(psql, stdin=handle)
    errors = [line for line in result.stderr.decode(errors="replace").splitlines()
              if "ERROR:" in line and "already exists" not in line]
    if errors:
        raise Failure("restoring the PostgreSQL roles failed: " + "; ".join(errors[:10]))
    for name in names:
        # DROP DATABASE needs the database to be idle: end the sessions other pods left (they are stopped).
        run(psql + ["-c", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = '%s' AND pid <> pg_backend_pid()" % name.replace("'", "''")])
        with open(os.path.join(directory, "database", name + ".dump"), "rb") as handle:
            run(exec_pg + ["pg_restore", "-U", superuser, "-d", "postgres", "--clean", "--if-exists", "--create",
                           "--exit-on-error"], stdin=handle)


def openbao(directory, url, token):
    if not token:
        raise Failure("no token on standard input for the OpenBao snapshot restore")
    path = os.path.join(directory, "openbao", "raft.snap")
    with open(path, "rb") as handle:
        request = urllib.request.Request(url + "/v1/sys/storage/raft/snapshot-force", data=handle, method="POST",
                                         headers={"X-Vault-Token": token,
                                                  "Content-Length": str(os.path.getsize(path))})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise Failure("OpenBao at %s refused the snapshot: HTTP %s %s"
                          % (url, exc.code, exc.read().decode(errors="replace").strip()[:500]))
        except OSError as exc:
            raise Failure("OpenBao at %s is not reachable for the snapshot restore: %s" % (url, exc))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["verify", "volumes", "database", "openbao"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--items", default="[]", help="verify: manifest items of this host (JSON)")
    parser.add_argument("--volume", action="append", default=[])
    parser.add_argument("--container", default="")
    parser.add_argument("--superuser", default="aegis")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--database", action="append", default=[])
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    try:
        if args.action == "verify":
            verify(args.dir, json.loads(args.items))
        elif args.action == "volumes":
            volumes(args.dir, args.volume)
        elif args.action == "database":
            database(args.dir, args.container, args.superuser, args.port, args.database)
        else:
            openbao(args.dir, args.url.rstrip("/"), sys.stdin.readline().strip())
    except (Failure, OSError) as exc:
        sys.exit(str(exc))


if __name__ == "__main__":
    main()
