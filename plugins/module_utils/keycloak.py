# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Keycloak Admin REST API client for aegis.platform modules.

Standard library plus ``ansible.module_utils.urls`` only. It logs in to the admin realm (password grant on
``admin-cli`` by default, or client credentials), logs in again when the token expires mid-run (proactively from
``expires_in``, and once on a 401 answer), and counts every request so modules can report them.

Exception texts never contain a password, a client secret or a token.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple
from urllib.error import HTTPError, URLError
from urllib.parse import quote, unquote, urlencode, urlsplit, urlunsplit

from ansible.module_utils.urls import Request
from ansible_collections.aegis.platform.plugins.module_utils.tls_context import TlsContext

JsonValue = Any
Query = Optional[Mapping[str, Any]]

# Refresh this many seconds before the token's announced expiry (capped at a quarter of its lifetime).
EXPIRY_MARGIN = 10.0


def keycloak_argument_spec() -> Dict[str, Dict[str, Any]]:
    """Connection options shared by every Keycloak module (documented by the aegis.platform.keycloak fragment)."""
    return dict(
        auth_keycloak_url=dict(type="str", required=True, aliases=["url"], no_log=False),
        auth_realm=dict(type="str", default="master"),
        auth_username=dict(type="str"),
        auth_password=dict(type="str", no_log=True),
        auth_client_id=dict(type="str", default="admin-cli"),
        auth_client_secret=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=30),
    )


class KeycloakError(Exception):
    """A failed Keycloak call. ``status`` is the HTTP status (None when Keycloak was not reached)."""

    def __init__(self, message: str, status: Optional[int] = None, method: Optional[str] = None,
                 path: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path


class Response:
    """What a request returned: status, headers (lower-cased names) and the decoded JSON body (or None)."""

    def __init__(self, status: int, headers: Mapping[str, str], body: JsonValue) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def location_id(self) -> Optional[str]:
        """Last path segment of the ``Location`` header of a 201 answer (the new object's id or name)."""
        location = self.headers.get("location")
        if not location:
            return None
        return unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1])


def redact_url(url: str) -> str:
    """The URL without user-info (``https://user:pw@host`` -> ``https://host``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = "%s:%s" % (host, parts.port)
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def path_of(*segments: str) -> str:
    """``/`` + URL-quoted segments: role names such as ``aegis:admin`` or ids go in as one segment each."""
    return "/" + "/".join(quote(str(s), safe="") for s in segments)


def admin_path(realm: str, *segments: str) -> str:
    return path_of("admin", "realms", realm, *segments)


def error_detail(body: Any) -> str:
    """Keycloak's own error words from an error body (``errorMessage``, ``error``, ``error_description``)."""
    if isinstance(body, dict):
        parts = [str(body[k]) for k in ("errorMessage", "error", "error_description") if body.get(k)]
        return ": ".join(parts)
    if isinstance(body, str):
        return body.strip()[:200]
    return ""


