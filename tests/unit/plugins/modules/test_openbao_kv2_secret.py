# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_kv2_secret against a fake server: compare, check mode, KV version checks."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from module_args import patch_module_args
from ansible_collections.aegis.platform.plugins.module_utils.openbao import OpenBaoClient, OpenBaoError, kv2_read
from ansible_collections.aegis.platform.plugins.modules import openbao_kv2_secret

DATA = {"client_id": "aegis-orchestrator", "client_secret": "kv-unit-secret-value"}


def run(httpserver, check=False, **args):
    out = io.StringIO()
    args = dict(url=httpserver.url_for("/").rstrip("/"), token="s.unit-token", path="aegis/x", **args)
    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=True)), \
            contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            openbao_kv2_secret.main()
    return json.loads(out.getvalue())


def current(httpserver, data, version=3):
    httpserver.expect_request("/v1/secret/data/aegis/x", method="GET").respond_with_json(
        {"data": {"data": data, "metadata": {"version": version}}})


def test_same_data_is_a_noop_with_one_request(httpserver):
    current(httpserver, DATA)
    result = run(httpserver, data=DATA)
    assert (result["changed"], result["version"]) == (False, 3) and len(httpserver.log) == 1
    assert "kv-unit-secret-value" not in json.dumps(result)


def test_check_mode_reports_change_and_writes_nothing(httpserver):
    current(httpserver, dict(DATA, client_secret="old-unit-value"))
    result = run(httpserver, check=True, data=DATA)
    assert result["changed"] is True and result["version"] == 3
    assert result["diff"]["after"]["client_secret"] == "******** (changed)"
    assert [req.method for req, _response in httpserver.log] == ["GET"]


def test_write_when_different(httpserver):
    current(httpserver, {"client_id": "aegis-orchestrator"})
    httpserver.expect_request("/v1/secret/data/aegis/x", method="POST", json={"data": DATA}) \
        .respond_with_json({"data": {"version": 4}})
    result = run(httpserver, data=DATA)
    assert (result["changed"], result["version"]) == (True, 4)


def test_new_secret_checks_the_engine_version_first(httpserver):
    httpserver.expect_request("/v1/secret/data/aegis/x", method="GET").respond_with_json({"errors": []}, status=404)
    httpserver.expect_request("/v1/sys/internal/ui/mounts/secret/aegis/x").respond_with_json(
        {"data": {"type": "kv", "options": {"version": "1"}}})
    result = run(httpserver, data=DATA)
    assert result["failed"] and "not KV version 2: nothing written" in result["msg"]
    assert [req.method for req, _response in httpserver.log] == ["GET", "GET"]


def test_kv1_shaped_answer_is_refused(httpserver):
    httpserver.expect_request("/v1/secret/data/aegis/x").respond_with_json({"data": {"data": {"a": "b"}}})
    with pytest.raises(OpenBaoError, match="does not answer like a KV version 2 engine"):
        kv2_read(OpenBaoClient(httpserver.url_for("/"), token="t"), "secret", "aegis/x")


def test_kv2_get_returns_the_current_version_and_null_when_missing(httpserver):
    current(httpserver, DATA, version=5)
    httpserver.expect_request("/v1/secret/data/aegis/missing", method="GET").respond_with_data("", status=404)
    from ansible_collections.aegis.platform.plugins.modules import openbao_kv2_get

    def get(path):
        out = io.StringIO()
        with patch_module_args(dict(url=httpserver.url_for("/").rstrip("/"), token="s.unit-token", path=path, _ansible_check_mode=True)), \
                contextlib.redirect_stdout(out):
            with pytest.raises(SystemExit):
                openbao_kv2_get.main()
        return json.loads(out.getvalue())

    found = get("aegis/x")
    assert (found["changed"], found["data"], found["version"]) == (False, DATA, 5)
    missing = get("aegis/missing")
    assert (missing["data"], missing["version"]) == (None, None)
