# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_init on its own server: a life cycle, so the tests run in file order and build on each other."""

from __future__ import annotations

from openbao_harness import run_module


def status(server):
    return server.hvac().sys.read_seal_status()


def test_check_mode_on_uninitialised_server_writes_nothing(fresh_bao):
    result = run_module("openbao_init", check=True, diff=True, url=fresh_bao.url)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"initialized": False, "sealed": True},
                              "after": {"initialized": True, "sealed": False}}
    assert "root_token" not in result and "unseal_keys" not in result
    assert status(fresh_bao)["initialized"] is False


def test_threshold_above_shares_fails_before_init(fresh_bao):
    result = run_module("openbao_init", url=fresh_bao.url, key_shares=1, key_threshold=2)
    assert result["failed"] and "key_threshold (2) must be between 1 and key_shares (1)" in result["msg"]
    assert status(fresh_bao)["initialized"] is False


def test_init_unseals_and_returns_keys_once(fresh_bao):
    result = run_module("openbao_init", diff=True, url=fresh_bao.url, key_shares=3, key_threshold=2)
    assert result["changed"] is True and not result.get("failed"), result
    assert (result["initialized"], result["sealed"]) == (True, False)
    assert len(result["unseal_keys"]) == 3 and result["root_token"]
    fresh_bao.unseal_keys, fresh_bao.root_token = result["unseal_keys"], result["root_token"]
    assert status(fresh_bao)["sealed"] is False
    assert fresh_bao.hvac().auth.token.lookup_self()["data"]["policies"] == ["root"]

    again = run_module("openbao_init", url=fresh_bao.url, unseal_keys=fresh_bao.unseal_keys)
    assert again["changed"] is False and (again["initialized"], again["sealed"]) == (True, False)
    assert "root_token" not in again and "unseal_keys" not in again


def test_restart_seals_and_no_keys_fails_clearly(fresh_bao):
    fresh_bao.hvac().sys.enable_secrets_engine("kv", path="before-restart", options={"version": "2"})
    fresh_bao.restart()
    assert status(fresh_bao)["sealed"] is True
    result = run_module("openbao_init", url=fresh_bao.url)
    assert result["failed"]
    assert result["msg"] == ("OpenBao at %s is sealed and no unseal_keys were given: run aegis.platform.openbao_init "
                             "with unseal_keys (the keys returned when it was initialised)" % fresh_bao.url)
    # Any other module against the sealed server says what to do as well.
    other = run_module("openbao_policy", url=fresh_bao.url, token=fresh_bao.root_token, name="p", policy="x")
    assert other["failed"] and other["msg"].startswith(
        "OpenBao at %s is sealed: run aegis.platform.openbao_init with unseal keys" % fresh_bao.url)
    assert status(fresh_bao)["sealed"] is True


def test_too_few_or_wrong_keys_fail_and_leave_no_progress(fresh_bao):
    keys = fresh_bao.unseal_keys
    result = run_module("openbao_init", url=fresh_bao.url, unseal_keys=keys[:1])
    assert result["failed"]
    assert "still sealed after 1 distinct unseal key(s): it needs 2 of its 3 key shares" in result["msg"]
    assert (status(fresh_bao)["sealed"], status(fresh_bao)["progress"]) == (True, 0)

    wrong = "ab" * 33
    result = run_module("openbao_init", url=fresh_bao.url, unseal_keys=[keys[0], wrong])
    assert result["failed"] and "unseal" in result["msg"], result
    assert wrong not in result["msg"] and keys[0] not in str(result)
    assert (status(fresh_bao)["sealed"], status(fresh_bao)["progress"]) == (True, 0)


def test_check_mode_with_keys_does_not_unseal(fresh_bao):
    result = run_module("openbao_init", check=True, url=fresh_bao.url, unseal_keys=fresh_bao.unseal_keys)
    assert result["changed"] is True and result["sealed"] is False
    assert status(fresh_bao)["sealed"] is True


def test_unseal_after_restart_then_noop(fresh_bao):
    result = run_module("openbao_init", diff=True, url=fresh_bao.url, unseal_keys=fresh_bao.unseal_keys[1:])
    assert result["changed"] is True and result["sealed"] is False, result
    assert result["diff"]["before"] == {"initialized": True, "sealed": True}
    assert "root_token" not in result and "unseal_keys" not in result
    assert "before-restart/" in fresh_bao.hvac().sys.list_mounted_secrets_engines()["data"]
    again = run_module("openbao_init", url=fresh_bao.url, unseal_keys=fresh_bao.unseal_keys)
    assert again["changed"] is False
