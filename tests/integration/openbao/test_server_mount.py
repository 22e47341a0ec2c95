# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# pylint reads dict(args, key=value) as passing key twice:
# pylint: disable=repeated-keyword
"""openbao_mount against the shared server (each test uses its own mount paths)."""

from __future__ import annotations

from openbao_harness import conn, run_module


def secret_mounts(server):
    return server.hvac().sys.list_mounted_secrets_engines()["data"]


def auth_mounts(server):
    return server.hvac().sys.list_auth_methods()["data"]


def test_kv_mount_create_noop_tune_and_check_mode(bao):
    args = conn(bao, path="kv-m1", type="kv", options={"version": 2}, config={"default_lease_ttl": "1h"})

    planned = run_module("openbao_mount", check=True, diff=True, **args)
    assert planned["changed"] is True and planned["diff"]["before"] == {}
    assert "kv-m1/" not in secret_mounts(bao)

    created = run_module("openbao_mount", **args)
    assert created["changed"] is True and created["mount"]["options"] == {"version": "2"}
    mount = secret_mounts(bao)["kv-m1/"]
    assert mount["type"] == "kv" and mount["options"] == {"version": "2"}
    assert mount["config"]["default_lease_ttl"] == 3600

    # The same settings in other spellings are a no-op.
    for ttl in ("1h", "60m", 3600, "3600"):
        same = run_module("openbao_mount", **dict(args, options={"version": "2"}, config={"default_lease_ttl": ttl}))
        assert same["changed"] is False, (ttl, same)

    update = dict(args, description="AEGIS KV", config={"default_lease_ttl": "1h", "max_lease_ttl": "4h"})
    planned = run_module("openbao_mount", check=True, diff=True, **update)
    assert planned["changed"] is True
    assert planned["diff"]["before"]["config"] == {"default_lease_ttl": 3600, "max_lease_ttl": 0}
    assert planned["diff"]["after"]["config"] == {"default_lease_ttl": 3600, "max_lease_ttl": 14400}
    assert secret_mounts(bao)["kv-m1/"]["description"] == ""

    tuned = run_module("openbao_mount", **update)
    assert tuned["changed"] is True
    mount = secret_mounts(bao)["kv-m1/"]
    assert mount["description"] == "AEGIS KV" and mount["config"]["max_lease_ttl"] == 14400
    assert run_module("openbao_mount", **update)["changed"] is False


def test_other_type_at_path_fails_and_changes_nothing(bao):
    run_module("openbao_mount", **conn(bao, path="kv-m2", type="kv", options={"version": 2}))
    result = run_module("openbao_mount", **conn(bao, path="kv-m2", type="transit"))
    assert result["failed"]
    assert result["msg"].startswith("kv-m2/ already holds a kv mount, not transit: nothing changed")
    refused = run_module("openbao_mount", **conn(bao, path="kv-m2", type="transit", state="absent"))
    assert refused["failed"] and "holds a kv mount, not transit: nothing removed" in refused["msg"]
    assert secret_mounts(bao)["kv-m2/"]["type"] == "kv"


def test_invalid_ttl_fails_before_any_write(bao):
    result = run_module("openbao_mount", **conn(bao, path="kv-m3", type="kv", config={"max_lease_ttl": "4 hours"}))
    assert result["failed"] and "config.max_lease_ttl: invalid duration '4 hours'" in result["msg"]
    assert "kv-m3/" not in secret_mounts(bao)


def test_auth_method_create_tune_and_remove(bao):
    args = conn(bao, kind="auth", path="approle-m", type="approle", config={"default_lease_ttl": "30m"})
    assert run_module("openbao_mount", **args)["changed"] is True
    assert auth_mounts(bao)["approle-m/"]["config"]["default_lease_ttl"] == 1800
    assert run_module("openbao_mount", **args)["changed"] is False
    tuned = run_module("openbao_mount", **dict(args, config={"default_lease_ttl": "45m", "token_type": "batch"}))
    assert tuned["changed"] is True
    assert auth_mounts(bao)["approle-m/"]["config"]["default_lease_ttl"] == 2700

    planned = run_module("openbao_mount", check=True, **dict(args, state="absent"))
    assert planned["changed"] is True and "approle-m/" in auth_mounts(bao)
    assert run_module("openbao_mount", **dict(args, state="absent"))["changed"] is True
    assert "approle-m/" not in auth_mounts(bao)
    assert run_module("openbao_mount", **dict(args, state="absent"))["changed"] is False


def test_kv_upgrade_v1_to_v2_in_place(bao):
    run_module("openbao_mount", **conn(bao, path="kv-m4", type="kv", options={"version": 1}))
    upgraded = run_module("openbao_mount", diff=True, **conn(bao, path="kv-m4", type="kv-v2"))
    assert upgraded["changed"] is True and upgraded["diff"]["after"]["options"] == {"version": "2"}
    assert secret_mounts(bao)["kv-m4/"]["options"] == {"version": "2"}
    assert run_module("openbao_mount", **conn(bao, path="kv-m4", type="kv", options={"version": 2}))["changed"] is False
