# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_bootstrap on a real server, in order: --check on an empty server, a first run that fails after
initialising (the keys must still come back), the run that converges, and a no-op that only reads."""

from __future__ import annotations

import json
import os
import stat

import pytest

from openbao_harness import AEGIS_PLATFORM_POLICY, run_module
from ansible_collections.aegis.platform.plugins.module_utils import openbao

# Wide enough for every step; the role's own least-privilege policy is tested in test_server_deployer.py.
DEPLOYER_POLICY = """
path "sys/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "auth/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }
"""
KV_VALUE = "kv-value-never-logged"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return {"dir": tmp_path_factory.mktemp("bootstrap-module")}


def bootstrap(server, state, check=False, policy=AEGIS_PLATFORM_POLICY, **extra):
    return run_module(
        "openbao_bootstrap", check=check, url=server.url,
        deployer={"file": str(state["dir"] / "deployer.json"), "policy": DEPLOYER_POLICY},
        policies=[{"name": "aegis-platform", "policy": policy}],
        roles=[{"name": "aegis-platform", "token_policies": ["aegis-platform"], "token_ttl": "1h"}],
        secret_id={"role_name": "aegis-platform", "secret_id": state.get("secret_id")},
        kv_secrets=[{"path": "aegis/note", "data": {"note": KV_VALUE}}], **extra)


def test_check_mode_on_an_empty_server_says_it_would_initialise_and_does_not(fresh_bao, state):
    result = bootstrap(fresh_bao, state, check=True)
    assert result["changed"] and result["changes"] == ["initialised and unsealed"], result
    assert "root_token" not in result and not fresh_bao.hvac().sys.is_initialized()


def test_a_failure_after_initialising_still_returns_the_keys(fresh_bao, state):
    result = bootstrap(fresh_bao, state, policy='path "secret/*" { capabilities = ')  # not HCL
    assert result.get("failed") and "aegis-platform" in result["msg"], result
    assert result["unseal_keys"] and result["root_token"], "the only copy of the keys must reach the caller"
    # Done before the policy failed: kept, and not done again.
    assert result["changes"] == ["initialised and unsealed", "auth method approle/", "policy aegis-deployer",
                                 "role aegis-deployer", "deployer credential", "KV engine secret/"], result
    state.update(unseal_keys=result["unseal_keys"], root_token=result["root_token"])


def test_the_next_run_does_the_rest_with_the_deployer_credential(fresh_bao, state):
    result = bootstrap(fresh_bao, state, unseal_keys=state["unseal_keys"])  # no root token needed any more
    assert not result.get("failed"), result
    assert result["changes"] == ["policy aegis-platform", "role aegis-platform", "secret ID of aegis-platform",
                                 "KV secret aegis/note"]
    kept = state["dir"] / "deployer.json"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert json.loads(kept.read_text())["role_id"] == result["deployer"]["role_id"]
    assert result["secret_id"]["secret_id_created"] and result["secret_id"]["secret_id"]
    state["secret_id"] = result["secret_id"]["secret_id"]
    fresh_bao.root_token = state["root_token"]
    assert fresh_bao.hvac().secrets.kv.v2.read_secret("aegis/note")["data"]["data"] == {"note": KV_VALUE}


def test_a_noop_without_the_root_token_only_reads(fresh_bao, state, monkeypatch):
    sent = []

    class CountingRequest(openbao.Request):
        def open(self, method, url, *args, **kwargs):
            sent.append("%s %s" % (method, url.split("/v1/", 1)[1]))
            return super().open(method, url, *args, **kwargs)

    monkeypatch.setattr(openbao, "Request", CountingRequest)
    result = bootstrap(fresh_bao, state, unseal_keys=state["unseal_keys"])
    assert not result.get("failed") and result["changed"] is False and result["changes"] == [], result
    assert "secret_id" not in result["secret_id"] and result["deployer"]["token"]
    assert sent == [
        "GET sys/seal-status",
        "POST auth/approle/login",  # the deployer's token; the only other POST is a lookup
        "GET sys/policies/acl/aegis-deployer",
        "GET sys/mounts/secret",
        "GET sys/auth/approle",
        "GET sys/policies/acl/aegis-platform",
        "GET auth/approle/role/aegis-platform",
        "LIST sys/policies/acl",
        "GET auth/approle/role/aegis-platform/role-id",
        "POST auth/approle/role/aegis-platform/secret-id/lookup",
        "GET secret/data/aegis/note",
    ]


def test_a_sealed_server_without_keys_says_what_it_needs(fresh_bao, state):
    fresh_bao.restart()  # comes back sealed
    result = bootstrap(fresh_bao, state)
    assert result.get("failed") and result["needs"] == "unseal_keys", result
    assert bootstrap(fresh_bao, state, unseal_keys=state["unseal_keys"])["changes"] == ["unsealed"]


def test_kv2_get_logs_in_with_the_kept_credential(fresh_bao, state):
    kept = str(state["dir"] / "deployer.json")
    result = run_module("openbao_kv2_get", url=fresh_bao.url, approle_file=kept, path="aegis/note")
    assert result["data"] == {"note": KV_VALUE}, result
    missing = run_module("openbao_kv2_get", url=fresh_bao.url, approle_file=kept + ".absent", path="aegis/note")
    assert missing["failed"] and missing["msg"].startswith("no AppRole credential"), missing
