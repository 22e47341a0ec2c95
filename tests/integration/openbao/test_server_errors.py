# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input and bad surroundings: each a clear error, nothing half-written."""

from __future__ import annotations

import threading
import time

from openbao_harness import BaoServer, conn, free_port, run_module


def test_wrong_token_is_denied_clearly_and_writes_nothing(bao):
    result = run_module("openbao_policy", url=bao.url, token="s.wrong-token-value", name="p-wrong", policy="x")
    assert result["failed"]
    assert result["msg"] == (
        "permission denied for GET /v1/sys/policies/acl/p-wrong at %s: token lacks capability on "
        "sys/policies/acl/p-wrong (or is invalid or expired); use a token whose policies grant it" % bao.url)
    assert "wrong-token-value" not in str(result)
    assert "p-wrong" not in bao.hvac().sys.list_acl_policies()["data"]["keys"]


def test_missing_token_fails_before_any_request(bao, monkeypatch):
    for var in ("BAO_TOKEN", "VAULT_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    result = run_module("openbao_mount", url=bao.url, path="kv-notoken", type="kv")
    assert result["failed"] and result["msg"].startswith("no OpenBao token: set the token option or the BAO_TOKEN")


def test_token_from_environment(bao, monkeypatch):
    monkeypatch.setenv("BAO_TOKEN", bao.root_token)
    result = run_module("openbao_policy", url=bao.url, name="p-env", policy='path "x" { capabilities = ["read"] }')
    assert result["changed"] is True


def test_unreachable_address_fails_fast_and_clearly():
    url = "http://127.0.0.1:%d" % free_port()
    start = time.monotonic()
    result = run_module("openbao_kv2_secret", url=url, token="s.some-token", connect_retries=0, path="aegis/x",
                        data={"k": "unreachable-value"})
    assert time.monotonic() - start < 2
    assert result["failed"]
    assert result["msg"] == ("cannot reach OpenBao at %s: connection refused (1 attempt(s)); check that the server "
                             "runs and that url (scheme, host, port) is right" % url)

    start = time.monotonic()
    result = run_module("openbao_init", url=url, connect_retries=2)
    assert 2 <= time.monotonic() - start < 5
    assert "connection refused (3 attempt(s))" in result["msg"]


def test_connection_refused_is_retried_while_the_server_starts(tmp_path):
    server = BaoServer(tmp_path)
    starter = threading.Timer(1.2, server.start)
    starter.start()
    try:
        result = run_module("openbao_init", check=True, url=server.url, connect_retries=10)
        assert result["changed"] is True and not result.get("failed"), result
    finally:
        starter.join()
        server.stop()


def test_not_an_openbao_server(httpserver):
    httpserver.expect_request("/v1/sys/seal-status").respond_with_data("<html>hello</html>", content_type="text/html")
    result = run_module("openbao_init", url=httpserver.url_for("/").rstrip("/"))
    assert result["failed"] and "answer is not JSON; is url an OpenBao server?" in result["msg"]


def test_server_error_text_is_passed_on(bao):
    result = run_module("openbao_mount", **conn(bao, path="kv-bad-options", type="no-such-engine"))
    assert result["failed"]
    assert result["msg"].startswith("POST /v1/sys/mounts/kv-bad-options at %s failed with HTTP 400: " % bao.url)
