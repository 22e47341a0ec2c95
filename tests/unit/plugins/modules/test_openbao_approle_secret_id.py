# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_approle_secret_id: mode decisions, secret_id validation and lockout clearing against a fake server."""

from __future__ import annotations

import pytest

from ansible_collections.aegis.platform.plugins.module_utils.openbao import OpenBaoClient, OpenBaoError
from ansible_collections.aegis.platform.plugins.modules.openbao_approle_secret_id import (
    clear_lockout,
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


def lookup(httpserver):
    return httpserver.expect_request("/v1/auth/approle/role/r/secret-id/lookup", method="POST",
                                     json={"secret_id": SECRET})


def test_a_held_secret_id_is_checked_by_lookup_never_by_login(httpserver):
    lookup(httpserver).respond_with_json({"data": {"secret_id_accessor": "acc", "expiration_time": "0001-01-01T00:00:00Z"}})
    assert validate_secret_id(client(httpserver), "approle", "r", SECRET) is True
    assert [request.path for request, _response in httpserver.log] == ["/v1/auth/approle/role/r/secret-id/lookup"]


@pytest.mark.parametrize("expires, valid", [("2000-01-01T00:00:00Z", False), ("2999-01-01T00:00:00.5Z", True)])
def test_an_expired_secret_id_is_not_valid(httpserver, expires, valid):
    lookup(httpserver).respond_with_json({"data": {"secret_id_accessor": "acc", "expiration_time": expires}})
    assert validate_secret_id(client(httpserver), "approle", "r", SECRET) is valid


def test_a_destroyed_secret_id_is_not_valid(httpserver):
    lookup(httpserver).respond_with_data("", status=204)
    assert validate_secret_id(client(httpserver), "approle", "r", SECRET) is False


def test_lookup_errors_fail_without_the_secret(httpserver):
    lookup(httpserver).respond_with_json({"errors": ["internal error with %s" % SECRET]}, status=500)
    c = client(httpserver)
    c.add_secret(SECRET)
    with pytest.raises(OpenBaoError) as exc:
        validate_secret_id(c, "approle", "r", SECRET)
    assert SECRET not in exc.value.message


def test_a_lockout_of_the_role_id_is_cleared(httpserver):
    httpserver.expect_request("/v1/sys/locked-users", method="GET").respond_with_json({"data": {"by_namespace": [
        {"namespace_id": "root", "mount_accessors": [{"mount_accessor": "auth_approle_1", "alias_identifiers": ["rid"]}]}]}})
    httpserver.expect_request("/v1/sys/auth/approle", method="GET").respond_with_json({"data": {"accessor": "auth_approle_1"}})
    httpserver.expect_request("/v1/sys/locked-users/auth_approle_1/unlock/rid", method="POST").respond_with_data("", status=204)
    assert clear_lockout(client(httpserver), "approle", "rid") is True
    assert httpserver.log[-1][0].path == "/v1/sys/locked-users/auth_approle_1/unlock/rid"


def test_nothing_is_unlocked_without_a_lockout(httpserver):
    httpserver.expect_request("/v1/sys/locked-users", method="GET").respond_with_json({"data": {"by_namespace": []}})
    httpserver.expect_request("/v1/sys/auth/approle", method="GET").respond_with_json({"data": {"accessor": "auth_approle_1"}})
    assert clear_lockout(client(httpserver), "approle", "rid") is False
    assert all("unlock" not in request.path for request, _response in httpserver.log)
