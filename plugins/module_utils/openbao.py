# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small OpenBao HTTP client and the pure normalise/compare helpers shared by the ``openbao_*`` modules.

Standard library plus ``ansible.module_utils.urls`` only, so it runs on any target. Error texts never carry the
token or secret values: the client knows its sensitive strings and masks them in every message it builds.
"""

from __future__ import annotations

import copy
import errno
import ipaddress
import json
import re
import socket
import ssl
import time
import typing as t
import urllib.error

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.urls import Request
from ansible_collections.aegis.platform.plugins.module_utils.tls_context import TlsContext

MASK = "********"
DEFAULT_URL = "http://127.0.0.1:8200"


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """Argument spec of the connection options documented by the ``aegis.platform.openbao`` doc fragment."""
    return dict(
        url=dict(type="str", default=DEFAULT_URL, fallback=(env_fallback, ["BAO_ADDR", "VAULT_ADDR"])),
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["BAO_TOKEN", "VAULT_TOKEN"])),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path", fallback=(env_fallback, ["BAO_CACERT", "VAULT_CACERT"])),
        timeout=dict(type="int", default=30),
        connect_retries=dict(type="int", default=5),
    )


class OpenBaoError(Exception):
    """A failed OpenBao call, with a message fit for ``fail_json`` (no token, no secret values)."""

    def __init__(self, message: str, status: int | None = None, path: str | None = None,
                 errors: list[str] | None = None, result: dict[str, t.Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.path = path
        self.errors = errors or []
        # What the caller must still get despite the failure (the keys of an initialisation that failed later).
        self.result = result or {}


# --------------------------------------------------------------------------------------------------------------
# Pure helpers (unit-tested without a server)
# --------------------------------------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: t.Any, name: str = "duration") -> int:
    """Seconds of an OpenBao duration: an int, a string of digits ("3600"), or Go units ("1h30m", "90s", "2d").

    Raises ``ValueError`` naming ``name`` for anything else (negative numbers, unknown units, empty strings).
    """
    if isinstance(value, bool):
        raise ValueError("%s: expected a duration such as 3600, '1h' or '30m', got a boolean" % name)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("%s: duration must not be negative, got %d" % (name, value))
        return value
    if isinstance(value, float):
        if value < 0:
            raise ValueError("%s: duration must not be negative, got %s" % (name, value))
        return int(value)
    text = str(value).strip() if value is not None else ""
    if text.isdigit():
        return int(text)
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if not match:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ValueError(
            "%s: invalid duration %r; use seconds (3600) or units s, m, h, d ('1h', '90m', '1h30m')" % (name, text))
    return int(total)


def normalize_policy_text(text: str | None) -> str:
    """HCL policy text for comparison: line endings unified, trailing whitespace and blank lines dropped."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines if line.strip())


def normalize_cidr(value: str) -> str:
    """``10.0.0.1`` -> ``10.0.0.1/32``, ``10.1.2.3/8`` -> ``10.0.0.0/8``; unparsable values stay as they are."""
    text = str(value).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return text


