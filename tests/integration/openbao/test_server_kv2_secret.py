# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# pylint reads dict(args, key=value) as passing key twice:
# pylint: disable=repeated-keyword
"""openbao_kv2_secret against secret/ (KV v2) of the shared server."""

from __future__ import annotations

import json

import hvac.exceptions
import pytest

from openbao_harness import conn, run_module


def current(server, path, mount="secret"):
    try:
        answer = server.hvac().secrets.kv.v2.read_secret_version(path=path, mount_point=mount,
                                                                 raise_on_deleted_version=True)
    except hvac.exceptions.InvalidPath:
        return None, None
    return answer["data"]["data"], answer["data"]["metadata"]["version"]


def test_create_noop_update_with_check_mode_and_masked_diff(kv):
    first = {"client_id": "aegis-orchestrator", "client_secret": "s3cr3t-value-one"}
    args = conn(kv, path="aegis/kv-1", data=first)

    planned = run_module("openbao_kv2_secret", check=True, diff=True, **args)
    assert planned["changed"] is True and planned["version"] is None
    assert planned["diff"] == {"before": {},
                               "after": {"client_id": "******** (added)", "client_secret": "******** (added)"}}
    assert current(kv, "aegis/kv-1") == (None, None)

    created = run_module("openbao_kv2_secret", diff=True, **args)
    assert created["changed"] is True and created["version"] == 1
    assert current(kv, "aegis/kv-1") == (first, 1)

    same = run_module("openbao_kv2_secret", diff=True, **args)
    assert same["changed"] is False and same["version"] == 1 and same["data_keys"] == ["client_id", "client_secret"]

    second = {"client_id": "aegis-orchestrator", "client_secret": "s3cr3t-value-two", "realm": "aegis-system"}
    planned = run_module("openbao_kv2_secret", check=True, diff=True, **dict(args, data=second))
    assert planned["changed"] is True
    assert planned["diff"] == {
        "before": {"client_id": "********", "client_secret": "********"},
        "after": {"client_id": "********", "client_secret": "******** (changed)", "realm": "******** (added)"}}
    assert current(kv, "aegis/kv-1") == (first, 1)

    updated = run_module("openbao_kv2_secret", diff=True, **dict(args, data=second))
    assert updated["changed"] is True and updated["version"] == 2
    assert current(kv, "aegis/kv-1") == (second, 2)
    for result in (planned, updated, created, same):
        text = json.dumps(result)
        assert "s3cr3t-value" not in text and "aegis-system" not in text


def test_absent_soft_deletes_and_purge_removes_all_versions(kv):
    args = conn(kv, path="aegis/kv-2", data={"k": "value-for-delete"})
    run_module("openbao_kv2_secret", **args)
    assert run_module("openbao_kv2_secret", check=True, **dict(args, state="absent"))["changed"] is True
    assert current(kv, "aegis/kv-2")[0] == {"k": "value-for-delete"}
    assert run_module("openbao_kv2_secret", **dict(args, state="absent"))["changed"] is True
    assert current(kv, "aegis/kv-2") == (None, None)
    assert run_module("openbao_kv2_secret", **dict(args, state="absent"))["changed"] is False

    # A deleted latest version counts as missing: writing the same data again makes version 2.
    assert run_module("openbao_kv2_secret", **args)["version"] == 2
    assert run_module("openbao_kv2_secret", **dict(args, state="absent", purge=True))["changed"] is True
    with pytest.raises(hvac.exceptions.InvalidPath):
        kv.hvac().secrets.kv.v2.read_secret_metadata(path="aegis/kv-2")
    assert run_module("openbao_kv2_secret", **dict(args, state="absent", purge=True))["changed"] is False


def test_kv_v1_mount_is_refused_before_writing(kv):
    run_module("openbao_mount", **conn(kv, path="kv-one", type="kv", options={"version": 1}))
    result = run_module("openbao_kv2_secret", **conn(kv, mount="kv-one", path="x", data={"k": "value-v1"}))
    assert result["failed"] and "kv-one/ at %s is a kv engine" % kv.url in result["msg"]
    assert "not KV version 2: nothing written" in result["msg"]
    with pytest.raises(hvac.exceptions.InvalidPath):  # the engine is still empty
        kv.hvac().secrets.kv.v1.list_secrets(path="", mount_point="kv-one")


def test_missing_mount_says_what_to_do(kv):
    result = run_module("openbao_kv2_secret", **conn(kv, mount="no-such-kv", path="x", data={"k": "value-nm"}))
    assert result["failed"]
    assert result["msg"].startswith("nothing is mounted at no-such-kv/ on %s" % kv.url)
    assert "aegis.platform.openbao_mount" in result["msg"]
