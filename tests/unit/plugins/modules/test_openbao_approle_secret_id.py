# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_approle_secret_id: mode decisions, secret_id validation and lockout clearing against a fake server."""

from __future__ import annotations

import pytest

from ansible_collections.aegis.platform.plugins.module_utils.openbao import OpenBaoClient, OpenBaoError
from ansible_collections.aegis.platform.plugins.module_utils.openbao_secret_ids import (
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


def run_module(httpserver, check=False, **args):
    import contextlib
    import io
    import json

    from module_args import patch_module_args
    from ansible_collections.aegis.platform.plugins.modules import openbao_approle_secret_id

    out = io.StringIO()
    params = dict(url=httpserver.url_for("/").rstrip("/"), token="s.admin-token", role_name="r", unlock=False, **args)
    with patch_module_args(dict(params, _ansible_check_mode=check, _ansible_diff=True)), \
            contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            openbao_approle_secret_id.main()
    return json.loads(out.getvalue())


def replaced_secret_id(httpserver):
    """A role whose held secret ID is gone: the module mints a new one (and may destroy the held one)."""
    httpserver.expect_request("/v1/auth/approle/role/r/role-id").respond_with_json({"data": {"role_id": "rid"}})
    lookup(httpserver).respond_with_data("", status=204)
    httpserver.expect_request("/v1/auth/approle/role/r/secret-id", method="POST").respond_with_json(
        {"data": {"secret_id": "new-secret-id-value", "secret_id_accessor": "acc-new"}})
    httpserver.expect_request("/v1/auth/approle/role/r/secret-id/destroy", method="POST",
                              json={"secret_id": SECRET}).respond_with_data("", status=204)


def destroy_requests(httpserver):
    return [request for request, _response in httpserver.log if request.path.endswith("/secret-id/destroy")]


def test_destroy_replaced_destroys_the_held_secret_id_after_minting_the_new_one(httpserver):
    replaced_secret_id(httpserver)
    result = run_module(httpserver, secret_id=SECRET, destroy_replaced=True)
    assert result["secret_id_created"] and result["secret_id_destroyed"] and result["secret_id"] == "new-secret-id-value"
    paths = [request.path for request, _response in httpserver.log]
    assert paths.index("/v1/auth/approle/role/r/secret-id") < paths.index("/v1/auth/approle/role/r/secret-id/destroy")
    assert SECRET not in json_dump(result["diff"]) and "destroyed" in result["diff"]["after"]["secret_id"]


def test_without_destroy_replaced_the_held_secret_id_is_left_alone(httpserver):
    replaced_secret_id(httpserver)
    result = run_module(httpserver, secret_id=SECRET)
    assert result["secret_id_created"] and not result["secret_id_destroyed"]
    assert destroy_requests(httpserver) == []


def test_check_mode_says_it_would_destroy_but_writes_nothing(httpserver):
    replaced_secret_id(httpserver)
    result = run_module(httpserver, check=True, secret_id=SECRET, destroy_replaced=True)
    assert result["changed"] and result["secret_id_destroyed"] and "secret_id" not in result
    assert [request.method for request, _response in httpserver.log] == ["GET", "POST"]  # role ID, lookup
    assert destroy_requests(httpserver) == []


def test_a_valid_held_secret_id_is_kept_and_not_destroyed(httpserver):
    httpserver.expect_request("/v1/auth/approle/role/r/role-id").respond_with_json({"data": {"role_id": "rid"}})
    lookup(httpserver).respond_with_json({"data": {"expiration_time": "0001-01-01T00:00:00Z"}})
    result = run_module(httpserver, secret_id=SECRET, destroy_replaced=True)
    assert not result["changed"] and not result["secret_id_destroyed"]
    assert destroy_requests(httpserver) == []


def json_dump(value):
    import json
    return json.dumps(value)
