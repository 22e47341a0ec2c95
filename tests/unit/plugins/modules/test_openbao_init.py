# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_init against a fake server: decisions, check mode, unseal progress handling."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from module_args import patch_module_args
from ansible_collections.aegis.platform.plugins.module_utils.openbao import OpenBaoClient, OpenBaoError
from ansible_collections.aegis.platform.plugins.module_utils import openbao_seal
from ansible_collections.aegis.platform.plugins.modules import openbao_init


def run(args, check=False):
    out = io.StringIO()
    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=True)), \
            contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            openbao_init.main()
    return json.loads(out.getvalue())


def seal_status(httpserver, **status):
    body = dict({"initialized": True, "sealed": False, "t": 1, "n": 1, "progress": 0}, **status)
    httpserver.expect_request("/v1/sys/seal-status").respond_with_json(body)


def test_unsealed_is_a_noop_with_one_request(httpserver):
    seal_status(httpserver)
    result = run({"url": httpserver.url_for("/"), "unseal_keys": ["k1-secret-key"]})
    assert result["changed"] is False and (result["initialized"], result["sealed"]) == (True, False)
    assert len(httpserver.log) == 1


def test_check_mode_on_uninitialised_makes_no_write(httpserver):
    seal_status(httpserver, initialized=False, sealed=True)
    result = run({"url": httpserver.url_for("/")}, check=True)
    assert result["changed"] is True and "root_token" not in result
    assert [req.path for req, _response in httpserver.log] == ["/v1/sys/seal-status"]


def test_sealed_without_keys_fails_with_instructions(httpserver):
    seal_status(httpserver, sealed=True)
    result = run({"url": httpserver.url_for("/")})
    assert result["failed"] and "is sealed and no unseal_keys were given" in result["msg"]


def test_unseal_resets_stale_progress_and_stops_when_unsealed(httpserver):
    calls = []

    def unseal(request):
        from werkzeug.wrappers import Response
        body = request.get_json()
        calls.append(body)
        sealed = "key" in body and body["key"] != "key-two-secret"
        return Response(json.dumps({"sealed": sealed, "t": 2, "n": 3}), content_type="application/json")

    httpserver.expect_request("/v1/sys/unseal").respond_with_handler(unseal)
    client = OpenBaoClient(httpserver.url_for("/"))
    openbao_seal.unseal(client, ["key-one-secret", "key-one-secret", "key-two-secret", "key-three-secret"], 1)
    assert calls == [{"reset": True}, {"key": "key-one-secret"}, {"key": "key-two-secret"}]


def test_unseal_failure_resets_progress_and_hides_keys(httpserver):
    httpserver.expect_request("/v1/sys/unseal", json={"key": "bad-key-secret"}).respond_with_json(
        {"errors": ["invalid key bad-key-secret"]}, status=400)
    httpserver.expect_request("/v1/sys/unseal", json={"reset": True}).respond_with_json({"sealed": True})
    client = OpenBaoClient(httpserver.url_for("/"))
    client.add_secret(["bad-key-secret"])
    with pytest.raises(OpenBaoError) as exc:
        openbao_seal.unseal(client, ["bad-key-secret"], 0)
    assert "rejected unseal key #1" in exc.value.message and "bad-key-secret" not in exc.value.message
    assert httpserver.log[-1][0].get_json() == {"reset": True}


def test_not_enough_keys(httpserver):
    httpserver.expect_request("/v1/sys/unseal", json={"reset": True}).respond_with_json({"sealed": True})
    httpserver.expect_request("/v1/sys/unseal").respond_with_json({"sealed": True, "t": 3, "n": 5})
    with pytest.raises(OpenBaoError, match="still sealed after 1 distinct unseal key.s.: it needs 3 of its 5"):
        openbao_seal.unseal(OpenBaoClient(httpserver.url_for("/")), ["only-one-key"], 0)


def test_init_returns_keys_unseals_and_warns_about_stale_keys(httpserver):
    seal_status(httpserver, initialized=False, sealed=True)
    httpserver.expect_request("/v1/sys/init", method="PUT", json={"secret_shares": 1, "secret_threshold": 1}) \
        .respond_with_json({"keys": ["new-key-0001"], "keys_base64": ["bmV3"], "root_token": "s.new-root-token"})
    httpserver.expect_request("/v1/sys/unseal", json={"key": "new-key-0001"}).respond_with_json({"sealed": False})
    httpserver.expect_request("/v1/sys/health").respond_with_json({"standby": False})
    result = run({"url": httpserver.url_for("/"), "unseal_keys": ["old-key-0001"]})
    assert result["changed"] is True and (result["initialized"], result["sealed"]) == (True, False)
    assert (result["unseal_keys"], result["root_token"]) == (["new-key-0001"], "s.new-root-token")
    assert "given keys are useless" in json.dumps(result["warnings"])
    assert result["diff"]["before"] == {"initialized": False, "sealed": True}


@pytest.mark.parametrize("initialized, sealed", [(False, True), (True, True), (True, False)])
def test_read_only_reports_the_state_as_found_and_writes_nothing(httpserver, initialized, sealed):
    seal_status(httpserver, initialized=initialized, sealed=sealed)
    result = run({"url": httpserver.url_for("/"), "read_only": True})
    assert not result.get("failed") and result["changed"] is False
    assert (result["initialized"], result["sealed"]) == (initialized, sealed)
    assert [req.path for req, _response in httpserver.log] == ["/v1/sys/seal-status"]