def _decode(raw: bytes) -> JsonValue:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class KeycloakClient:
    """Admin REST client. ``stats`` counts requests: ``auth`` (token), ``reads`` (GET), ``writes`` (the rest)."""

    def __init__(self, base_url: str, auth_realm: str = "master", username: Optional[str] = None,
                 password: Optional[str] = None, client_id: str = "admin-cli", client_secret: Optional[str] = None,
                 validate_certs: bool = True, timeout: int = 30, request: Optional[Any] = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.display_url = redact_url(self.base_url)
        self.auth_realm = auth_realm
        self.username = username
        self._password = password
        self.client_id = client_id or "admin-cli"
        self._client_secret = client_secret
        self.timeout = timeout
        self.validate_certs = validate_certs
        self._tls = TlsContext(validate_certs=validate_certs)
        self._request = request or Request(validate_certs=validate_certs, timeout=timeout,
                                           follow_redirects="safe", use_netrc=False,
                                           http_agent="aegis.platform-keycloak")
        self._token: Optional[str] = None
        self._expires_at = 0.0
        self.stats: Dict[str, int] = {"auth": 0, "reads": 0, "writes": 0}

    # -------------------------------------------------------------------------------------------------------
    @property
    def request_counts(self) -> Dict[str, int]:
        counts = dict(self.stats)
        counts["total"] = counts["auth"] + counts["reads"] + counts["writes"]
        return counts

    def _grant(self) -> Dict[str, str]:
        if self.username:
            form = {"grant_type": "password", "client_id": self.client_id, "username": self.username,
                    "password": self._password or ""}
        elif self._client_secret:
            form = {"grant_type": "client_credentials", "client_id": self.client_id}
        else:
            raise KeycloakError("No Keycloak admin credentials: set auth_username and auth_password, or "
                                "auth_client_id and auth_client_secret")
        if self._client_secret:
            form["client_secret"] = self._client_secret
        return form

    def _who(self) -> str:
        if self.username:
            return "user %s" % self.username
        return "client %s" % self.client_id

    def _login_hint(self) -> str:
        if self.username:
            return "check auth_username and auth_password (and auth_realm, auth_client_id)"
        return "check auth_client_id and auth_client_secret (the client needs service accounts and admin rights)"

    def login(self) -> None:
        """Get an admin token from the auth realm's token endpoint."""
        url = self.base_url + path_of("realms", self.auth_realm, "protocol", "openid-connect", "token")
        self.stats["auth"] += 1
        started = time.monotonic()
        status, _headers, body = self._send("POST", url, urlencode(self._grant()).encode(),
                                            {"Content-Type": "application/x-www-form-urlencoded"})
        if status in (400, 401, 403):
            raise KeycloakError("Keycloak admin login failed for %s at %s: %s (HTTP %s: %s)" % (
                self._who(), self.display_url, self._login_hint(), status, error_detail(body) or "no detail"),
                status=status, method="POST", path="token")
        if status == 404:
            raise KeycloakError("Keycloak admin login failed for %s at %s: realm '%s' not found there; check "
                                "auth_realm and auth_keycloak_url (HTTP 404)" % (self._who(), self.display_url,
                                                                                 self.auth_realm),
                                status=status, method="POST", path="token")
        if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
            raise KeycloakError("Keycloak admin login at %s answered HTTP %s without a token: %s" % (
                self.display_url, status, error_detail(body) or "no detail"), status=status, method="POST",
                path="token")
        self._token = body["access_token"]
        lifetime = float(60 if body.get("expires_in") is None else body["expires_in"])
        self._expires_at = started + lifetime - min(EXPIRY_MARGIN, lifetime / 4.0)

    def _send(self, method: str, url: str, data: Optional[bytes],
              headers: Dict[str, str]) -> Tuple[int, Dict[str, str], JsonValue]:
        try:
            response = self._request.open(method, url, data=data, headers=headers, timeout=self.timeout,
                                          **self._tls.open_kwargs())
            raw = response.read()
            status = response.getcode()
            answer_headers = {k.lower(): v for k, v in response.headers.items()}
        except HTTPError as err:
            raw = err.read() if hasattr(err, "read") else b""
            status = err.code
            answer_headers = {k.lower(): v for k, v in (err.headers or {}).items()}
        except URLError as err:
            raise KeycloakError("Cannot reach Keycloak at %s: %s; check auth_keycloak_url and that Keycloak is "
                                "running" % (self.display_url, getattr(err, "reason", err)))
        except (OSError, ValueError) as err:
            raise KeycloakError("Cannot reach Keycloak at %s: %s; check auth_keycloak_url and that Keycloak is "
                                "running" % (self.display_url, err))
        return status, answer_headers, _decode(raw)

    # -------------------------------------------------------------------------------------------------------
    def call(self, method: str, path: str, body: JsonValue = None, query: Query = None,
             expect: Iterable[int] = (200, 201, 204)) -> Response:
        """One admin API call (path starts with ``/admin/``). Raises KeycloakError on an unexpected status."""
        url = self.base_url + path
        if query:
            url += "?" + urlencode([(k, v) for k, v in query.items() if v is not None])
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            if self._token is None or time.monotonic() >= self._expires_at:
                self.login()
            self.stats["reads" if method == "GET" else "writes"] += 1
            headers = {"Authorization": "Bearer %s" % self._token, "Accept": "application/json"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            status, answer_headers, answer = self._send(method, url, data, headers)
            if status == 401 and attempt == 1:
                self._token = None  # expired or revoked under us: log in again, once
                continue
            break
        if status not in tuple(expect):
            raise KeycloakError("Keycloak %s %s failed with HTTP %s: %s" % (
                method, path, status, error_detail(answer) or "no detail"), status=status, method=method, path=path)
        return Response(status, answer_headers, answer)

    def get(self, path: str, query: Query = None, missing_ok: bool = False) -> JsonValue:
        """GET a JSON document; with ``missing_ok`` a 404 gives None."""
        expect = (200, 404) if missing_ok else (200,)
        response = self.call("GET", path, query=query, expect=expect)
        return None if response.status == 404 else response.body

    def get_all(self, path: str, query: Query = None, page_size: int = 500) -> List[JsonValue]:
        """GET a paged list (``first``/``max``) until a short page."""
        items: List[JsonValue] = []
        first = 0
        while True:
            params = dict(query or {})
            params.update({"first": first, "max": page_size})
            page = self.get(path, params) or []
            items.extend(page)
            if len(page) < page_size:
                return items
            first += page_size

    def create(self, path: str, body: JsonValue) -> Optional[str]:
        """POST a new object; returns the id (or name) from ``Location``."""
        return self.call("POST", path, body, expect=(201,)).location_id

    def put(self, path: str, body: JsonValue) -> None:
        self.call("PUT", path, body, expect=(200, 204))

    def post(self, path: str, body: JsonValue = None) -> JsonValue:
        return self.call("POST", path, body, expect=(200, 201, 204)).body

    def delete(self, path: str, body: JsonValue = None, missing_ok: bool = True) -> None:
        expect = (200, 204, 404) if missing_ok else (200, 204)
        self.call("DELETE", path, body, expect=expect)


def client_from_params(params: Mapping[str, Any]) -> KeycloakClient:
    """A KeycloakClient from the shared connection options."""
    return KeycloakClient(
        base_url=params["auth_keycloak_url"],
        auth_realm=params.get("auth_realm") or "master",
        username=params.get("auth_username"),
        password=params.get("auth_password"),
        client_id=params.get("auth_client_id") or "admin-cli",
        client_secret=params.get("auth_client_secret"),
        validate_certs=params.get("validate_certs", True),
        timeout=params.get("timeout") or 30,
    )
