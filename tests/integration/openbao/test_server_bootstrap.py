# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The whole bootstrap (docs/upstream.md, OpenBao bootstrap) through ansible-playbook on its own server.

First run initialises and configures everything, the second changes nothing; both at -vvv, whose output must not
contain the root token, an unseal key, the secret_id or a KV value. Then the request count of a no-op sequence.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from openbao_harness import AEGIS_PLATFORM_POLICY, run_module, run_playbook

PLAYBOOK = """
- name: OpenBao bootstrap (integration test)
  hosts: localhost
  gather_facts: false
  vars:
    state_file: "{{ workdir }}/bootstrap-state.json"
    stored: "{{ lookup('ansible.builtin.file', state_file) | from_json }}"
  module_defaults:
    group/aegis.platform.openbao:
      url: "{{ bao_url }}"
      token: "{{ stored.root_token | default(omit) }}"
  tasks:
    - name: Initialise and unseal
      aegis.platform.openbao_init:
        unseal_keys: "{{ stored.unseal_keys | default(omit) }}"
      register: init
      no_log: true

    - name: Keep the unseal keys and the root token
      ansible.builtin.copy:
        dest: "{{ state_file }}"
        content: "{{ {'unseal_keys': init.unseal_keys, 'root_token': init.root_token} | to_json }}"
        mode: "0600"
      when: init.root_token is defined
      no_log: true

    - name: KV v2 at secret/
      aegis.platform.openbao_mount:
        path: secret
        type: kv
        options:
          version: 2

    - name: AppRole auth method
      aegis.platform.openbao_mount:
        kind: auth
        path: approle
        type: approle

    - name: Policy aegis-platform
      aegis.platform.openbao_policy:
        name: aegis-platform
        policy: "{{ policy_text }}"

    - name: Role aegis-platform
      aegis.platform.openbao_approle_role:
        name: aegis-platform
        token_policies: [aegis-platform]
        token_ttl: 1h
        token_max_ttl: 4h

    - name: Secret ID (reuse while it logs in)
      aegis.platform.openbao_approle_secret_id:
        role_name: aegis-platform
        secret_id: "{{ stored.secret_id | default(omit) }}"
      register: sid
      no_log: true

    - name: Keep the new secret ID
      ansible.builtin.copy:
        dest: "{{ state_file }}"
        content: "{{ stored | combine({'secret_id': sid.secret_id, 'role_id': sid.role_id}) | to_json }}"
        mode: "0600"
      when: sid.secret_id_created
      no_log: true

    - name: Runtime credentials in KV
      aegis.platform.openbao_kv2_secret:
        path: aegis/approle
        data:
          role_id: "{{ stored.role_id }}"
          secret_id: "{{ stored.secret_id }}"
          note: "{{ kv_value }}"
"""

KV_VALUE = "kv-value-that-must-not-leak-5b1f"


def recap(output: str) -> dict[str, int]:
    match = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+"
                      r"skipped=(\d+)", output)
    assert match, output[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed", "skipped"), map(int, match.groups())))


@pytest.fixture(scope="module")
def bootstrap(fresh_bao, tmp_path_factory):
    work = tmp_path_factory.mktemp("bootstrap")
    (work / "bootstrap-state.json").write_text("{}")
    playbook = work / "bootstrap.yml"
    playbook.write_text(textwrap.dedent(PLAYBOOK))
    extra = {"workdir": str(work), "bao_url": fresh_bao.url, "policy_text": AEGIS_PLATFORM_POLICY,
             "kv_value": KV_VALUE}
    runs = [run_playbook(playbook, extra, verbosity=3, callback="default") for _attempt in range(2)]
    state = json.loads((work / "bootstrap-state.json").read_text())
    fresh_bao.root_token, fresh_bao.unseal_keys = state["root_token"], state["unseal_keys"]
    return runs, state


def test_first_run_bootstraps_second_changes_nothing(bootstrap, fresh_bao):
    (first, second), state = bootstrap
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-2000:]
    assert recap(first.stdout)["changed"] == 9
    assert recap(second.stdout) == {"ok": 7, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 2}
    login = fresh_bao.hvac("").auth.approle.login(role_id=state["role_id"], secret_id=state["secret_id"])
    assert "aegis-platform" in login["auth"]["policies"]
    stored = fresh_bao.hvac().secrets.kv.v2.read_secret_version(path="aegis/approle", raise_on_deleted_version=True)
    assert stored["data"]["data"]["secret_id"] == state["secret_id"]


def test_verbose_output_never_shows_secrets(bootstrap):
    runs, state = bootstrap
    secrets = [state["root_token"], state["secret_id"], KV_VALUE] + state["unseal_keys"]
    for proc in runs:
        output = proc.stdout + proc.stderr
        assert "<127.0.0.1>" in output or "ESTABLISH LOCAL CONNECTION" in output  # really -vvv
        for secret in secrets:
            assert secret not in output


def count_requests(monkeypatch) -> list[str]:
    """Record every HTTP request the module_utils client sends (method and path)."""
    from ansible_collections.aegis.platform.plugins.module_utils import openbao

    sent: list[str] = []
    real = openbao.Request

    class CountingRequest(real):
        def open(self, method, url, *args, **kwargs):
            sent.append("%s %s" % (method, url.split("/v1/", 1)[1]))
            return super().open(method, url, *args, **kwargs)

    monkeypatch.setattr(openbao, "Request", CountingRequest)
    return sent


def test_noop_bootstrap_request_count(bootstrap, fresh_bao, monkeypatch):
    state = bootstrap[1]
    sent = count_requests(monkeypatch)
    c = dict(url=fresh_bao.url, token=state["root_token"])
    results = [
        run_module("openbao_init", url=fresh_bao.url, unseal_keys=state["unseal_keys"]),
        run_module("openbao_mount", path="secret", type="kv", options={"version": 2}, **c),
        run_module("openbao_mount", kind="auth", path="approle", type="approle", **c),
        run_module("openbao_policy", name="aegis-platform", policy=AEGIS_PLATFORM_POLICY, **c),
        run_module("openbao_approle_role", name="aegis-platform", token_policies=["aegis-platform"], token_ttl="1h",
                   token_max_ttl="4h", **c),
        run_module("openbao_approle_secret_id", role_name="aegis-platform", secret_id=state["secret_id"], **c),
        run_module("openbao_kv2_secret", path="aegis/approle", data={
            "role_id": state["role_id"], "secret_id": state["secret_id"], "note": KV_VALUE}, **c),
    ]
    assert [r["changed"] for r in results] == [False] * 7, results
    assert sent == [
        "GET sys/seal-status",
        "GET sys/mounts/secret",
        "GET sys/auth/approle",
        "GET sys/policies/acl/aegis-platform",
        "GET auth/approle/role/aegis-platform",
        "GET auth/approle/role/aegis-platform/role-id",
        "POST auth/approle/role/aegis-platform/secret-id/lookup",
        "GET secret/data/aegis/approle",
    ]
    Path(fresh_bao.workdir / "noop-requests.txt").write_text("\n".join(sent))
