"""The Keycloak admin HTTP client: login, token renewal, counting, error texts (against pytest-httpserver)."""

from __future__ import annotations

import json
from typing import Any, Dict, List
from urllib.parse import parse_qs

import pytest
from werkzeug.wrappers import Request, Response

from ansible_collections.aegis.platform.plugins.module_utils import keycloak as kc

TOKEN_PATH = "/realms/master/protocol/openid-connect/token"
PASSWORD = "S3cret-Admin-Pw"


def token_handler(seen: List[Dict[str, Any]], expires_in: int = 300):
    def handler(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        seen.append(form)
        return Response(json.dumps({"access_token": "tok%d" % len(seen), "expires_in": expires_in}),
                        content_type="application/json")
    return handler


def client(httpserver: Any, **kwargs: Any) -> kc.KeycloakClient:
    options = {"username": "admin", "password": PASSWORD}
    options.update(kwargs)
    return kc.KeycloakClient(httpserver.url_for("/"), **options)


def test_password_login_and_counting(httpserver: Any) -> None:
    logins: List[Dict[str, Any]] = []
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token_handler(logins))
    httpserver.expect_request("/admin/realms/r", method="GET", headers={"Authorization": "Bearer tok1"}) \
        .respond_with_json({"realm": "r"})
    httpserver.expect_request("/admin/realms/r/roles", method="POST").respond_with_response(
        Response(status=201, headers={"Location": httpserver.url_for("/admin/realms/r/roles/aegis%3Aadmin")}))
    api = client(httpserver)
    assert api.get(kc.admin_path("r")) == {"realm": "r"}
    assert api.create(kc.admin_path("r", "roles"), {"name": "aegis:admin"}) == "aegis:admin"
    assert logins == [{"grant_type": "password", "client_id": "admin-cli", "username": "admin",
                       "password": PASSWORD}]
    assert api.request_counts == {"auth": 1, "reads": 1, "writes": 1, "total": 3}


def test_client_credentials_grant(httpserver: Any) -> None:
    logins: List[Dict[str, Any]] = []
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token_handler(logins))
    httpserver.expect_request("/admin/realms").respond_with_json([])
    api = kc.KeycloakClient(httpserver.url_for("/"), client_id="automation", client_secret="cs")
    assert api.get("/admin/realms") == []
    assert logins == [{"grant_type": "client_credentials", "client_id": "automation", "client_secret": "cs"}]


def test_failed_login_names_user_and_url_but_not_the_password(httpserver: Any) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "Invalid user credentials"}, status=401)
    api = client(httpserver)
    with pytest.raises(kc.KeycloakError) as caught:
        api.get("/admin/realms")
    message = str(caught.value)
    assert message == ("Keycloak admin login failed for user admin at %s: check auth_username and auth_password "
                       "(and auth_realm, auth_client_id) (HTTP 401: invalid_grant: Invalid user credentials)"
                       % httpserver.url_for("/").rstrip("/"))
    assert PASSWORD not in message and caught.value.status == 401
    assert api.request_counts["total"] == 1


def test_missing_auth_realm(httpserver: Any) -> None:
    httpserver.expect_request("/realms/nope/protocol/openid-connect/token").respond_with_json(
        {"error": "Realm does not exist"}, status=404)
    with pytest.raises(kc.KeycloakError, match="realm 'nope' not found there"):
        client(httpserver, auth_realm="nope").get("/admin/realms")


def test_401_mid_run_logs_in_again_once(httpserver: Any) -> None:
    logins: List[Dict[str, Any]] = []
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token_handler(logins))
    httpserver.expect_request("/admin/realms/r", headers={"Authorization": "Bearer tok1"}).respond_with_json(
        {"error": "HTTP 401 Unauthorized"}, status=401)
    httpserver.expect_request("/admin/realms/r", headers={"Authorization": "Bearer tok2"}).respond_with_json(
        {"realm": "r"})
    api = client(httpserver)
    assert api.get(kc.admin_path("r")) == {"realm": "r"}
    assert len(logins) == 2
    assert api.request_counts == {"auth": 2, "reads": 2, "writes": 0, "total": 4}


