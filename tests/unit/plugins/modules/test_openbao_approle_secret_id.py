# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_approle_secret_id: mode decisions and secret_id validation against a fake server."""

from __future__ import annotations

import pytest

from ansible_collections.aegis.platform.plugins.module_utils.openbao import OpenBaoClient, OpenBaoError
from ansible_collections.aegis.platform.plugins.modules.openbao_approle_secret_id import (
    needs_new_secret_id,
    validate_secret_id,
)

SECRET = "held-secret-id-value"


@pytest.mark.parametrize("mode, valid, expected", [
    ("missing", None, True), ("missing", False, True), ("missing", True, False),
    ("always", True, True), ("always", None, True),
    ("never", None, False), ("never", False, False),
])
def test_needs_new_secret_id(mode, valid, expected):
    assert needs_new_secret_id(mode, valid) is expected


def client(httpserver):
    return OpenBaoClient(httpserver.url_for("/").rstrip("/"), token="s.admin-token")


def test_valid_login_revokes_its_token(httpserver):
    httpserver.expect_request("/v1/auth/approle/login", method="POST",
                              json={"role_id": "rid", "secret_id": SECRET}).respond_with_json(
        {"auth": {"client_token": "s.login-token"}})
    httpserver.expect_request("/v1/auth/token/revoke-self", headers={"X-Vault-Token": "s.login-token"}) \
        .respond_with_data("", status=204)
    assert validate_secret_id(client(httpserver), "approle", "r", "rid", SECRET) is True
    assert len(httpserver.log) == 2
    assert "X-Vault-Token" not in httpserver.log[0][0].headers  # the login itself is unauthenticated


def test_invalid_secret_id(httpserver):
    httpserver.expect_request("/v1/auth/approle/login").respond_with_json(
        {"errors": ["invalid role or secret ID"]}, status=400)
    assert validate_secret_id(client(httpserver), "approle", "r", "rid", SECRET) is False


def test_cidr_refusal_falls_back_to_lookup(httpserver):
    httpserver.expect_request("/v1/auth/approle/login").respond_with_json(
        {"errors": ['source address "127.0.0.1" unauthorized by CIDR restrictions on the role']}, status=400)
    httpserver.expect_request("/v1/auth/approle/role/r/secret-id/lookup", json={"secret_id": SECRET}) \
        .respond_with_json({"data": {"secret_id_accessor": "acc"}})
    assert validate_secret_id(client(httpserver), "approle", "r", "rid", SECRET) is True


def test_cidr_refusal_and_unknown_secret_id(httpserver):
    httpserver.expect_request("/v1/auth/approle/login").respond_with_json(
        {"errors": ["unauthorized by CIDR restrictions"]}, status=400)
    httpserver.expect_request("/v1/auth/approle/role/r/secret-id/lookup").respond_with_data("", status=204)
    assert validate_secret_id(client(httpserver), "approle", "r", "rid", SECRET) is False


def test_other_login_errors_fail_without_the_secret(httpserver):
    httpserver.expect_request("/v1/auth/approle/login").respond_with_json(
        {"errors": ["internal error with %s" % SECRET]}, status=500)
    c = client(httpserver)
    c.add_secret(SECRET)
    with pytest.raises(OpenBaoError) as exc:
        validate_secret_id(c, "approle", "r", "rid", SECRET)
    assert "checking the given secret_id by a login to auth/approle failed" in exc.value.message
    assert SECRET not in exc.value.message
