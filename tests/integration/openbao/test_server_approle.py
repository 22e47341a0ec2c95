# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# pylint reads dict(args, key=value) as passing key twice:
# pylint: disable=repeated-keyword
"""openbao_approle_role and openbao_approle_secret_id against the shared server."""

from __future__ import annotations

import json

import hvac.exceptions
import pytest

from openbao_harness import AEGIS_PLATFORM_POLICY, conn, run_module

MOUNT = "approle-it"


@pytest.fixture(scope="module")
def approle(kv):
    assert not run_module("openbao_mount", **conn(kv, kind="auth", path=MOUNT, type="approle")).get("failed")
    policy = run_module("openbao_policy", **conn(kv, name="aegis-platform", policy=AEGIS_PLATFORM_POLICY))
    assert not policy.get("failed")
    return kv


def role(server, name):
    try:
        return server.hvac().auth.approle.read_role(name, mount_point=MOUNT)["data"]
    except hvac.exceptions.InvalidPath:
        return None


def accessors(server, name):
    try:
        return set(server.hvac().auth.approle.list_secret_id_accessors(name, mount_point=MOUNT)["data"]["keys"])
    except hvac.exceptions.InvalidPath:
        return set()


def role_args(server, name, **extra):
    base = dict(name=name, mount_point=MOUNT, token_policies=["aegis-platform"], token_ttl="1h", token_max_ttl="4h")
    base.update(extra)
    return conn(server, **base)


def test_role_create_noop_update_and_check_mode(approle):
    args = role_args(approle, "r-life", require_policies_exist=True)
    planned = run_module("openbao_approle_role", check=True, diff=True, **args)
    assert planned["changed"] is True and "role_id" not in planned
    assert planned["diff"]["after"] == {"token_ttl": 3600, "token_max_ttl": 14400, "token_policies": ["aegis-platform"]}
    assert role(approle, "r-life") is None

    created = run_module("openbao_approle_role", **args)
    # The role ID is part of the login credential: the result (printed with -v) does not hold it.
    role_id = approle.hvac().auth.approle.read_role_id("r-life", mount_point=MOUNT)["data"]["role_id"]
    assert created["changed"] is True and role_id and role_id not in json.dumps(created)
    stored = role(approle, "r-life")
    assert (stored["token_ttl"], stored["token_max_ttl"], stored["token_policies"]) == (3600, 14400, ["aegis-platform"])

    # Same values spelled differently: "1h" == 3600 == "60m", policies as a set.
    same = run_module("openbao_approle_role", **dict(args, token_ttl=3600, token_max_ttl="240m",
                                                     token_policies=["AEGIS-platform", "aegis-platform"]))
    assert same["changed"] is False and "role_id" not in same

    update = dict(args, token_ttl="30m", secret_id_ttl="24h", secret_id_num_uses=0, token_bound_cidrs=["127.0.0.1"],
                  secret_id_bound_cidrs=["127.0.0.0/8"], token_type="service", token_no_default_policy=False,
                  bind_secret_id=True, token_num_uses=0, token_period=0, token_explicit_max_ttl="8h",
                  token_strictly_bind_ip=False)
    planned = run_module("openbao_approle_role", check=True, diff=True, **update)
    assert planned["changed"] is True
    assert planned["diff"]["before"]["token_ttl"] == 3600 and planned["diff"]["after"]["token_ttl"] == 1800
    assert role(approle, "r-life")["token_ttl"] == 3600

    updated = run_module("openbao_approle_role", **update)
    assert updated["changed"] is True
    assert approle.hvac().auth.approle.read_role_id("r-life", mount_point=MOUNT)["data"]["role_id"] == role_id
    stored = role(approle, "r-life")
    assert (stored["token_ttl"], stored["secret_id_ttl"], stored["token_explicit_max_ttl"]) == (1800, 86400, 28800)
    # Address vs /32 network, CIDR lists as sets: no change.
    again = run_module("openbao_approle_role", **dict(update, token_bound_cidrs=["127.0.0.1/32"]))
    assert again["changed"] is False

    refused = run_module("openbao_approle_role", **dict(args, local_secret_ids=True))
    assert refused["failed"] and "local_secret_ids can only be set when role r-life is created" in refused["msg"]

    assert run_module("openbao_approle_role", check=True, **dict(args, state="absent"))["changed"] is True
    assert role(approle, "r-life") is not None
    assert run_module("openbao_approle_role", **dict(args, state="absent"))["changed"] is True
    assert role(approle, "r-life") is None


