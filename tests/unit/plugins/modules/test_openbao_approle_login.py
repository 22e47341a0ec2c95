# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_approle_login against a fake server: the token, a refusal failed or reported, other errors, no leak."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from module_args import patch_module_args
from ansible_collections.aegis.platform.plugins.modules import openbao_approle_login

ROLE_ID = "role-id-value-1"
SECRET_ID = "secret-id-value-1"
TOKEN = "s.issued-token-1"


def run(httpserver, check=False, **args):
    out = io.StringIO()
    params = dict(url=httpserver.url_for("/").rstrip("/"), role_id=ROLE_ID, secret_id=SECRET_ID, **args)
    with patch_module_args(dict(params, _ansible_check_mode=check)), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            openbao_approle_login.main()
    return json.loads(out.getvalue())


def login(httpserver, mount="approle"):
    return httpserver.expect_request("/v1/auth/%s/login" % mount, method="POST",
                                     json={"role_id": ROLE_ID, "secret_id": SECRET_ID})


@pytest.mark.parametrize("check", [False, True])
def test_a_login_returns_the_token_and_changes_nothing(httpserver, check):
    login(httpserver, "deployers").respond_with_json({"auth": {
        "client_token": TOKEN, "accessor": "acc-1", "token_policies": ["default", "aegis-deployer"],
        "lease_duration": 3600}})
    result = run(httpserver, check=check, mount_point="deployers")
    assert result["changed"] is False and result["logged_in"] is True
    assert (result["token"], result["accessor"], result["lease_duration"]) == (TOKEN, "acc-1", 3600)
    assert result["policies"] == ["default", "aegis-deployer"]
    assert "X-Vault-Token" not in httpserver.log[0][0].headers


def test_a_refused_login_fails_by_default_without_the_credentials(httpserver):
    login(httpserver).respond_with_json({"errors": ["invalid role or secret ID"]}, status=400)
    result = run(httpserver)
    assert result["failed"] and "refused the AppRole login" in result["msg"]
    assert "invalid role or secret ID" in result["msg"]
    assert ROLE_ID not in json.dumps(result) and SECRET_ID not in json.dumps(result)


@pytest.mark.parametrize("status", [400, 403])
def test_a_refusal_is_reported_when_asked(httpserver, status):
    login(httpserver).respond_with_json({"errors": ["invalid secret id"]}, status=status)
    result = run(httpserver, fail_on_refusal=False)
    assert not result.get("failed") and result["logged_in"] is False and "token" not in result
    assert result["refusal"] == "invalid secret id"


@pytest.mark.parametrize("status, errors, expected", [
    (503, ["Vault is sealed"], "is sealed"),
    (404, ["no handler for route \"auth/approle/login\""], "nothing is mounted at auth/"),
    (400, ["no handler for route \"auth/approle/login\""], "no handler for route"),
])
def test_other_errors_fail_even_when_refusals_are_reported(httpserver, status, errors, expected):
    login(httpserver).respond_with_json({"errors": errors}, status=status)
    result = run(httpserver, fail_on_refusal=False)
    assert result["failed"] and expected in result["msg"]


def test_an_answer_without_a_token_fails(httpserver):
    login(httpserver).respond_with_json({"auth": None})
    result = run(httpserver)
    assert result["failed"] and "without a token" in result["msg"]