def normalize_list(values: t.Any, lower: bool = False, cidr: bool = False) -> list[str]:
    """Sorted, de-duplicated strings; a comma-separated string counts as a list (the API accepts both)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split(",")
    out = set()
    for value in values:
        text = str(value).strip()
        if not text:
            continue
        if lower:
            text = text.lower()
        if cidr:
            text = normalize_cidr(text)
        out.add(text)
    return sorted(out)


def differences(desired: dict[str, t.Any], current: dict[str, t.Any],
                normalizers: dict[str, t.Callable[[t.Any], t.Any]] | None = None) -> dict[str, t.Any]:
    """Keys of ``desired`` (None values skipped) whose normalised value differs from ``current``'s.

    Returns the desired values (not normalised) of those keys, ready to be sent as a partial update.
    """
    normalizers = normalizers or {}
    changed = {}
    for key, want in desired.items():
        if want is None:
            continue
        norm = normalizers.get(key, lambda v: v)
        if norm(want) != norm(current.get(key)):
            changed[key] = want
    return changed


def masked_data_diff(before: dict[str, t.Any] | None, after: dict[str, t.Any] | None) -> dict[str, dict[str, str]]:
    """Diff of two secret dicts showing keys only: unchanged values are ``********``, others say what happened."""
    before = before or {}
    after = after or {}
    diff_before = {key: MASK for key in before}
    diff_after = {}
    for key, value in after.items():
        if key not in before:
            diff_after[key] = MASK + " (added)"
        elif before[key] != value:
            diff_after[key] = MASK + " (changed)"
        else:
            diff_after[key] = MASK
    return {"before": diff_before, "after": diff_after}


def mask_text(text: str, secrets: t.Iterable[str | None]) -> str:
    """Replace every occurrence of each (non-trivial) secret string in ``text`` by ``********``."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def error_message(status: int, method: str, url: str, path: str, errors: list[str]) -> str:
    """A clear message for an HTTP error answer of OpenBao at ``url`` to ``method`` on ``/v1/<path>``."""
    detail = "; ".join(str(e) for e in errors if e) or "no error text"
    route = path.split("?", 1)[0]
    if status == 503 and "sealed" in detail.lower():
        return ("OpenBao at %s is sealed: run aegis.platform.openbao_init with unseal keys (unseal_keys) to "
                "unseal it, then retry" % url)
    if status == 503:
        return "OpenBao at %s is unavailable (HTTP 503: %s); wait until it is active and retry" % (url, detail)
    if status == 403:
        return ("permission denied for %s /v1/%s at %s: token lacks capability on %s (or is invalid or expired); "
                "use a token whose policies grant it" % (method, route, url, route))
    if status == 404 and "no handler for route" in detail:
        mount = route.split("/", 1)[0]
        return ("nothing is mounted at %s/ on %s (%s /v1/%s): enable the engine first, e.g. with "
                "aegis.platform.openbao_mount" % (mount, url, method, route))
    if status == 404:
        return "%s /v1/%s at %s: not found" % (method, route, url)
    if status == 429:
        return "OpenBao at %s answered 429 (standby or rate limited) to %s /v1/%s: %s" % (url, method, route, detail)
    return "%s /v1/%s at %s failed with HTTP %d: %s" % (method, route, url, status, detail)


def _is_refused(reason: t.Any) -> bool:
    if isinstance(reason, ConnectionRefusedError):
        return True
    return isinstance(reason, OSError) and reason.errno in (errno.ECONNREFUSED,)


# --------------------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------------------

