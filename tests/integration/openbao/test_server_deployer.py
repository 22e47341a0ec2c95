# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secrets role's OpenBao tasks (openbao.yml: init/unseal, deployer credential, bootstrap) on a real server.

After initialisation nothing uses the root token: the deployer credential (policy aegis-deployer, rendered from the
role's template) must allow every call of a rerun, and its policy must refuse what reruns do not do.
"""

from __future__ import annotations

import json
import os
import re
import stat
import textwrap

import hvac
import pytest

from openbao_harness import run_module, run_playbook

PLAYBOOK = """
- name: The secrets role's OpenBao tasks (integration test)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Initialise, unseal, log in as the deployer and bootstrap
      ansible.builtin.include_role:
        name: aegis.platform.secrets
        tasks_from: openbao.yml
"""


def changed(proc) -> int:
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return int(re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout).group(1))


@pytest.fixture(scope="module")
def site(fresh_bao, tmp_path_factory):
    work = tmp_path_factory.mktemp("deployer")
    (work / "config" / "secrets").mkdir(parents=True)
    playbook = work / "openbao.yml"
    playbook.write_text(textwrap.dedent(PLAYBOOK))
    extra = {"__aegis_openbao_url": fresh_bao.url, "aegis_secrets_dir": str(work / "secrets"),
             "aegis_config_dir": str(work / "config"), "aegis_name_prefix": "aegisit"}

    class Site:
        init_file = work / "secrets" / "openbao" / "init.json"
        deployer_file = work / "config" / "secrets" / "openbao-deployer.json"

        @staticmethod
        def run(*options):
            return run_playbook(playbook, extra, callback="default", options=options)

    first = Site.run()
    assert changed(first) > 0
    init = json.loads(Site.init_file.read_text())
    fresh_bao.root_token, fresh_bao.unseal_keys = init["root_token"], init["unseal_keys"]
    return Site


def capabilities(client: hvac.Client, path: str) -> set[str]:
    """The token's capabilities on ``path`` (sys/capabilities-self)."""
    answer = client.sys.get_capabilities([path])
    return set(answer.get("data", answer)[path])


def deployer(site, bao) -> hvac.Client:
    creds = json.loads(site.deployer_file.read_text())
    client = bao.hvac("")
    client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
    return client


def test_initialisation_leaves_a_root_only_deployer_credential_of_policy_aegis_deployer(site, fresh_bao):
    assert stat.S_IMODE(os.stat(site.deployer_file).st_mode) == 0o600 and os.stat(site.deployer_file).st_uid == 0
    token = deployer(site, fresh_bao).auth.token.lookup_self()["data"]
    assert token["policies"] == ["aegis-deployer", "default"] and token["ttl"] <= 3600
    assert "aegis-deployer" in fresh_bao.hvac().sys.list_acl_policies()["data"]["keys"]


def test_a_rerun_without_the_root_token_changes_nothing(site):
    os.rename(site.init_file, str(site.init_file) + ".away")
    try:
        assert changed(site.run()) == 0
    finally:
        os.rename(str(site.init_file) + ".away", site.init_file)


def test_the_deployer_repairs_mounts_policy_role_and_secret_id_removed_by_hand(site, fresh_bao):
    root = fresh_bao.hvac()
    root.sys.disable_secrets_engine("secret")
    root.sys.delete_policy("aegis-platform")
    root.auth.approle.delete_role("aegis-platform")
    os.rename(site.init_file, str(site.init_file) + ".away")
    try:
        repair = site.run()
        assert changed(repair) == 2  # the bootstrap and the controller's copy of the new secret_id
        for change in ("KV engine secret/", "policy aegis-platform", "role aegis-platform",
                       "secret ID of aegis-platform"):
            assert '"%s"' % change in repair.stdout, repair.stdout[-3000:]
        assert changed(site.run()) == 0
    finally:
        os.rename(str(site.init_file) + ".away", site.init_file)
    assert "secret/" in root.sys.list_mounted_secrets_engines()["data"]


def test_the_deployer_may_do_what_the_iam_role_and_a_lockout_need(site, fresh_bao):
    client = deployer(site, fresh_bao)
    result = run_module("openbao_mount", url=fresh_bao.url, token=client.token, kind="auth", path="oidc", type="oidc")
    assert result["changed"] and not result.get("failed"), result
    for path in ("auth/oidc/config", "auth/oidc/role/default", "secret/data/aegis/keycloak/aegis-orchestrator"):
        assert {"create", "read", "update"} <= capabilities(client, path), path
    client.read("sys/locked-users")
    client.read("sys/auth/approle")


@pytest.mark.parametrize("path", ["secret/data/elsewhere/x", "sys/policies/acl/aegis-deployer", "sys/mounts/other",
                                  "auth/approle/role/aegis-deployer/secret-id", "sys/storage/raft/snapshot"])
def test_the_deployer_may_not_do_more(site, fresh_bao, path):
    allowed = capabilities(deployer(site, fresh_bao), path)
    assert not allowed & {"create", "update", "delete", "sudo", "root"}, allowed


def test_a_deployment_without_a_deployer_gets_one_once_with_the_root_token(site, fresh_bao):
    root = fresh_bao.hvac()
    root.auth.approle.delete_role("aegis-deployer")
    root.sys.delete_policy("aegis-deployer")
    site.deployer_file.unlink()
    assert changed(site.run("--check")) > 0  # says so, creates nothing
    assert not site.deployer_file.exists() and "aegis-deployer" not in root.sys.list_acl_policies()["data"]["keys"]
    assert changed(site.run()) > 0
    assert changed(site.run()) == 0
    assert changed(site.run("--check")) == 0
    deployer(site, fresh_bao)


def test_a_deployer_policy_edited_by_hand_is_put_back_with_the_root_token(site, fresh_bao):
    fresh_bao.hvac().sys.create_or_update_policy("aegis-deployer", 'path "secret/data/*" { capabilities = ["read"] }')
    assert changed(site.run()) > 0
    assert changed(site.run()) == 0
    assert "sys/policies/acl/aegis-platform" in fresh_bao.hvac().sys.read_policy("aegis-deployer")["data"]["rules"]


def test_a_destroyed_deployer_secret_id_is_replaced_and_without_root_token_the_message_says_so(site, fresh_bao):
    held = json.loads(site.deployer_file.read_text())
    fresh_bao.hvac().auth.approle.destroy_secret_id("aegis-deployer", held["secret_id"])
    os.rename(site.init_file, str(site.init_file) + ".away")
    try:
        refused = site.run()
    finally:
        os.rename(str(site.init_file) + ".away", site.init_file)
    assert refused.returncode != 0
    assert "no longer logs in" in refused.stdout + refused.stderr and "aegis_secrets_root_token" in refused.stdout
    assert changed(site.run()) > 0
    assert json.loads(site.deployer_file.read_text())["secret_id"] != held["secret_id"]
    assert changed(site.run()) == 0
