"""HTTP front of the emulator: routing, bearer-token checks, the request log, and the test hooks."""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Pattern, Tuple
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from . import tokens
from .model import ApiError, Json, Keycloak, OIDC, new_id
from .storage import MemoryStorage, Storage

ADMIN_ROLE = "admin"


class Emulator:
    """Server state, persistence, the request log and the knobs tests turn (token lifetime and uses)."""

    def __init__(self, storage: Optional[Storage] = None, admin_user: str = "admin",
                 admin_password: str = "admin", token_lifespan: Optional[int] = None,
                 hostname_url: Optional[str] = None) -> None:
        self.storage = storage or MemoryStorage()
        self.admin_user = admin_user
        self.admin_password = admin_password
        self.lock = threading.RLock()
        self.requests: List[Json] = []
        self.config: Json = {"token_lifespan": token_lifespan, "token_max_uses": None}
        self.hostname_url = hostname_url.rstrip("/") if hostname_url else None
        self.token_uses: Dict[str, int] = {}
        self.issued: Dict[str, float] = {}  # jti -> issue time, for /_emulator/expire-tokens
        self.revoked_before = 0.0
        self.keycloak = Keycloak(self.storage.load())
        if "master" not in self.keycloak.state["realms"]:
            self.keycloak.bootstrap_master(admin_user, admin_password)
            self.storage.save(self.keycloak.state)

    def reset(self) -> None:
        with self.lock:
            self.keycloak = Keycloak()
            self.keycloak.bootstrap_master(self.admin_user, self.admin_password)
            self.storage.save(self.keycloak.state)
            self.requests.clear()
            self.token_uses.clear()
            self.config.update({"token_lifespan": None, "token_max_uses": None})

    def save(self) -> None:
        self.storage.save(self.keycloak.state)

    # tokens ----------------------------------------------------------------------------------------------------
    def issue_token(self, realm_name: str, form: Dict[str, str], basic: Optional[Tuple[str, str]],
                    base_url: str) -> Json:
        realm = self.keycloak.state["realms"].get(realm_name)
        if realm is None:
            raise ApiError(404, {"error": "Realm does not exist"})
        client_id = form.get("client_id")
        client_secret = form.get("client_secret")
        if basic:
            client_id, client_secret = basic
        grant = form.get("grant_type")
        if grant not in ("password", "client_credentials", "refresh_token"):
            raise ApiError(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"})
        client = self.keycloak.authenticate_client(realm, client_id, client_secret)
        if grant == "password":
            user = self.keycloak.password_login(realm, client, form.get("username", ""), form.get("password", ""))
        elif grant == "client_credentials":
            user = self.keycloak.service_account_login(realm, client)
        else:
            claims = self.check_token(realm_name, form.get("refresh_token", ""), kind="Refresh")
            user = self.keycloak.user_for_claims(realm, claims or {})
            if claims is None or user is None or claims.get("azp") != client["clientId"]:
                raise ApiError(400, {"error": "invalid_grant", "error_description": "Invalid refresh token"})
        lifespan = self.config["token_lifespan"] or realm["rep"].get("accessTokenLifespan", 300)
        issuer = "%s/realms/%s" % (base_url, realm_name)
        claims = self.keycloak.token_claims(realm, client, user, issuer, int(lifespan))
        refresh_lifespan = int(realm["rep"].get("ssoSessionIdleTimeout", 1800))
        refresh = {"exp": claims["iat"] + refresh_lifespan, "iat": claims["iat"], "jti": new_id(), "iss": issuer,
                   "aud": issuer, "sub": user["id"], "typ": "Refresh", "azp": client["clientId"],
                   "session_state": claims["session_state"], "scope": claims["scope"]}
        now = time.time()
        self.issued[claims["jti"]] = now
        self.issued[refresh["jti"]] = now
        answer = {
            "access_token": tokens.sign(realm["key"], claims),
            "expires_in": int(lifespan),
            "refresh_expires_in": refresh_lifespan,
            "refresh_token": tokens.sign(realm["key"], refresh),
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": claims["session_state"],
            "scope": claims["scope"],
        }
        if grant == "client_credentials":
            del answer["refresh_token"]
            answer["refresh_expires_in"] = 0
            del answer["session_state"]
        return answer

    def check_token(self, realm_name: str, token: str, kind: str = "Bearer") -> Optional[Json]:
        realm = self.keycloak.state["realms"].get(realm_name)
        if realm is None or not token:
            return None
        claims = tokens.verify(realm["key"], token)
        if claims is None or claims.get("typ") != kind:
            return None
        if claims.get("exp", 0) <= time.time():
            return None
        if self.issued.get(claims.get("jti", ""), claims.get("iat", 0)) < self.revoked_before:
            return None
        max_uses = self.config.get("token_max_uses")
        if kind == "Bearer" and max_uses:
            used = self.token_uses.get(claims["jti"], 0)
            if used >= max_uses:
                return None
            self.token_uses[claims["jti"]] = used + 1
        return claims

    def admin_claims(self, header: Optional[str]) -> Json:
        """Bearer token of a master-realm principal holding the ``admin`` realm role (Keycloak: 401 / 403)."""
        if not header or not header.startswith("Bearer "):
            raise ApiError(401, {"error": "HTTP 401 Unauthorized"})
        token = header[len("Bearer "):].strip()
        unverified = tokens.unverified_claims(token) or {}
        issuer = str(unverified.get("iss", ""))
        realm_name = unquote(issuer.rsplit("/realms/", 1)[-1]) if "/realms/" in issuer else ""
        claims = self.check_token(realm_name, token)
        if claims is None:
            raise ApiError(401, {"error": "HTTP 401 Unauthorized"})
        realm = self.keycloak.state["realms"][realm_name]
        user = self.keycloak.user_for_claims(realm, claims)
        if user is None:
            raise ApiError(401, {"error": "HTTP 401 Unauthorized"})
        roles = {r["name"] for r in self.keycloak._expand(realm, user["roles"])}  # pylint: disable=protected-access
        if realm_name != "master" or ADMIN_ROLE not in roles:
            raise ApiError(403, {"error": "HTTP 403 Forbidden"})
        return claims


Handler = Callable[..., Tuple[int, Any, Dict[str, str]]]


class Route:
    def __init__(self, method: str, pattern: str, func: Handler, admin: bool = True, write: bool = False) -> None:
        self.method = method
        self.regex: Pattern[str] = re.compile("^" + pattern + "$")
        self.func = func
        self.admin = admin
        self.write = write


def _int(query: Dict[str, str], key: str) -> Optional[int]:
    value = query.get(key)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, {"error": "invalid %s" % key})