def test_persistent_401_is_an_error(httpserver: Any) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token_handler([]))
    httpserver.expect_request("/admin/realms/r").respond_with_json({"error": "HTTP 401 Unauthorized"}, status=401)
    with pytest.raises(kc.KeycloakError, match=r"GET /admin/realms/r failed with HTTP 401: HTTP 401 Unauthorized"):
        client(httpserver).get(kc.admin_path("r"))


def test_token_renewed_before_it_expires(httpserver: Any) -> None:
    logins: List[Dict[str, Any]] = []
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token_handler(logins, expires_in=0))
    httpserver.expect_request("/admin/realms").respond_with_json([])
    api = client(httpserver)
    api.get("/admin/realms")
    api.get("/admin/realms")
    assert len(logins) == 2  # an expired token is not even tried


def test_get_missing_ok_and_paging(httpserver: Any) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token_handler([]))
    httpserver.expect_request("/admin/realms/gone").respond_with_json({"error": "Realm not found."}, status=404)
    httpserver.expect_request("/admin/realms/r/users", query_string="briefRepresentation=true&first=0&max=2") \
        .respond_with_json([{"username": "a"}, {"username": "b"}])
    httpserver.expect_request("/admin/realms/r/users", query_string="briefRepresentation=true&first=2&max=2") \
        .respond_with_json([{"username": "c"}])
    api = client(httpserver)
    assert api.get(kc.admin_path("gone"), missing_ok=True) is None
    with pytest.raises(kc.KeycloakError, match="HTTP 404: Realm not found."):
        api.get(kc.admin_path("gone"))
    users = api.get_all(kc.admin_path("r", "users"), {"briefRepresentation": "true"}, page_size=2)
    assert [u["username"] for u in users] == ["a", "b", "c"]


def test_conflict_error_carries_keycloak_words(httpserver: Any) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_handler(token_handler([]))
    httpserver.expect_request("/admin/realms/r/clients", method="POST").respond_with_json(
        {"errorMessage": "Client x already exists"}, status=409)
    with pytest.raises(kc.KeycloakError) as caught:
        client(httpserver).create(kc.admin_path("r", "clients"), {"clientId": "x", "secret": "do-not-leak"})
    assert str(caught.value) == "Keycloak POST /admin/realms/r/clients failed with HTTP 409: Client x already exists"
    assert caught.value.status == 409


def test_unreachable_server() -> None:
    api = kc.KeycloakClient("http://admin:pw@127.0.0.1:9/", username="admin", password=PASSWORD, timeout=2)
    with pytest.raises(kc.KeycloakError) as caught:
        api.get("/admin/realms")
    assert str(caught.value).startswith("Cannot reach Keycloak at http://127.0.0.1:9: ")
    assert "pw@" not in str(caught.value) and PASSWORD not in str(caught.value)


def test_no_credentials() -> None:
    with pytest.raises(kc.KeycloakError, match="No Keycloak admin credentials"):
        kc.KeycloakClient("http://127.0.0.1:9").login()


def test_small_helpers() -> None:
    assert kc.path_of("admin", "realms", "r", "roles", "aegis:admin") == "/admin/realms/r/roles/aegis%3Aadmin"
    assert kc.redact_url("https://u:p@kc.example:8443/base/") == "https://kc.example:8443/base/"
    assert kc.error_detail({"error": "invalid_grant", "error_description": "bad"}) == "invalid_grant: bad"
    assert kc.error_detail(None) == ""
    params = {"auth_keycloak_url": "http://kc:8180/", "auth_username": "admin", "auth_password": "x",
              "auth_client_id": None, "auth_realm": None, "validate_certs": False, "timeout": 5}
    api = kc.client_from_params(params)
    assert (api.base_url, api.client_id, api.auth_realm, api.timeout) == ("http://kc:8180", "admin-cli", "master", 5)
    assert set(kc.keycloak_argument_spec()) == {"auth_keycloak_url", "auth_realm", "auth_username", "auth_password",
                                                "auth_client_id", "auth_client_secret", "validate_certs", "timeout"}
