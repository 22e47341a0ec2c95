# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# pylint reads dict(args, key=value) as passing key twice:
# pylint: disable=repeated-keyword
"""openbao_policy, and what the aegis-platform policy allows and denies."""

from __future__ import annotations

import hvac.exceptions
import pytest

from openbao_harness import AEGIS_PLATFORM_POLICY, conn, run_module

POLICY = 'path "secret/data/p1/*" {\n  capabilities = ["read"]\n}\n'


def stored(server, name):
    try:
        return server.hvac().sys.read_acl_policy(name)["data"]["policy"]
    except hvac.exceptions.InvalidPath:
        return None


def test_policy_create_noop_update_check_mode_and_absent(bao):
    args = conn(bao, name="P-One", policy=POLICY)
    planned = run_module("openbao_policy", check=True, diff=True, **args)
    assert planned["changed"] is True and planned["diff"]["before"] == "" and planned["name"] == "p-one"
    assert stored(bao, "p-one") is None

    assert run_module("openbao_policy", **args)["changed"] is True
    assert stored(bao, "p-one") == POLICY

    # Formatting only (trailing spaces, blank lines, CRLF): no write.
    reformatted = "\n\n" + POLICY.replace("\n", "   \r\n").replace("{", "{\n") + "\n\n"
    assert run_module("openbao_policy", **dict(args, policy=reformatted))["changed"] is False
    assert stored(bao, "p-one") == POLICY

    changed = POLICY.replace('["read"]', '["read", "list"]')
    planned = run_module("openbao_policy", check=True, diff=True, **dict(args, policy=changed))
    assert planned["changed"] is True and planned["diff"]["after"] == changed
    assert stored(bao, "p-one") == POLICY
    assert run_module("openbao_policy", **dict(args, policy=changed))["changed"] is True
    assert stored(bao, "p-one") == changed

    assert run_module("openbao_policy", check=True, **dict(args, state="absent"))["changed"] is True
    assert stored(bao, "p-one") == changed
    assert run_module("openbao_policy", **dict(args, state="absent"))["changed"] is True
    assert stored(bao, "p-one") is None
    assert run_module("openbao_policy", **dict(args, state="absent"))["changed"] is False


def test_present_without_text_fails(bao):
    result = run_module("openbao_policy", **conn(bao, name="p-two"))
    assert result["failed"] and "policy (the HCL text) is required" in result["msg"]


@pytest.fixture(scope="module")
def platform_token(kv):
    policy = run_module("openbao_policy", **conn(kv, name="aegis-platform", policy=AEGIS_PLATFORM_POLICY))
    assert not policy.get("failed")
    return kv.hvac().auth.token.create(policies=["aegis-platform"], ttl="10m")["auth"]["client_token"]


@pytest.mark.parametrize("path", ["aegis/x", "aegis/keycloak/aegis-orchestrator", "tenants/t1/db"])
def test_aegis_platform_policy_allows_platform_paths(kv, platform_token, path):
    result = run_module("openbao_kv2_secret", url=kv.url, token=platform_token, path=path,
                        data={"value": "allowed-value-1"})
    assert result["changed"] is True and not result.get("failed"), result
    client = kv.hvac(platform_token)
    assert client.secrets.kv.v2.read_secret_version(path=path, raise_on_deleted_version=True)["data"]["data"] == \
        {"value": "allowed-value-1"}


@pytest.mark.parametrize("path", ["other", "aegisx/y"])
def test_aegis_platform_policy_denies_other_paths(kv, platform_token, path):
    result = run_module("openbao_kv2_secret", url=kv.url, token=platform_token, path=path,
                        data={"value": "denied-value-1"})
    assert result["failed"]
    assert "permission denied" in result["msg"] and "token lacks capability on secret/data/%s" % path in result["msg"]
    assert platform_token not in result["msg"]
    with pytest.raises(hvac.exceptions.Forbidden):
        kv.hvac(platform_token).secrets.kv.v2.read_secret_version(path=path, raise_on_deleted_version=True)
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.hvac().secrets.kv.v2.read_secret_version(path=path, raise_on_deleted_version=True)


def test_aegis_platform_policy_reads_but_does_not_write_system_paths(kv, platform_token):
    denied = run_module("openbao_kv2_secret", url=kv.url, token=platform_token, path="system/flag",
                        data={"value": "denied-value-2"})
    assert denied["failed"] and "token lacks capability on secret/data/system/flag" in denied["msg"]
    assert run_module("openbao_kv2_secret", **conn(kv, path="system/flag", data={"value": "root-wrote-it"}))["changed"]
    client = kv.hvac(platform_token)
    assert client.secrets.kv.v2.read_secret_version(path="system/flag", raise_on_deleted_version=True)["data"]["data"] \
        == {"value": "root-wrote-it"}