class OpenBaoClient:
    """JSON over HTTP to ``<url>/v1/<path>`` with the token in ``X-Vault-Token``."""

    retry_delay = 1.0

    def __init__(self, url: str, token: str | None = None, validate_certs: bool = True, ca_path: str | None = None,
                 timeout: int = 30, connect_retries: int = 5) -> None:
        self.url = (url or DEFAULT_URL).rstrip("/")
        self.token = token
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.connect_retries = max(0, connect_retries)
        self.requests = 0
        self._tls = TlsContext(cafile=ca_path, validate_certs=validate_certs)
        self._secrets: list[str] = []
        if token:
            self._secrets.append(token)

    def add_secret(self, *values: t.Any) -> None:
        """Strings that must never show up in an error message built by this client."""
        for value in values:
            if isinstance(value, dict):
                self.add_secret(*value.values())
            elif isinstance(value, (list, tuple)):
                self.add_secret(*value)
            elif value is not None and not isinstance(value, bool):
                self._secrets.append(str(value))

    def with_token(self, token: str | None) -> "OpenBaoClient":
        """A client for the same server and settings that calls with ``token``; both mask each other's secrets."""
        other = copy.copy(self)  # shares the list of secrets to mask
        other.token = token
        self.add_secret(token)
        return other

    def _fail(self, message: str, status: int | None = None, path: str | None = None,
              errors: list[str] | None = None) -> OpenBaoError:
        return OpenBaoError(mask_text(message, self._secrets), status, path,
                            [mask_text(e, self._secrets) for e in (errors or [])])

    def request(self, method: str, path: str, data: t.Any = None, auth: bool = True,
                missing_ok: bool = False, token: str | None = None) -> dict[str, t.Any] | None:
        """One API call. Returns the decoded JSON body (``{}`` for 204), or None for 404 when ``missing_ok``.

        ``token`` overrides the client's token for this call (e.g. a token just obtained by a login).
        A 404 meaning "nothing mounted there" always raises, even with ``missing_ok``.
        """
        path = path.lstrip("/")
        token = token or self.token
        if auth and not token:
            raise self._fail("no OpenBao token: set the token option or the BAO_TOKEN environment variable")
        headers = {"Accept": "application/json"}
        if auth:
            headers["X-Vault-Token"] = t.cast(str, token)
        body = None
        if data is not None:
            body = json.dumps(data)
            headers["Content-Type"] = "application/json"
        full = "%s/v1/%s" % (self.url, path)
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                resp = Request().open(method, full, data=body, headers=headers, timeout=self.timeout,
                                      validate_certs=self.validate_certs, ca_path=self.ca_path, **self._tls.open_kwargs())
                raw = resp.read()
                return self._decode(raw, method, path)
            except urllib.error.HTTPError as exc:
                status = exc.code
                try:
                    raw = exc.read()
                except Exception:  # pylint: disable=broad-except
                    raw = b""
                errors = self._errors(raw)
                if status == 404 and missing_ok and not any("no handler for route" in e for e in errors):
                    return None
                raise self._fail(error_message(status, method, self.url, path, errors), status, path, errors)
            except urllib.error.URLError as exc:
                reason = exc.reason
                if _is_refused(reason) and attempt <= self.connect_retries:
                    time.sleep(self.retry_delay)
                    continue
                if isinstance(reason, (socket.timeout, TimeoutError)) and self._read_again(method, attempt):
                    continue
                raise self._fail(self._connection_message(reason, method, path, attempt))
            except (socket.timeout, TimeoutError):
                if self._read_again(method, attempt):
                    continue
                raise self._fail("cannot reach OpenBao at %s: %s /v1/%s timed out after %ss; check the url and that "
                                 "the server answers, or raise timeout" % (self.url, method, path, self.timeout))
            except ConnectionError as exc:
                if _is_refused(exc) and attempt <= self.connect_retries:
                    time.sleep(self.retry_delay)
                    continue
                raise self._fail(self._connection_message(exc, method, path, attempt))

    @staticmethod
    def _read_again(method: str, attempt: int) -> bool:
        """A read that timed out is asked once more: it changes nothing, and a server busy for a moment (a
        neighbour pod starting on the same cores) answers the second time. A write is never repeated."""
        return method == "GET" and attempt == 1

    def _connection_message(self, reason: t.Any, method: str, path: str, attempt: int) -> str:
        if _is_refused(reason):
            return ("cannot reach OpenBao at %s: connection refused (%d attempt(s)); check that the server runs and "
                    "that url (scheme, host, port) is right" % (self.url, attempt))
        if isinstance(reason, ssl.SSLError) or "CERTIFICATE" in str(reason).upper():
            return ("cannot reach OpenBao at %s: TLS error (%s); set ca_path to the CA that signed the server "
                    "certificate (validate_certs=false only for tests)" % (self.url, reason))
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return ("cannot reach OpenBao at %s: %s /v1/%s timed out after %ss; check the url and that the server "
                    "answers, or raise timeout" % (self.url, method, path, self.timeout))
        return "cannot reach OpenBao at %s: %s; check url and the network" % (self.url, reason)

    def _decode(self, raw: bytes, method: str, path: str) -> dict[str, t.Any]:
        if not raw or not raw.strip():
            return {}
        try:
            decoded = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise self._fail("%s /v1/%s at %s: answer is not JSON; is url an OpenBao server?"
                             % (method, path, self.url))
        return decoded if isinstance(decoded, dict) else {"data": decoded}

    @staticmethod
    def _errors(raw: bytes) -> list[str]:
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            return [raw.decode("utf-8", "replace")[:200]]
        if isinstance(body, dict):
            return [str(e) for e in body.get("errors") or []]
        return []

    # Convenience wrappers -------------------------------------------------------------------------------------

    def read(self, path: str) -> dict[str, t.Any] | None:
        """GET; None when the path does not exist."""
        return self.request("GET", path, missing_ok=True)

    def write(self, path: str, data: t.Any = None, method: str = "POST") -> dict[str, t.Any]:
        return self.request(method, path, data=data if data is not None else {}) or {}

    def delete(self, path: str) -> None:
        self.request("DELETE", path, missing_ok=True)

    def list_keys(self, path: str) -> list[str]:
        body = self.request("LIST", path, missing_ok=True)
        return list(((body or {}).get("data") or {}).get("keys") or [])

    def seal_status(self) -> dict[str, t.Any]:
        return self.request("GET", "sys/seal-status", auth=False) or {}