def test_invalid_ttl_fails_before_any_write(approle):
    result = run_module("openbao_approle_role", **role_args(approle, "r-badttl", token_max_ttl="4 hours"))
    assert result["failed"]
    assert result["msg"] == ("token_max_ttl: invalid duration '4 hours'; use seconds (3600) or units s, m, h, d "
                             "('1h', '90m', '1h30m') (role r-badttl unchanged)")
    assert role(approle, "r-badttl") is None
    # On an existing role too: nothing of the valid fields is written either.
    run_module("openbao_approle_role", **role_args(approle, "r-badttl"))
    result = run_module("openbao_approle_role", **role_args(approle, "r-badttl", token_ttl="2h", secret_id_ttl="-1"))
    assert result["failed"] and "secret_id_ttl" in result["msg"]
    assert role(approle, "r-badttl")["token_ttl"] == 3600


def test_unknown_policy_with_require_policies_exist_fails_and_writes_nothing(approle):
    args = role_args(approle, "r-nopol", token_policies=["aegis-platform", "no-such-policy"],
                     require_policies_exist=True)
    result = run_module("openbao_approle_role", **args)
    assert result["failed"]
    assert result["msg"].startswith("policies no-such-policy of role r-nopol do not exist at %s" % approle.url)
    assert role(approle, "r-nopol") is None
    # Without the check OpenBao itself accepts it (policies may be written later).
    assert run_module("openbao_approle_role", **dict(args, require_policies_exist=False))["changed"] is True


@pytest.fixture(scope="module")
def platform_role(approle):
    result = run_module("openbao_approle_role", **role_args(approle, "aegis-platform", require_policies_exist=True))
    assert result["changed"] is True
    return approle.hvac().auth.approle.read_role_id("aegis-platform", mount_point=MOUNT)["data"]["role_id"]


def sid_args(server, **extra):
    return conn(server, role_name="aegis-platform", mount_point=MOUNT, **extra)


def test_secret_id_created_when_missing_and_logs_in(approle, platform_role):
    before = accessors(approle, "aegis-platform")
    result = run_module("openbao_approle_secret_id", diff=True, **sid_args(approle, metadata={"owner": "it"}))
    assert result["changed"] is True and result["secret_id_created"] is True and result["secret_id_valid"] is None
    assert result["role_id"] == platform_role and result["secret_id"]
    assert accessors(approle, "aegis-platform") == before | {result["secret_id_accessor"]}
    assert result["secret_id"] not in json.dumps(result["diff"])

    login = approle.hvac("").auth.approle.login(role_id=result["role_id"], secret_id=result["secret_id"],
                                                mount_point=MOUNT)
    assert "aegis-platform" in login["auth"]["policies"] and login["auth"]["lease_duration"] == 3600
    token = login["auth"]["client_token"]
    runtime = approle.hvac(token)
    runtime.secrets.kv.v2.create_or_update_secret(path="aegis/from-approle", secret={"v": "approle-wrote"})
    with pytest.raises(hvac.exceptions.Forbidden):
        runtime.secrets.kv.v2.create_or_update_secret(path="other-approle", secret={"v": "x"})


