"""Helpers for the keycloak_realm integration tests: emulator access and running the module via ansible-playbook."""

from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess
import sys
from typing import Any, Dict, List, Optional

ROOT = pathlib.Path(__file__).resolve().parents[3]
# The emulator is the iam pod's local stand-in image; its source lives in that build context.
sys.path.insert(0, str(ROOT / "roles" / "images" / "files" / "containerfiles" / "standin_keycloak"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from keycloak_emulator import Keycloak, RunningEmulator, start_in_thread  # noqa: E402

import aegis_system  # noqa: E402

ADMIN_USER = "admin"
ADMIN_PASSWORD = "Emu-Admin-Pw-4242"
VENV = ROOT / ".venv" / "bin"
WRITE_METHODS = ("POST", "PUT", "DELETE")


class Emu:
    """The running emulator plus helpers to read its request log and save/restore its state."""

    def __init__(self, running: RunningEmulator) -> None:
        self.running = running
        self.emulator = running.emulator
        self.url = running.url

    def clear_requests(self) -> None:
        with self.emulator.lock:
            self.emulator.requests.clear()

    def requests(self) -> List[Dict[str, Any]]:
        with self.emulator.lock:
            return [dict(r) for r in self.emulator.requests]

    def writes(self) -> List[Dict[str, Any]]:
        """Admin API writes (the token POST is not a write to the realm)."""
        return [r for r in self.requests() if r["method"] in WRITE_METHODS and r["path"].startswith("/admin/")]

    def save_state(self) -> Dict[str, Any]:
        with self.emulator.lock:
            return copy.deepcopy(self.emulator.keycloak.state)

    def restore_state(self, state: Dict[str, Any]) -> None:
        with self.emulator.lock:
            self.emulator.keycloak = Keycloak(copy.deepcopy(state))
            self.emulator.config.update({"token_lifespan": None, "token_max_uses": None})
            self.emulator.requests.clear()

    def realm(self, name: str) -> Dict[str, Any]:
        return self.emulator.keycloak.state["realms"][name]


def auth_args(emu: Emu, **overrides: Any) -> Dict[str, Any]:
    args = {"auth_keycloak_url": emu.url, "auth_username": ADMIN_USER, "auth_password": ADMIN_PASSWORD}
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
            cwd=str(ROOT), env=env, capture_output=True, text=True, timeout=120)
        self.last_stdout = proc.stdout
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook output is not JSON (rc %s):\n%s\n%s"
                                 % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        return [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]]


def full_args(emu: Emu, **changes: Any) -> Dict[str, Any]:
    args = dict(auth_args(emu), **aegis_system.description())
    args.update(changes)
    return args


def client_entry(args: Dict[str, Any], client_id: str) -> Dict[str, Any]:
    return next(c for c in args["clients"] if c["client_id"] == client_id)


def find_client(emu: Emu, realm: str, client_id: str) -> Optional[Dict[str, Any]]:
    return next((c for c in emu.realm(realm)["clients"].values() if c["clientId"] == client_id), None)