def client_from_params(params: dict[str, t.Any]) -> OpenBaoClient:
    """A client from a module's parameters (the ``aegis.platform.openbao`` doc fragment options)."""
    return OpenBaoClient(url=params["url"], token=params.get("token"), validate_certs=params["validate_certs"],
                         ca_path=params.get("ca_path"), timeout=params["timeout"],
                         connect_retries=params["connect_retries"])


def openbao_module(argument_spec: dict[str, t.Any], **kwargs: t.Any) -> AnsibleModule:
    """An ``AnsibleModule`` with the shared connection options added and check mode supported."""
    spec = connection_argument_spec()
    spec.update(argument_spec)
    return AnsibleModule(argument_spec=spec, supports_check_mode=True, **kwargs)


def run_module(argument_spec: dict[str, t.Any], run: t.Callable[[AnsibleModule, OpenBaoClient], dict[str, t.Any]],
               secret_params: tuple[str, ...] = ()) -> None:
    """The ``main()`` of every OpenBao module: parse, connect, run, turn an OpenBaoError into a clean failure.

    ``secret_params`` name parameters whose values the client must mask in any error text (the token always is).
    """
    module = openbao_module(argument_spec)
    client = client_from_params(module.params)
    for name in secret_params:
        client.add_secret(module.params.get(name))
    try:
        result = run(module, client)
    except OpenBaoError as exc:
        module.fail_json(msg=exc.message, **exc.result)
    module.exit_json(**result)


class Step:
    """What a step's ``run(module, client)`` reads of an ``AnsibleModule``, so that one module can run several steps
    in one call (``openbao_bootstrap``). Options not given take the defaults of the step's argument spec."""

    def __init__(self, module: t.Any, spec: dict[str, dict[str, t.Any]], check_mode: bool | None = None,
                 **params: t.Any) -> None:
        self.params = {name: option.get("default") for name, option in spec.items()}
        self.params.update(params)
        self.check_mode = module.check_mode if check_mode is None else check_mode
        self._diff = True  # the caller may read a step's before and after
        self.warn = module.warn


def body_data(body: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """The ``data`` member of an API answer (``{}`` when absent)."""
    return dict((body or {}).get("data") or {})


def kv2_read(client: "OpenBaoClient", mount: str, path: str) -> tuple[dict[str, t.Any] | None, int | None]:
    """(data, version) of the current version; (None, None) when missing or its latest version is deleted."""
    answer = client.read("%s/data/%s" % (mount, path))
    if answer is None:
        return None, None
    data = body_data(answer)
    if "metadata" not in data:
        raise OpenBaoError("%s/ at %s does not answer like a KV version 2 engine; mount it with "
                           "options {version: 2} (aegis.platform.openbao_mount)" % (mount, client.url))
    return data.get("data"), (data.get("metadata") or {}).get("version")
