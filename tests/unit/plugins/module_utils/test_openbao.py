# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/openbao.py: pure normalise/compare helpers and the client's error mapping (fake HTTP server)."""

from __future__ import annotations

import json
import socket
import time

import pytest
from werkzeug.wrappers import Response

from ansible_collections.aegis.platform.plugins.module_utils import openbao
from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    MASK,
    OpenBaoClient,
    OpenBaoError,
    differences,
    error_message,
    mask_text,
    masked_data_diff,
    normalize_cidr,
    normalize_list,
    normalize_policy_text,
    parse_duration,
)

TOKEN = "s.unit-test-token-value"


# ----------------------------------------------------------------------------------------------- parse_duration

@pytest.mark.parametrize("value, seconds", [
    (0, 0), (3600, 3600), ("3600", 3600), (" 90 ", 90), ("1h", 3600), ("60m", 3600), ("1h30m", 5400),
    ("90s", 90), ("2d", 172800), ("1.5h", 5400), ("1500ms", 1), ("0s", 0), (1.9, 1),
])
def test_parse_duration_accepts_openbao_spellings(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "1x", "4 hours", "h", "1h 30m", "-1", "-1h", True, None, "1h-", "1..5h"])
def test_parse_duration_rejects_everything_else_naming_the_option(value):
    with pytest.raises(ValueError, match="^token_ttl: "):
        parse_duration(value, "token_ttl")


def test_parse_duration_rejects_negative_numbers():
    with pytest.raises(ValueError, match="must not be negative"):
        parse_duration(-5, "x")


# ----------------------------------------------------------------------------------------------- normalisers

def test_policy_text_ignores_line_endings_trailing_whitespace_and_blank_lines():
    a = 'path "a/*" {\n  capabilities = ["read"]\n}\n'
    b = '\r\n\npath "a/*" {   \r\n\r\n  capabilities = ["read"]\t\r\n}\r\n\r\n'
    assert normalize_policy_text(a) == normalize_policy_text(b) == 'path "a/*" {\n  capabilities = ["read"]\n}'
    assert normalize_policy_text(a) != normalize_policy_text(a.replace("  cap", "cap"))  # indentation kept
    assert normalize_policy_text(None) == ""


@pytest.mark.parametrize("value, expected", [
    ("10.0.0.1", "10.0.0.1/32"), ("10.0.0.1/32", "10.0.0.1/32"), ("10.1.2.3/8", "10.0.0.0/8"),
    ("::1", "::1/128"), (" 192.168.0.0/16 ", "192.168.0.0/16"), ("not-a-cidr", "not-a-cidr"),
])
def test_normalize_cidr(value, expected):
    assert normalize_cidr(value) == expected


def test_normalize_list_sorts_dedups_and_accepts_comma_strings():
    assert normalize_list(["b", "a", "a", ""]) == ["a", "b"]
    assert normalize_list("b,a , a") == ["a", "b"]
    assert normalize_list(["B", "a"], lower=True) == ["a", "b"]
    assert normalize_list(["10.0.0.1", "10.0.0.1/32"], cidr=True) == ["10.0.0.1/32"]
    assert normalize_list(None) == []


def test_differences_only_reports_given_keys_that_differ_after_normalising():
    current = {"ttl": 3600, "policies": ["b", "a"], "description": "x", "other": 1}
    desired = {"ttl": "1h", "policies": ["a", "b"], "description": "y", "skipped": None}
    norms = {"ttl": parse_duration, "policies": normalize_list}
    assert differences(desired, current, norms) == {"description": "y"}
    assert differences({"ttl": "2h"}, current, norms) == {"ttl": "2h"}
    assert differences({}, current) == {}


def test_masked_data_diff_shows_keys_never_values():
    diff = masked_data_diff({"a": "old", "b": "same", "gone": "x"}, {"a": "new", "b": "same", "c": "added"})
    assert diff == {"before": {"a": MASK, "b": MASK, "gone": MASK},
                    "after": {"a": MASK + " (changed)", "b": MASK, "c": MASK + " (added)"}}
    assert masked_data_diff(None, {"k": "v"}) == {"before": {}, "after": {"k": MASK + " (added)"}}
    assert masked_data_diff({"k": "v"}, None) == {"before": {"k": MASK}, "after": {}}
    text = json.dumps(diff)
    assert "old" not in text and "new" not in text and "same\"" not in text


