"""The emulator itself: the Keycloak 24 behaviours the realm module relies on, checked over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional, Tuple

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kc_support import ADMIN_PASSWORD, ADMIN_USER, ROOT, VENV, Emu
from keycloak_emulator import JsonFileStorage, start_in_thread
from keycloak_emulator.tokens import b64url_decode


class Http:
    def __init__(self, base: str) -> None:
        self.base = base
        self.token: Optional[str] = None

    def login(self, password: str = ADMIN_PASSWORD) -> "Http":
        status, _h, body = self.form("/realms/master/protocol/openid-connect/token", {
            "grant_type": "password", "client_id": "admin-cli", "username": ADMIN_USER, "password": password})
        assert status == 200, body
        self.token = body["access_token"]
        return self

    def form(self, path: str, fields: Dict[str, str]) -> Tuple[int, Dict[str, str], Any]:
        return self._open(urllib.request.Request(self.base + path, data=urllib.parse.urlencode(fields).encode(),
                                                 method="POST"))

    def __call__(self, method: str, path: str, body: Any = None, token: Optional[str] = None,
                 query: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], Any]:
        url = self.base + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Content-Type": "application/json"}
        if token or self.token:
            headers["Authorization"] = "Bearer " + (token or self.token)
        data = None if body is None else json.dumps(body).encode()
        return self._open(urllib.request.Request(url, data=data, headers=headers, method=method))

    @staticmethod
    def _open(request: urllib.request.Request) -> Tuple[int, Dict[str, str], Any]:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw, status, headers = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as err:
            raw, status, headers = err.read(), err.code, dict(err.headers)
        return status, headers, json.loads(raw) if raw else None


@pytest.fixture
def http(emu: Emu) -> Http:
    return Http(emu.url).login()


@pytest.fixture
def realm(http: Http) -> str:
    status, headers, _ = http("POST", "/admin/realms", {"realm": "probe", "enabled": True})
    assert status == 201 and headers["Location"].endswith("/admin/realms/probe")
    return "/admin/realms/probe"


def created_id(answer: Tuple[int, Dict[str, str], Any]) -> str:
    status, headers, body = answer
    assert status == 201, body
    return headers["Location"].rsplit("/", 1)[1]


def test_health_discovery_and_signed_tokens(emu: Emu, http: Http) -> None:
    assert http("GET", "/health/ready")[2]["status"] == "UP"
    _s, _h, discovery = http("GET", "/realms/master/.well-known/openid-configuration")
    assert discovery["issuer"] == emu.url + "/realms/master"
    assert discovery["jwks_uri"] == emu.url + "/realms/master/protocol/openid-connect/certs"
    assert "urn:ietf:params:oauth:grant-type:device_code" in discovery["grant_types_supported"]
    key = http("GET", "/realms/master/protocol/openid-connect/certs")[2]["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["x5c"]
    head, body, signature = http.token.split(".")
    assert json.loads(b64url_decode(head))["kid"] == key["kid"]
    public = rsa.RSAPublicNumbers(int.from_bytes(b64url_decode(key["e"]), "big"),
                                  int.from_bytes(b64url_decode(key["n"]), "big")).public_key()
    public.verify(b64url_decode(signature), ("%s.%s" % (head, body)).encode(), padding.PKCS1v15(), hashes.SHA256())
    claims = json.loads(b64url_decode(body))
    assert claims["iss"] == emu.url + "/realms/master" and "admin" in claims["realm_access"]["roles"]


def test_authentication_failures(emu: Emu, http: Http) -> None:
    status, _h, body = http.form("/realms/master/protocol/openid-connect/token", {
        "grant_type": "password", "client_id": "admin-cli", "username": ADMIN_USER, "password": "wrong"})
    assert (status, body["error"]) == (401, "invalid_grant")
    assert http("GET", "/admin/realms/master", token="not-a-token")[0] == 401
    assert http("GET", "/admin/realms/nowhere")[0] == 404
    emu.emulator.config["token_lifespan"] = 1
    short = Http(emu.url).login()
    assert short("GET", "/admin/realms/master")[0] == 200
    time.sleep(1.1)
    assert short("GET", "/admin/realms/master")[0] == 401  # expired


def test_request_log_endpoints(http: Http) -> None:
    assert http("DELETE", "/_emulator/requests")[0] == 204
    http("GET", "/admin/realms/master/clients", query={"clientId": "admin-cli"})
    log = http("GET", "/_emulator/requests")[2]
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in log] == [
        ("GET", "/admin/realms/master/clients", "clientId=admin-cli", 200)]


def test_realm_defaults(http: Http, realm: str) -> None:
    rep = http("GET", realm)[2]
    assert rep["accessTokenLifespan"] == 300 and rep["sslRequired"] == "external"
    assert rep["defaultRole"]["name"] == "default-roles-probe"
    defaults = {s["name"] for s in http("GET", realm + "/default-default-client-scopes")[2]}
    assert defaults == {"web-origins", "acr", "profile", "roles", "email", "role_list"}
    optional = {s["name"] for s in http("GET", realm + "/default-optional-client-scopes")[2]}
    assert optional == {"address", "phone", "offline_access", "microprofile-jwt"}
    scopes = {s["name"] for s in http("GET", realm + "/client-scopes")[2]}
    assert "basic" not in scopes  # Keycloak 25 added it
    assert http("POST", "/admin/realms", {"realm": "probe"})[0] == 409


def test_client_defaults_depend_on_protocol(http: Http, realm: str) -> None:
    oidc = http("GET", realm + "/clients/" + created_id(http("POST", realm + "/clients", {
        "clientId": "with-protocol", "protocol": "openid-connect"})))[2]
    bare = http("GET", realm + "/clients/" + created_id(http("POST", realm + "/clients", {
        "clientId": "without-protocol"})))[2]
    assert oidc["publicClient"] is True and oidc["directAccessGrantsEnabled"] is True
    assert "secret" not in oidc
    assert "protocol" not in bare
    assert bare["publicClient"] is False and bare["directAccessGrantsEnabled"] is False and bare["secret"]
    for client in (oidc, bare):
        assert sorted(client["defaultClientScopes"]) == ["acr", "email", "profile", "roles", "web-origins"]
        assert sorted(client["optionalClientScopes"]) == ["address", "microprofile-jwt", "offline_access", "phone"]
        assert "protocolMappers" not in client
    assert http("POST", realm + "/clients", {"clientId": "with-protocol"})[0] == 409


def test_client_lookup_and_user_search_semantics(http: Http, realm: str) -> None:
    for client_id in ("app", "app-admin"):
        http("POST", realm + "/clients", {"clientId": client_id, "protocol": "openid-connect"})
    exact = http("GET", realm + "/clients", query={"clientId": "app"})[2]
    assert [c["clientId"] for c in exact] == ["app"]
    search = http("GET", realm + "/clients", query={"clientId": "app", "search": "true"})[2]
    assert [c["clientId"] for c in search] == ["app", "app-admin"]
    for username in ("bob", "bobby"):
        created_id(http("POST", realm + "/users", {"username": username, "enabled": True}))
    assert [u["username"] for u in http("GET", realm + "/users", query={"username": "bob"})[2]] == ["bob", "bobby"]
    assert [u["username"] for u in http("GET", realm + "/users",
                                        query={"username": "bob", "exact": "true"})[2]] == ["bob"]
    assert http("POST", realm + "/users", {"username": "BOB"})[0] == 409


def test_service_account_lifecycle_and_partial_put(http: Http, realm: str) -> None:
    cid = created_id(http("POST", realm + "/clients", {
        "clientId": "Worker", "protocol": "openid-connect", "publicClient": False, "serviceAccountsEnabled": True,
        "attributes": {"a": "1"}}))
    rep = http("GET", realm + "/clients/" + cid)[2]
    assert {m["name"] for m in rep["protocolMappers"]} == {"Client ID", "Client Host", "Client IP Address"}
    account = http("GET", realm + "/clients/" + cid + "/service-account-user")[2]
    assert account["username"] == "service-account-worker"
    assert all(u["username"] != "service-account-worker" for u in http("GET", realm + "/users")[2])
    role = http("GET", realm + "/roles/offline_access")[2]
    assert http("POST", realm + "/users/%s/role-mappings/realm" % account["id"], [role])[0] == 204
    members = [u["username"] for u in http("GET", realm + "/roles/offline_access/users")[2]]
    assert "service-account-worker" in members

    # full representation (flag included): same user, attributes merged
    rep.update({"description": "x", "attributes": {"b": "2"}})
    assert http("PUT", realm + "/clients/" + cid, rep)[0] == 204
    after = http("GET", realm + "/clients/" + cid)[2]
    assert after["attributes"]["a"] == "1" and after["attributes"]["b"] == "2"
    assert http("GET", realm + "/clients/" + cid + "/service-account-user")[2]["id"] == account["id"]

    # a PUT without serviceAccountsEnabled deletes the service-account user (and its roles)
    assert http("PUT", realm + "/clients/" + cid, {"clientId": "Worker", "description": "y"})[0] == 204
    assert http("GET", realm + "/users/" + account["id"])[0] == 404
    reborn = http("GET", realm + "/clients/" + cid + "/service-account-user")[2]
    assert reborn["id"] != account["id"]
    assert "service-account-worker" not in [
        u["username"] for u in http("GET", realm + "/roles/offline_access/users")[2]]

    secret = http("GET", realm + "/clients/" + cid + "/client-secret")[2]
    assert secret["type"] == "secret" and secret["value"] == after["secret"]
    rotated = http("POST", realm + "/clients/" + cid + "/client-secret")[2]["value"]
    assert rotated != secret["value"]


def test_scope_without_protocol_is_not_linked(http: Http, realm: str) -> None:
    bare = created_id(http("POST", realm + "/client-scopes", {"name": "no-proto"}))
    oidc = created_id(http("POST", realm + "/client-scopes", {"name": "agent:run", "protocol": "openid-connect"}))
    cid = created_id(http("POST", realm + "/clients", {"clientId": "c", "protocol": "openid-connect"}))
    for scope in (bare, oidc):
        assert http("PUT", realm + "/clients/%s/optional-client-scopes/%s" % (cid, scope))[0] == 204
    names = [s["name"] for s in http("GET", realm + "/clients/%s/optional-client-scopes" % cid)[2]]
    assert "agent:run" in names and "no-proto" not in names
    assert "no-proto" not in http("GET", realm + "/clients/" + cid)[2]["optionalClientScopes"]
    assert http("POST", realm + "/client-scopes", {"name": "has space"})[0] == 400
    assert http("POST", realm + "/client-scopes", {"name": "agent:run"})[0] == 409


def test_create_with_only_optional_scopes_drops_realm_defaults(http: Http, realm: str) -> None:
    cid = created_id(http("POST", realm + "/clients", {"clientId": "only-optional", "protocol": "openid-connect",
                                                       "optionalClientScopes": ["phone"]}))
    rep = http("GET", realm + "/clients/" + cid)[2]
    assert rep["defaultClientScopes"] == [] and rep["optionalClientScopes"] == ["phone"]


def test_protocol_mappers_endpoints(http: Http, realm: str) -> None:
    cid = created_id(http("POST", realm + "/clients", {"clientId": "m", "protocol": "openid-connect"}))
    base = realm + "/clients/%s/protocol-mappers/models" % cid
    mapper = {"name": "aud", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
              "config": {"included.client.audience": "x", "access.token.claim": True}}
    mid = created_id(http("POST", base, mapper))
    assert http("POST", base, mapper)[0] == 409
    got = http("GET", base + "/" + mid)[2]
    assert got["config"] == {"included.client.audience": "x", "access.token.claim": "true"}
    assert http("PUT", base + "/" + mid, dict(got, config={"included.client.audience": "y"}))[0] == 204
    assert http("GET", base + "/" + mid)[2]["config"] == {"included.client.audience": "y"}  # replaced
    assert http("DELETE", base + "/" + mid)[0] == 204
    assert http("GET", base)[2] == []


def test_state_file_survives_a_restart(tmp_path: Any) -> None:
    path = str(tmp_path / "state.json")
    first = start_in_thread(admin_password="Pw-1", storage=JsonFileStorage(path))
    try:
        api = Http(first.url)
        status, _h, body = api.form("/realms/master/protocol/openid-connect/token", {
            "grant_type": "password", "client_id": "admin-cli", "username": "admin", "password": "Pw-1"})
        token = body["access_token"]
        assert api("POST", "/admin/realms", {"realm": "kept", "enabled": True}, token=token)[0] == 201
    finally:
        first.stop()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    second = start_in_thread(admin_password="ignored-now", storage=JsonFileStorage(path))
    try:
        api = Http(second.url)
        assert api("GET", "/admin/realms/kept", token=token)[0] == 200  # same realm key: old token still valid
    finally:
        second.stop()


def test_runs_as_a_standalone_server(tmp_path: Any) -> None:
    env = dict(os.environ, KEYCLOAK_ADMIN="boss", KEYCLOAK_ADMIN_PASSWORD="Standalone-Pw-5")
    proc = subprocess.Popen([str(VENV / "python"), "-m", "keycloak_emulator", "--port", "0",
                             "--state-file", str(tmp_path / "kc.json")],
                            cwd=str(ROOT / "roles" / "images" / "files" / "containerfiles" / "standin_keycloak"), env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        base = line.strip().rsplit(" ", 1)[1]
        api = Http(base)
        status, _h, body = api.form("/realms/master/protocol/openid-connect/token", {
            "grant_type": "password", "client_id": "admin-cli", "username": "boss", "password": "Standalone-Pw-5"})
        assert status == 200
        assert api("GET", "/health/ready")[2]["status"] == "UP"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_expire_tokens_hook(emu: Emu, http: Http) -> None:
    assert http("POST", "/_emulator/expire-tokens")[0] == 204
    assert http("GET", "/admin/realms/master")[0] == 401
    assert http.login()("GET", "/admin/realms/master")[0] == 200  # a new token works at once