def test_secret_id_modes(approle, platform_role):
    held = run_module("openbao_approle_secret_id", **sid_args(approle))["secret_id"]
    known = accessors(approle, "aegis-platform")

    # missing + a secret_id OpenBao still holds: nothing new.
    for check in (True, False):
        kept = run_module("openbao_approle_secret_id", check=check, diff=True, **sid_args(approle, secret_id=held))
        assert (kept["changed"], kept["secret_id_created"], kept["secret_id_valid"]) == (False, False, True)
        assert "secret_id" not in kept
    assert accessors(approle, "aegis-platform") == known

    # missing + a bad secret_id: check mode says changed and writes nothing; a real run mints one.
    planned = run_module("openbao_approle_secret_id", check=True, **sid_args(approle, secret_id="not-a-secret-id"))
    assert (planned["changed"], planned["secret_id_valid"]) == (True, False) and "secret_id" not in planned
    assert accessors(approle, "aegis-platform") == known
    fresh = run_module("openbao_approle_secret_id", **sid_args(approle, secret_id="not-a-secret-id"))
    assert fresh["changed"] is True and fresh["secret_id"] != held
    known = accessors(approle, "aegis-platform")

    always = run_module("openbao_approle_secret_id", **sid_args(approle, secret_id=held, secret_id_mode="always"))
    assert always["changed"] is True and always["secret_id"] not in (held, fresh["secret_id"])
    assert len(accessors(approle, "aegis-platform")) == len(known) + 1

    never = run_module("openbao_approle_secret_id", **sid_args(approle, secret_id_mode="never"))
    assert never == {"changed": False, "role_id": platform_role, "secret_id_created": False, "secret_id_valid": None,
                     "secret_id_destroyed": False, "unlocked": False, "invocation": never["invocation"]}
    assert len(accessors(approle, "aegis-platform")) == len(known) + 1

    # always + destroy_replaced: the new one replaces the held one, which OpenBao then no longer holds.
    replaced = run_module("openbao_approle_secret_id", **sid_args(approle, secret_id=always["secret_id"],
                                                                  secret_id_mode="always", destroy_replaced=True))
    assert replaced["secret_id_destroyed"] and replaced["secret_id"] != always["secret_id"]
    assert len(accessors(approle, "aegis-platform")) == len(known) + 1
    held_again = run_module("openbao_approle_secret_id", check=True, **sid_args(approle, secret_id=always["secret_id"]))
    assert held_again["secret_id_valid"] is False


def test_secret_id_outside_bound_cidrs_is_checked_by_lookup(approle):
    run_module("openbao_approle_role", **role_args(approle, "r-cidr", secret_id_bound_cidrs=["10.99.0.0/16"]))
    args = conn(approle, role_name="r-cidr", mount_point=MOUNT)
    held = run_module("openbao_approle_secret_id", **args)["secret_id"]
    kept = run_module("openbao_approle_secret_id", **dict(args, secret_id=held))
    assert (kept["changed"], kept["secret_id_valid"]) == (False, True)
    assert run_module("openbao_approle_secret_id", **dict(args, secret_id="bogus-id"))["changed"] is True


def test_a_destroyed_secret_id_and_the_lockout_it_caused_are_repaired_in_one_call(approle):
    """As when a consumer's secret ID is destroyed through the API and the consumer keeps logging in with it: the
    check finds it gone without a login, mints a new one and clears the role ID's lockout, so the new one works."""
    run_module("openbao_approle_role", **role_args(approle, "r-revoked"))
    args = conn(approle, role_name="r-revoked", mount_point=MOUNT)
    held = run_module("openbao_approle_secret_id", **args)
    admin = approle.hvac()
    admin.auth.approle.destroy_secret_id("r-revoked", held["secret_id"], mount_point=MOUNT)
    anonymous = approle.hvac("")
    for _attempt in range(6):  # the consumer retrying: OpenBao locks the role ID out after 5 failures
        with pytest.raises(hvac.exceptions.VaultError):
            anonymous.auth.approle.login(role_id=held["role_id"], secret_id=held["secret_id"], mount_point=MOUNT)
    locked = admin.adapter.get("/v1/sys/locked-users")["data"]
    assert held["role_id"] in json.dumps(locked)

    checked = run_module("openbao_approle_secret_id", check=True, **dict(args, secret_id=held["secret_id"]))
    assert (checked["changed"], checked["secret_id_valid"], checked["unlocked"]) == (True, False, False)
    repaired = run_module("openbao_approle_secret_id", **dict(args, secret_id=held["secret_id"]))
    assert (repaired["changed"], repaired["secret_id_valid"], repaired["unlocked"]) == (True, False, True)
    assert held["role_id"] not in json.dumps(admin.adapter.get("/v1/sys/locked-users")["data"])
    anonymous.auth.approle.login(role_id=held["role_id"], secret_id=repaired["secret_id"], mount_point=MOUNT)
    again = run_module("openbao_approle_secret_id", **dict(args, secret_id=repaired["secret_id"]))
    assert (again["changed"], again["secret_id_valid"]) == (False, True)


def test_secret_id_for_missing_role_fails_clearly(approle):
    result = run_module("openbao_approle_secret_id", **conn(approle, role_name="no-such-role", mount_point=MOUNT))
    assert result["failed"]
    assert result["msg"] == ("AppRole role no-such-role does not exist at auth/%s/ on %s: create it first with "
                             "aegis.platform.openbao_approle_role" % (MOUNT, approle.url))