def _bool(query: Dict[str, str], key: str, default: bool) -> bool:
    value = query.get(key)
    if value in (None, ""):
        return default
    return value.lower() == "true"


def ok(body: Any = None) -> Tuple[int, Any, Dict[str, str]]:
    return 200, body, {}


def no_content() -> Tuple[int, Any, Dict[str, str]]:
    return 204, None, {}


class RequestHandler(BaseHTTPRequestHandler):
    """One request: parse, log, route, answer JSON."""

    protocol_version = "HTTP/1.1"
    server_version = "keycloak-emulator/24"
    emulator: Emulator  # set on the subclass made by make_server
    routes: List[Route] = []

    # quiet by default; the request log is the record
    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def base_url(self) -> str:
        if self.emulator.hostname_url:
            return self.emulator.hostname_url
        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]
        return "http://%s" % host

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw = self._read_body()
        status, body, headers = 500, {"error": "unknown_error"}, {}
        try:
            status, body, headers = self._route(method, path, query, raw)
        except ApiError as err:
            status, body, headers = err.status, err.body, {}
        except Exception as err:  # pylint: disable=broad-except
            status, body, headers = 500, {"error": "unknown_error", "error_description": repr(err)}, {}
        if not path.startswith("/_emulator"):
            with self.emulator.lock:
                self.emulator.requests.append({"method": method, "path": path, "query": parts.query,
                                               "status": status, "time": time.time()})
        self._send(status, body, headers)

    def _send(self, status: int, body: Any, headers: Dict[str, str]) -> None:
        payload = b""
        if body is not None:
            payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        for key, value in headers.items():
            self.send_header(key, value)
        if status == 401 and "WWW-Authenticate" not in headers:
            self.send_header("WWW-Authenticate", 'Bearer realm="master"')
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _route(self, method: str, path: str, query: Dict[str, str], raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
        allowed = False
        for route in self.routes:
            match = route.regex.match(path)
            if not match:
                continue
            allowed = True
            if route.method != method:
                continue
            args = [unquote(a) for a in match.groups()]
            with self.emulator.lock:
                if route.admin:
                    self.emulator.admin_claims(self.headers.get("Authorization"))
                result = route.func(self, query, raw, *args)
                if route.write and result[0] < 300:
                    self.emulator.save()
            return result
        if allowed:
            raise ApiError(405, {"error": "HTTP 405 Method Not Allowed"})
        raise ApiError(404, {"error": "Unable to find matching target resource method"})

    # helpers -----------------------------------------------------------------------------------------------------
    def json_body(self, raw: bytes) -> Any:
        try:
            return json.loads(raw.decode() or "null")
        except ValueError:
            raise ApiError(400, {"error": "unknown_error", "error_description": "Cannot parse the JSON"})

    def object_body(self, raw: bytes) -> Json:
        body = self.json_body(raw)
        if not isinstance(body, dict):
            raise ApiError(400, {"error": "unknown_error", "error_description": "Cannot parse the JSON"})
        return body

    def created(self, *segments: str) -> Tuple[int, Any, Dict[str, str]]:
        location = self.base_url() + "/" + "/".join(quote(s, safe="") for s in segments)
        return 201, None, {"Location": location}

    @property
    def kc(self) -> Keycloak:
        return self.emulator.keycloak


R = RequestHandler
SEG = "([^/]+)"
ADMIN = "/admin/realms/" + SEG


# ------------------------------------------------------------------------------------------------------------------
# Handlers. Each takes (handler, query, raw_body, *path_args) and returns (status, body, headers).
# ------------------------------------------------------------------------------------------------------------------
def h_health(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    return ok({"status": "UP", "checks": []})


def h_token(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    basic = None
    auth = h.headers.get("Authorization") or ""
    if auth.startswith("Basic "):
        try:
            user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            basic = (unquote(user), unquote(secret))
        except ValueError:
            raise ApiError(400, {"error": "invalid_request"})
    answer = h.emulator.issue_token(realm, form, basic, h.base_url())
    return 200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"}


def h_realm_public(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    data = h.kc.realm(realm)
    base = "%s/realms/%s" % (h.base_url(), realm)
    return ok({"realm": realm, "public_key": tokens.public_key_b64(data["key"]),
               "token-service": base + "/protocol/openid-connect", "account-service": base + "/account",
               "tokens-not-before": 0})


def h_discovery(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    data = h.kc.realm(realm)
    issuer = "%s/realms/%s" % (h.base_url(), realm)
    oidc = issuer + "/protocol/openid-connect"
    scopes = ["openid"] + sorted(s["name"] for s in data["scopes"].values()
                                 if s.get("protocol") == OIDC)
    return ok({
        "issuer": issuer,
        "authorization_endpoint": oidc + "/auth",
        "token_endpoint": oidc + "/token",
        "introspection_endpoint": oidc + "/token/introspect",
        "userinfo_endpoint": oidc + "/userinfo",
        "end_session_endpoint": oidc + "/logout",
        "frontchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "jwks_uri": oidc + "/certs",
        "check_session_iframe": oidc + "/login-status-iframe.html",
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password",
                                  "client_credentials", "urn:openid:params:grant-type:ciba",
                                  "urn:ietf:params:oauth:grant-type:device_code"],
        "acr_values_supported": ["0", "1"],
        "response_types_supported": ["code", "none", "id_token", "token", "id_token token", "code id_token",
                                     "code token", "code id_token token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["RS256", "none"],
        "request_object_signing_alg_values_supported": ["RS256", "none"],
        "response_modes_supported": ["query", "fragment", "form_post", "query.jwt", "fragment.jwt",
                                     "form_post.jwt", "jwt"],
        "registration_endpoint": "%s/realms/%s/clients-registrations/openid-connect" % (h.base_url(), realm),
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "client_secret_post",
                                                  "tls_client_auth", "client_secret_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "introspection_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic",
                                                          "client_secret_post", "tls_client_auth",
                                                          "client_secret_jwt"],
        "claims_supported": ["aud", "sub", "iss", "auth_time", "name", "given_name", "family_name",
                             "preferred_username", "email", "acr"],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": True,
        "scopes_supported": scopes,
        "request_parameter_supported": True,
        "request_uri_parameter_supported": True,
        "require_request_uri_registration": True,
        "code_challenge_methods_supported": ["plain", "S256"],
        "tls_client_certificate_bound_access_tokens": True,
        "revocation_endpoint": oidc + "/revoke",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "device_authorization_endpoint": oidc + "/auth/device",
        "authorization_response_iss_parameter_supported": True,
    })


def h_certs(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok({"keys": [tokens.jwk(h.kc.realm(realm)["key"])]})


def h_userinfo(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    auth = h.headers.get("Authorization") or ""
    claims = h.emulator.check_token(realm, auth[7:].strip()) if auth.startswith("Bearer ") else None
    user = h.kc.user_for_claims(h.kc.realm(realm), claims) if claims else None
    if user is None:
        raise ApiError(401, {"error": "invalid_token", "error_description": "Token verification failed"})
    info = {"sub": user["id"], "email_verified": user["emailVerified"], "preferred_username": user["username"]}
    for key, claim in (("email", "email"), ("firstName", "given_name"), ("lastName", "family_name")):
        if user.get(key):
            info[claim] = user[key]
    return ok(info)


# realms
def h_realms(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    return ok([h.kc.realm_rep(name) for name in h.kc.realm_names()])


def h_realm_create(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    rep = h.object_body(raw)
    h.kc.create_realm(rep)
    return h.created("admin", "realms", rep["realm"])


def h_realm_get(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.realm_rep(realm))


def h_realm_put(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.update_realm(realm, h.object_body(raw))
    return no_content()


def h_realm_delete(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.delete_realm(realm)
    return no_content()


# roles
def h_roles(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.list_roles(realm, q.get("search"), _int(q, "first"), _int(q, "max"),
                              _bool(q, "briefRepresentation", True)))


def h_role_create(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    name = h.kc.create_role(realm, h.object_body(raw))
    return h.created("admin", "realms", realm, "roles", name)


def h_role_get(h: R, q: Json, raw: bytes, realm: str, name: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.get_role(realm, name))


def h_role_put(h: R, q: Json, raw: bytes, realm: str, name: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.update_role(realm, name, h.object_body(raw))
    return no_content()


def h_role_delete(h: R, q: Json, raw: bytes, realm: str, name: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.delete_role(realm, name)
    return no_content()


def h_role_users(h: R, q: Json, raw: bytes, realm: str, name: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.role_members(realm, name, _int(q, "first"), _int(q, "max"), _bool(q, "briefRepresentation", True)))


# client scopes
def h_scopes(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.list_scopes(realm))


def h_scope_create(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    scope_id = h.kc.create_scope(realm, h.object_body(raw))
    return h.created("admin", "realms", realm, "client-scopes", scope_id)


def h_scope_get(h: R, q: Json, raw: bytes, realm: str, sid: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.get_scope(realm, sid))


def h_scope_put(h: R, q: Json, raw: bytes, realm: str, sid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.update_scope(realm, sid, h.object_body(raw))
    return no_content()


def h_scope_delete(h: R, q: Json, raw: bytes, realm: str, sid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.delete_scope(realm, sid)
    return no_content()


def _realm_default_scopes(kind: str) -> Tuple[Handler, Handler, Handler]:
    def listing(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
        return ok(h.kc.realm_default_scopes(realm, kind))

    def add(h: R, q: Json, raw: bytes, realm: str, sid: str) -> Tuple[int, Any, Dict[str, str]]:
        h.kc.add_realm_default_scope(realm, kind, sid)
        return no_content()

    def remove(h: R, q: Json, raw: bytes, realm: str, sid: str) -> Tuple[int, Any, Dict[str, str]]:
        h.kc.remove_realm_default_scope(realm, kind, sid)
        return no_content()
    return listing, add, remove


# protocol mappers (owner = "clients" or "client-scopes")
def _mappers(owner: str) -> Tuple[Handler, ...]:
    kind = "clients" if owner == "clients" else "scopes"

    def listing(h: R, q: Json, raw: bytes, realm: str, oid: str) -> Tuple[int, Any, Dict[str, str]]:
        return ok(h.kc.list_mappers(realm, kind, oid))

    def create(h: R, q: Json, raw: bytes, realm: str, oid: str) -> Tuple[int, Any, Dict[str, str]]:
        mid = h.kc.create_mapper(realm, kind, oid, h.object_body(raw))
        return h.created("admin", "realms", realm, owner, oid, "protocol-mappers", "models", mid)

    def get(h: R, q: Json, raw: bytes, realm: str, oid: str, mid: str) -> Tuple[int, Any, Dict[str, str]]:
        return ok(h.kc.get_mapper(realm, kind, oid, mid))

    def put(h: R, q: Json, raw: bytes, realm: str, oid: str, mid: str) -> Tuple[int, Any, Dict[str, str]]:
        h.kc.update_mapper(realm, kind, oid, mid, h.object_body(raw))
        return no_content()

    def delete(h: R, q: Json, raw: bytes, realm: str, oid: str, mid: str) -> Tuple[int, Any, Dict[str, str]]:
        h.kc.delete_mapper(realm, kind, oid, mid)
        return no_content()
    return listing, create, get, put, delete


# clients
def h_clients(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.list_clients(realm, q.get("clientId"), _bool(q, "search", False), _int(q, "first"),
                                _int(q, "max")))


def h_client_create(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    cid = h.kc.create_client(realm, h.object_body(raw))
    return h.created("admin", "realms", realm, "clients", cid)


def h_client_get(h: R, q: Json, raw: bytes, realm: str, cid: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.get_client(realm, cid))


def h_client_put(h: R, q: Json, raw: bytes, realm: str, cid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.update_client(realm, cid, h.object_body(raw))
    return no_content()


def h_client_delete(h: R, q: Json, raw: bytes, realm: str, cid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.delete_client(realm, cid)
    return no_content()


def h_secret_get(h: R, q: Json, raw: bytes, realm: str, cid: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.client_secret(realm, cid))


def h_secret_post(h: R, q: Json, raw: bytes, realm: str, cid: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.client_secret(realm, cid, regenerate=True))


def h_sa_user(h: R, q: Json, raw: bytes, realm: str, cid: str) -> Tuple[int, Any, Dict[str, str]]:
    rep = h.kc.service_account_user(realm, cid)
    h.emulator.save()  # a read that may create the user, as in Keycloak
    return ok(rep)


def _client_scope_links(kind: str) -> Tuple[Handler, Handler, Handler]:
    def listing(h: R, q: Json, raw: bytes, realm: str, cid: str) -> Tuple[int, Any, Dict[str, str]]:
        return ok(h.kc.client_scope_links(realm, cid, kind))

    def add(h: R, q: Json, raw: bytes, realm: str, cid: str, sid: str) -> Tuple[int, Any, Dict[str, str]]:
        h.kc.link_client_scope(realm, cid, kind, sid)
        return no_content()

    def remove(h: R, q: Json, raw: bytes, realm: str, cid: str, sid: str) -> Tuple[int, Any, Dict[str, str]]:
        h.kc.unlink_client_scope(realm, cid, kind, sid)
        return no_content()
    return listing, add, remove


# users
def h_users(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.list_users(realm, q))


def h_users_count(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.count_users(realm))


def h_user_create(h: R, q: Json, raw: bytes, realm: str) -> Tuple[int, Any, Dict[str, str]]:
    uid = h.kc.create_user(realm, h.object_body(raw))
    return h.created("admin", "realms", realm, "users", uid)


def h_user_get(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.get_user(realm, uid))


def h_user_put(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.update_user(realm, uid, h.object_body(raw))
    return no_content()


def h_user_delete(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.delete_user(realm, uid)
    return no_content()


def h_reset_password(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.reset_password(realm, uid, h.object_body(raw))
    return no_content()


def h_role_mappings(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    roles = h.kc.user_realm_roles(realm, uid)
    return ok({"realmMappings": roles} if roles else {})


def h_realm_mappings(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.user_realm_roles(realm, uid))


def h_realm_mappings_composite(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    return ok(h.kc.user_realm_roles(realm, uid, composite=True))


def h_realm_mappings_add(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.add_user_realm_roles(realm, uid, h.json_body(raw))
    return no_content()


def h_realm_mappings_remove(h: R, q: Json, raw: bytes, realm: str, uid: str) -> Tuple[int, Any, Dict[str, str]]:
    h.kc.remove_user_realm_roles(realm, uid, h.json_body(raw))
    return no_content()


# test hooks
def h_emu_requests(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    with h.emulator.lock:
        return ok(copy.deepcopy(h.emulator.requests))


def h_emu_requests_clear(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    with h.emulator.lock:
        h.emulator.requests.clear()
    return no_content()


def h_emu_config(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    body = h.object_body(raw) if raw else {}
    with h.emulator.lock:
        for key in ("token_lifespan", "token_max_uses"):
            if key in body:
                h.emulator.config[key] = body[key]
        return ok(dict(h.emulator.config))


def h_emu_expire(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    with h.emulator.lock:
        h.emulator.revoked_before = time.time()
    return no_content()


def h_emu_reset(h: R, q: Json, raw: bytes) -> Tuple[int, Any, Dict[str, str]]:
    h.emulator.reset()
    return no_content()


def _routes() -> List[Route]:
    routes = [
        Route("GET", "/health", h_health, admin=False),
        Route("GET", "/health/(?:ready|live|started)", h_health, admin=False),
        Route("POST", "/realms/" + SEG + "/protocol/openid-connect/token", h_token, admin=False, write=True),
        Route("GET", "/realms/" + SEG, h_realm_public, admin=False),
        Route("GET", "/realms/" + SEG + "/.well-known/openid-configuration", h_discovery, admin=False),
        Route("GET", "/realms/" + SEG + "/protocol/openid-connect/certs", h_certs, admin=False),
        Route("GET", "/realms/" + SEG + "/protocol/openid-connect/userinfo", h_userinfo, admin=False),
        Route("POST", "/realms/" + SEG + "/protocol/openid-connect/userinfo", h_userinfo, admin=False),
        Route("GET", "/_emulator/requests", h_emu_requests, admin=False),
        Route("DELETE", "/_emulator/requests", h_emu_requests_clear, admin=False),
        Route("GET", "/_emulator/config", h_emu_config, admin=False),
        Route("POST", "/_emulator/config", h_emu_config, admin=False),
        Route("POST", "/_emulator/expire-tokens", h_emu_expire, admin=False),
        Route("POST", "/_emulator/reset", h_emu_reset, admin=False),
        Route("GET", "/admin/realms", h_realms),
        Route("POST", "/admin/realms", h_realm_create, write=True),
        Route("GET", ADMIN, h_realm_get),
        Route("PUT", ADMIN, h_realm_put, write=True),
        Route("DELETE", ADMIN, h_realm_delete, write=True),
        Route("GET", ADMIN + "/roles", h_roles),
        Route("POST", ADMIN + "/roles", h_role_create, write=True),
        Route("GET", ADMIN + "/roles/" + SEG, h_role_get),
        Route("PUT", ADMIN + "/roles/" + SEG, h_role_put, write=True),
        Route("DELETE", ADMIN + "/roles/" + SEG, h_role_delete, write=True),
        Route("GET", ADMIN + "/roles/" + SEG + "/users", h_role_users),
        Route("GET", ADMIN + "/client-scopes", h_scopes),
        Route("POST", ADMIN + "/client-scopes", h_scope_create, write=True),
        Route("GET", ADMIN + "/client-scopes/" + SEG, h_scope_get),
        Route("PUT", ADMIN + "/client-scopes/" + SEG, h_scope_put, write=True),
        Route("DELETE", ADMIN + "/client-scopes/" + SEG, h_scope_delete, write=True),
        Route("GET", ADMIN + "/clients", h_clients),
        Route("POST", ADMIN + "/clients", h_client_create, write=True),
        Route("GET", ADMIN + "/clients/" + SEG, h_client_get),
        Route("PUT", ADMIN + "/clients/" + SEG, h_client_put, write=True),
        Route("DELETE", ADMIN + "/clients/" + SEG, h_client_delete, write=True),
        Route("GET", ADMIN + "/clients/" + SEG + "/client-secret", h_secret_get),
        Route("POST", ADMIN + "/clients/" + SEG + "/client-secret", h_secret_post, write=True),
        Route("GET", ADMIN + "/clients/" + SEG + "/service-account-user", h_sa_user),
        Route("GET", ADMIN + "/users", h_users),
        Route("POST", ADMIN + "/users", h_user_create, write=True),
        Route("GET", ADMIN + "/users/count", h_users_count),
        Route("GET", ADMIN + "/users/" + SEG, h_user_get),
        Route("PUT", ADMIN + "/users/" + SEG, h_user_put, write=True),
        Route("DELETE", ADMIN + "/users/" + SEG, h_user_delete, write=True),
        Route("PUT", ADMIN + "/users/" + SEG + "/reset-password", h_reset_password, write=True),
        Route("GET", ADMIN + "/users/" + SEG + "/role-mappings", h_role_mappings),
        Route("GET", ADMIN + "/users/" + SEG + "/role-mappings/realm", h_realm_mappings),
        Route("GET", ADMIN + "/users/" + SEG + "/role-mappings/realm/composite", h_realm_mappings_composite),
        Route("POST", ADMIN + "/users/" + SEG + "/role-mappings/realm", h_realm_mappings_add, write=True),
        Route("DELETE", ADMIN + "/users/" + SEG + "/role-mappings/realm", h_realm_mappings_remove, write=True),
    ]
    for kind, path in (("default", "default-default-client-scopes"), ("optional", "default-optional-client-scopes")):
        listing, add, remove = _realm_default_scopes(kind)
        routes += [Route("GET", ADMIN + "/" + path, listing),
                   Route("PUT", ADMIN + "/" + path + "/" + SEG, add, write=True),
                   Route("DELETE", ADMIN + "/" + path + "/" + SEG, remove, write=True)]
    for kind in ("default", "optional"):
        listing, add, remove = _client_scope_links(kind)
        base = ADMIN + "/clients/" + SEG + "/" + kind + "-client-scopes"
        routes += [Route("GET", base, listing),
                   Route("PUT", base + "/" + SEG, add, write=True),
                   Route("DELETE", base + "/" + SEG, remove, write=True)]
    for owner in ("clients", "client-scopes"):
        listing, create, get, put, delete = _mappers(owner)
        base = ADMIN + "/" + owner + "/" + SEG + "/protocol-mappers/models"
        routes += [Route("GET", base, listing), Route("POST", base, create, write=True),
                   Route("GET", base + "/" + SEG, get), Route("PUT", base + "/" + SEG, put, write=True),
                   Route("DELETE", base + "/" + SEG, delete, write=True)]
    return routes


def make_server(emulator: Emulator, host: str = "127.0.0.1", port: int = 0,
                verbose: bool = False) -> ThreadingHTTPServer:
    handler = type("BoundRequestHandler", (RequestHandler,), {"emulator": emulator, "routes": _routes()})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.verbose = verbose  # type: ignore[attr-defined]
    return server


class RunningEmulator:
    """An emulator serving from a background thread (for tests): ``url``, ``emulator``, ``stop()``."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.server = make_server(emulator, host, port)
        self.host, self.port = self.server.server_address[:2]
        self.url = "http://%s:%s" % (self.host, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, name="keycloak-emulator", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "RunningEmulator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_in_thread(admin_user: str = "admin", admin_password: str = "admin", host: str = "127.0.0.1",
                    port: int = 0, storage: Optional[Storage] = None,
                    token_lifespan: Optional[int] = None) -> RunningEmulator:
    return RunningEmulator(Emulator(storage, admin_user, admin_password, token_lifespan), host, port)
