"""Helpers for the keycloak_realm integration tests: the real server, its request record, reads of its state
through the admin API (not recorded), and running the module via ansible-playbook."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import aegis_system  # noqa: E402
from kc_server import ROOT, Keycloak, RecordingProxy  # noqa: E402

ADMIN_USER = "admin"
ADMIN_PASSWORD = "Kc-Admin-Pw-4242"
VENV = ROOT / ".venv" / "bin"
WRITE_METHODS = ("POST", "PUT", "DELETE")


class Server:
    """Real Keycloak behind the recording proxy. ``url`` is what the module talks to (recorded); ``api`` reads
    and changes the server directly, as a person with the admin console would (not recorded)."""

    def __init__(self, keycloak: Keycloak, proxy: RecordingProxy) -> None:
        self.keycloak = keycloak
        self.proxy = proxy
        self.url = proxy.url
        self.created: Dict[str, Any] = {}

    def clear_requests(self) -> None:
        self.proxy.clear()

    def requests(self) -> List[Dict[str, Any]]:
        return self.proxy.seen()

    def writes(self) -> List[Dict[str, Any]]:
        """Admin API writes (the token POST is not a write to the realm)."""
        return [r for r in self.requests() if r["method"] in WRITE_METHODS and r["path"].startswith("/admin/")]

    def token(self) -> str:
        data = urllib.parse.urlencode({"grant_type": "password", "client_id": "admin-cli",
                                       "username": ADMIN_USER, "password": ADMIN_PASSWORD}).encode()
        with urllib.request.urlopen(self.keycloak.url + "/realms/master/protocol/openid-connect/token",
                                    data=data, timeout=30) as response:
            return json.loads(response.read())["access_token"]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """One admin API call straight to the server; None for 404."""
        request = urllib.request.Request(
            self.keycloak.url + "/admin/realms" + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": "Bearer " + self.token(), "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                location = response.headers.get("Location") or ""
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            raise AssertionError("%s %s: HTTP %s %s" % (method, path, err.code, err.read()[:500]))
        return json.loads(raw) if raw else location.rsplit("/", 1)[-1]

    def drop_realm(self, realm: str) -> None:
        if self.api("GET", "/" + realm) is not None:
            self.api("DELETE", "/" + realm)

    def realm_exists(self, realm: str) -> bool:
        return self.api("GET", "/" + realm) is not None

    def snapshot(self, realm: str) -> Dict[str, Any]:
        """Everything a check-mode run must leave as it was: the realm export and its users."""
        export = self.api("POST", "/%s/partial-export?exportClients=true&exportGroupsAndRoles=true" % realm)
        return {"export": export, "users": self.api("GET", "/%s/users?briefRepresentation=false" % realm)}


def auth_args(server: Server, **overrides: Any) -> Dict[str, Any]:
    args = {"auth_keycloak_url": server.url, "auth_username": ADMIN_USER, "auth_password": ADMIN_PASSWORD}
    args.update(overrides)
    return args


class ModuleRunner:
    """Runs aegis.platform.keycloak_realm as Ansible does: a one-task playbook through ansible-playbook."""

    def __init__(self, tmp_path: pathlib.Path) -> None:
        self.tmp_path = tmp_path
        self.count = 0
        self.last_stdout = ""

    def __call__(self, args: Dict[str, Any], check: bool = False, diff: bool = False) -> Dict[str, Any]:
        return self.many([args], check=check, diff=diff)[0]

    def many(self, calls: List[Dict[str, Any]], check: bool = False, diff: bool = False) -> List[Dict[str, Any]]:
        """Several module calls as tasks of one playbook (one ansible-playbook start). Task N registers
        ``rN``, so a later call can template an earlier result, e.g. ``"{{ r0.client_secrets.x }}"``."""
        self.count += 1
        playbook = self.tmp_path / ("play%d.yml" % self.count)
        tasks = [{"name": "call %d" % index, "aegis.platform.keycloak_realm": args, "check_mode": check,
                  "diff": diff, "ignore_errors": True, "register": "r%d" % index}
                 for index, args in enumerate(calls)]
        playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCAL_TEMP": str(self.tmp_path / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_CACHE_PLUGIN": "memory",
        })
        proc = subprocess.run(
            [str(VENV / "ansible-playbook"), "-i", "localhost,", "-c", "local",
             "-e", "ansible_python_interpreter=%s" % (VENV / "python"), str(playbook)],
            cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=300, check=False)
        self.last_stdout = proc.stdout
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook output is not JSON (rc %s):\n%s\n%s"
                                 % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        return [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]]


def full_args(server: Server, **changes: Any) -> Dict[str, Any]:
    args = dict(auth_args(server), **aegis_system.description())
    args.update(changes)
    return args


def client_entry(args: Dict[str, Any], client_id: str) -> Dict[str, Any]:
    return next(c for c in args["clients"] if c["client_id"] == client_id)


def find_client(server: Server, realm: str, client_id: str) -> Optional[Dict[str, Any]]:
    found = server.api("GET", "/%s/clients?clientId=%s" % (realm, urllib.parse.quote(client_id)))
    return found[0] if found else None


def find_user(server: Server, realm: str, username: str) -> Dict[str, Any]:
    return server.api("GET", "/%s/users?exact=true&username=%s" % (realm, urllib.parse.quote(username)))[0]