def test_mask_text_masks_longest_first_and_ignores_trivial_values():
    assert mask_text("token abcdef and abcdefgh", ["abcdef", "abcdefgh", "", None, "ab"]) == \
        "token %s and %s" % (MASK, MASK)
    assert mask_text("a b", ["a"]) == "a b"


# ----------------------------------------------------------------------------------------------- error_message

URL = "http://bao.example:8200"


def test_error_message_sealed():
    msg = error_message(503, "GET", URL, "sys/mounts", ["Vault is sealed"])
    assert msg == ("OpenBao at %s is sealed: run aegis.platform.openbao_init with unseal keys (unseal_keys) to "
                   "unseal it, then retry" % URL)


def test_error_message_permission_denied_names_the_path():
    msg = error_message(403, "PUT", URL, "sys/policies/acl/x?list=true", ["permission denied"])
    assert msg.startswith("permission denied for PUT /v1/sys/policies/acl/x at %s: token lacks capability on "
                          "sys/policies/acl/x" % URL)


def test_error_message_no_mount_and_plain_404_and_others():
    assert error_message(404, "GET", URL, "kvx/data/a", ['no handler for route "kvx/data/a". route entry not found.']) \
        .startswith("nothing is mounted at kvx/ on %s" % URL)
    assert error_message(404, "GET", URL, "a/b", []) == "GET /v1/a/b at %s: not found" % URL
    assert error_message(400, "POST", URL, "a", ["bad thing", "worse"]) == \
        "POST /v1/a at %s failed with HTTP 400: bad thing; worse" % URL
    assert error_message(500, "POST", URL, "a", []) == "POST /v1/a at %s failed with HTTP 500: no error text" % URL
    assert "unavailable" in error_message(503, "GET", URL, "a", ["standby"])


# ----------------------------------------------------------------------------------------------- client over HTTP

def client_for(httpserver, **kwargs):
    return OpenBaoClient(httpserver.url_for("/").rstrip("/"), token=kwargs.pop("token", TOKEN), **kwargs)


def test_client_sends_token_and_json_and_decodes(httpserver):
    httpserver.expect_request("/v1/sys/policies/acl/p", method="PUT", headers={"X-Vault-Token": TOKEN},
                              json={"policy": "x"}).respond_with_data("", status=204)
    httpserver.expect_request("/v1/sys/policies/acl/p", method="GET").respond_with_json({"data": {"policy": "x"}})
    client = client_for(httpserver)
    assert client.request("PUT", "sys/policies/acl/p", {"policy": "x"}) == {}
    assert client.read("/sys/policies/acl/p") == {"data": {"policy": "x"}}
    assert client.requests == 2


def test_client_missing_ok_returns_none_but_not_for_missing_mounts(httpserver):
    httpserver.expect_request("/v1/secret/data/a").respond_with_json({"errors": []}, status=404)
    httpserver.expect_request("/v1/nokv/data/a").respond_with_json(
        {"errors": ['no handler for route "nokv/data/a". route entry not found.']}, status=404)
    client = client_for(httpserver)
    assert client.read("secret/data/a") is None
    with pytest.raises(OpenBaoError, match="nothing is mounted at nokv/"):
        client.read("nokv/data/a")


def test_client_maps_403_and_503_and_never_shows_the_token(httpserver):
    httpserver.expect_request("/v1/sys/mounts/x").respond_with_json({"errors": ["permission denied"]}, status=403)
    httpserver.expect_request("/v1/sys/auth/x").respond_with_json(
        {"errors": ["Vault is sealed", "token %s rejected" % TOKEN]}, status=503)
    client = client_for(httpserver)
    with pytest.raises(OpenBaoError) as denied:
        client.request("GET", "sys/mounts/x")
    assert denied.value.status == 403 and "token lacks capability on sys/mounts/x" in denied.value.message
    with pytest.raises(OpenBaoError) as sealed:
        client.request("GET", "sys/auth/x")
    assert "is sealed: run aegis.platform.openbao_init" in sealed.value.message
    assert TOKEN not in str(sealed.value) and TOKEN not in " ".join(sealed.value.errors)


def test_client_masks_registered_secrets_in_server_errors(httpserver):
    httpserver.expect_request("/v1/x").respond_with_json({"errors": ["bad value hunter2-secret"]}, status=400)
    client = client_for(httpserver)
    client.add_secret({"nested": ["hunter2-secret"]}, True, None)
    with pytest.raises(OpenBaoError) as exc:
        client.request("POST", "x", {"v": "hunter2-secret"})
    assert "hunter2-secret" not in exc.value.message and MASK in exc.value.message


def test_client_rejects_non_json_answers(httpserver):
    httpserver.expect_request("/v1/sys/seal-status").respond_with_data("<html/>", content_type="text/html")
    with pytest.raises(OpenBaoError, match="answer is not JSON; is url an OpenBao server"):
        client_for(httpserver).seal_status()


def test_client_needs_a_token_for_authenticated_calls(httpserver):
    client = client_for(httpserver, token=None)
    with pytest.raises(OpenBaoError, match="no OpenBao token"):
        client.read("sys/mounts")
    assert client.requests == 0


def test_client_token_override(httpserver):
    httpserver.expect_request("/v1/auth/token/revoke-self", headers={"X-Vault-Token": "s.other"}) \
        .respond_with_data("", status=204)
    assert client_for(httpserver).request("POST", "auth/token/revoke-self", {}, token="s.other") == {}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_client_retries_refused_connections_a_bounded_number_of_times(monkeypatch):
    monkeypatch.setattr(OpenBaoClient, "retry_delay", 0.01)
    url = "http://127.0.0.1:%d" % free_port()
    client = OpenBaoClient(url, token=TOKEN, connect_retries=3)
    start = time.monotonic()
    with pytest.raises(OpenBaoError) as exc:
        client.read("sys/mounts")
    assert time.monotonic() - start < 2
    assert client.requests == 4
    assert exc.value.message == ("cannot reach OpenBao at %s: connection refused (4 attempt(s)); check that the "
                                 "server runs and that url (scheme, host, port) is right" % url)


def wait_for_log(httpserver, entries):
    deadline = time.monotonic() + 4  # let slow handlers finish, so their log entries do not leak into other tests
    while len(httpserver.log) < entries and time.monotonic() < deadline:
        time.sleep(0.05)


def test_client_timeout_message_after_one_more_read(httpserver):
    def slow(_request):
        time.sleep(1.5)
        return Response("{}", status=200)

    httpserver.expect_request("/v1/slow").respond_with_handler(slow)
    client = client_for(httpserver, timeout=1)
    with pytest.raises(OpenBaoError, match=r"timed out after 1s; check the url"):
        client.read("slow")
    assert client.requests == 2
    wait_for_log(httpserver, 2)


def test_client_reads_again_once_after_a_timeout(httpserver):
    calls = []

    def slow_first(_request):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(1.5)
        return Response(json.dumps({"data": {"ok": True}}), status=200, content_type="application/json")

    httpserver.expect_request("/v1/busy").respond_with_handler(slow_first)
    client = client_for(httpserver, timeout=1)
    assert client.read("busy") == {"data": {"ok": True}}
    assert client.requests == 2
    wait_for_log(httpserver, 2)


def test_client_never_repeats_a_write_that_timed_out(httpserver):
    def slow(_request):
        time.sleep(1.5)
        return Response("{}", status=200)

    httpserver.expect_request("/v1/slow", method="POST").respond_with_handler(slow)
    client = client_for(httpserver, timeout=1)
    with pytest.raises(OpenBaoError, match=r"POST /v1/slow timed out"):
        client.request("POST", "slow", {"a": 1})
    assert client.requests == 1
    wait_for_log(httpserver, 1)


def test_connection_argument_spec_token_is_no_log_with_env_fallback():
    spec = openbao.connection_argument_spec()
    assert spec["token"]["no_log"] is True
    assert spec["token"]["fallback"][1] == ["BAO_TOKEN", "VAULT_TOKEN"]
    assert set(spec) == {"url", "token", "validate_certs", "ca_path", "timeout", "connect_retries"}
