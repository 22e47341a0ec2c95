"""STAND-IN for the proprietary AEGIS images (aegis-runtime, aegis-temporal-worker, aegis-seal-gateway).

NOT the AEGIS product: see README.md next to this file. One script for three programs, told apart by the real
program's own configuration the container is given (real_interface.program): it listens on the ports the real
image listens on, serves the health endpoints the deployment probes, and checks every configured dependency for
real (PostgreSQL SCRAM-SHA-256 login, OpenBao AppRole login, Keycloak discovery and client-credentials grant,
TCP/HTTP reachability of the rest), reporting them in the /health body. A dependency that is down never makes /health non-200.

It reads what the real images of release 0.15.0-pre-alpha read, and refuses to start where they would
(real_interface.py). Python 3 standard library and PyYAML (Debian's python3-yaml).
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import socketserver
import ssl
import stringprep
import struct
import sys
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import real_interface

VERSION = "0.1"
CACHE_SECONDS = 5.0        # a dependency is rechecked at most this often
HEALTH_BUDGET = 3.0        # /health never waits longer than this for checks
CHECK_TIMEOUT = 2.5        # one dependency check's own deadline (network timeouts derive from it)
MAX_SCRAM_ITERATIONS = 1_000_000
NOT_CONFIGURED = "not configured"

MODES = {
    # mode: (service name, dependencies always listed)
    "runtime": ("aegis-runtime",
                ["database", "temporal", "openbao", "keycloak", "storage", "otlp", "cortex", "seal_key", "config", "data"]),
    "temporal-worker": ("aegis-temporal-worker", ["temporal", "database", "runtime_grpc"]),
    "seal-gateway": ("aegis-seal-gateway", ["database"]),
}
# aegis-runtime's image starts as root and its entrypoint drops to user aegis (0.15.0-pre-alpha
# docker/runtime-entrypoint.sh); the other two run as root.
RUNTIME_UID = 10000

_LOG_LOCK = threading.Lock()
_SECRETS = set()  # values scrubbed from every log line and reported error


def remember_secret(value):
    if value and len(value) >= 3:
        _SECRETS.add(value)
        quoted = urllib.parse.quote(value, safe="")
        if quoted != value:
            _SECRETS.add(quoted)
    return value


def scrub(text):
    text = str(text)
    for value in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def log(message):
    line = "%s %s" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), scrub(message))
    with _LOG_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class CheckError(Exception):
    """A dependency check failed; the message is short and free of secrets."""


def reason(exc):
    """Short, secret-free reason for an exception raised during a check."""
    if isinstance(exc, CheckError):
        text = str(exc)
    elif isinstance(exc, (socket.timeout, TimeoutError)):
        text = "timed out"
    elif isinstance(exc, socket.gaierror):
        text = "cannot resolve host (%s)" % (exc.strerror or exc)
    elif isinstance(exc, urllib.error.HTTPError):
        text = "HTTP %s" % exc.code
    elif isinstance(exc, urllib.error.URLError):
        return reason(exc.reason) if isinstance(exc.reason, BaseException) else scrub(exc.reason)[:200]
    elif isinstance(exc, ssl.SSLError):
        text = "TLS: %s" % (exc.reason or exc)
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror[:1].lower() + exc.strerror[1:]
    else:
        text = "%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
    return scrub(" ".join(text.split()))[:200]


# ---------------------------------------------------------------------------------------------------------------
# Address parsing

def host_port(value, default_port=None):
    """(host, port) of 'host:port', 'http(s)://host:port/...', 'grpc://host:port', 'dns:///host:port', '[v6]:port'."""
    text = (value or "").strip()
    if not text:
        raise CheckError("empty address")
    if text.startswith("dns:///"):
        text = text[len("dns:///"):]
    if "://" not in text:
        text = "tcp://" + text
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        raise CheckError("invalid address %r" % scrub(value)) from None
    if not parts.hostname:
        raise CheckError("invalid address %r" % scrub(value))
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme, default_port)
    if port is None:
        raise CheckError("no port in %r" % scrub(value))
    return parts.hostname, port


def parse_database_url(url):
    """Connection parameters of postgres://user:password@host:port/dbname?sslmode=... (percent-decoded)."""
    try:
        parts = urllib.parse.urlsplit((url or "").strip())
        port = parts.port or 5432
    except ValueError:
        raise CheckError("invalid DATABASE_URL") from None
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
        raise CheckError("invalid DATABASE_URL (expected postgres://user:password@host:port/dbname)")
    user = urllib.parse.unquote(parts.username or "")
    if not user:
        raise CheckError("DATABASE_URL has no user")
    query = dict(urllib.parse.parse_qsl(parts.query))
    return {
        "host": parts.hostname,
        "port": port,
        "user": user,
        "password": urllib.parse.unquote(parts.password or ""),
        "dbname": urllib.parse.unquote(parts.path.lstrip("/")) or user,
        "sslmode": query.get("sslmode", "disable"),
        "sslrootcert": query.get("sslrootcert"),
    }


# ---------------------------------------------------------------------------------------------------------------
# SCRAM-SHA-256 (RFC 5802 / RFC 7677), as PostgreSQL speaks it

def saslprep(password):
    """RFC 4013 SASLprep of a password; like PostgreSQL, the raw password is used when it is not valid."""
    mapped = "".join(" " if stringprep.in_table_c12(ch) else ch for ch in password if not stringprep.in_table_b1(ch))
    normalized = unicodedata.normalize("NFKC", mapped)
    prohibited = (stringprep.in_table_c12, stringprep.in_table_c21_c22, stringprep.in_table_c3, stringprep.in_table_c4,
                  stringprep.in_table_c5, stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
                  stringprep.in_table_c9, stringprep.in_table_a1)
    if any(check(ch) for ch in normalized for check in prohibited):
        return password
    if any(stringprep.in_table_d1(ch) for ch in normalized):
        if not (stringprep.in_table_d1(normalized[0]) and stringprep.in_table_d1(normalized[-1])):
            return password
        if any(stringprep.in_table_d2(ch) for ch in normalized):
            return password
    return normalized


def _sasl_name(name):
    return name.replace("=", "=3D").replace(",", "=2C")


class ScramSha256:
    """Client side of one SCRAM-SHA-256 exchange without channel binding (gs2 header 'n,,')."""

    def __init__(self, username, password, nonce=None):
        self.password = password
        self.nonce = nonce or base64.b64encode(secrets.token_bytes(18)).decode("ascii")
        self.client_first_bare = "n=%s,r=%s" % (_sasl_name(username), self.nonce)
        self.server_signature = None

    def client_first(self):
        return "n,," + self.client_first_bare

    def client_final(self, server_first):
        attrs = dict(item.split("=", 1) for item in server_first.split(",") if "=" in item)
        if "e" in attrs:
            raise CheckError("SCRAM: server error %s" % attrs["e"])
        nonce, salt, iterations = attrs.get("r", ""), attrs.get("s"), attrs.get("i", "")
        if not nonce.startswith(self.nonce) or len(nonce) <= len(self.nonce):
            raise CheckError("SCRAM: server nonce does not extend the client nonce")
        if salt is None or not iterations.isdigit():
            raise CheckError("SCRAM: malformed server-first message")
        if not 0 < int(iterations) <= MAX_SCRAM_ITERATIONS:
            raise CheckError("SCRAM: unacceptable iteration count %s" % iterations)
        salted = hashlib.pbkdf2_hmac("sha256", saslprep(self.password).encode("utf-8"),
                                     base64.b64decode(salt), int(iterations))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = "c=%s,r=%s" % (base64.b64encode(b"n,,").decode("ascii"), nonce)
        auth_message = ",".join((self.client_first_bare, server_first, without_proof)).encode("utf-8")
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        self.server_signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
        return "%s,p=%s" % (without_proof, base64.b64encode(proof).decode("ascii"))

    def verify_server_final(self, server_final):
        attrs = dict(item.split("=", 1) for item in server_final.split(",") if "=" in item)
        if "e" in attrs:
            raise CheckError("SCRAM: server error %s" % attrs["e"])
        try:
            received = base64.b64decode(attrs.get("v", ""), validate=True)
        except ValueError:
            received = b""
        if self.server_signature is None or not hmac.compare_digest(received, self.server_signature):
            raise CheckError("SCRAM: server signature does not verify")


# ---------------------------------------------------------------------------------------------------------------
# PostgreSQL: startup + authentication, nothing more

AUTH_METHODS = {2: "KerberosV5", 3: "cleartext password", 5: "md5", 6: "SCM credentials", 7: "GSSAPI", 9: "SSPI"}


class _PgConnection:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buffer = b""

    def _recv_exact(self, count):
        while len(self.buffer) < count:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise CheckError("timed out")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise CheckError("server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_message(self):
        kind, length = struct.unpack("!cI", self._recv_exact(5))
        if length < 4 or length > 1 << 20:
            raise CheckError("not a PostgreSQL server (bad message length)")
        return kind, self._recv_exact(length - 4)

    def send(self, kind, payload):
        self.sock.settimeout(max(0.05, self.deadline - time.monotonic()))
        self.sock.sendall(kind + struct.pack("!I", len(payload) + 4) + payload)


def _pg_error(payload):
    fields = {}
    for item in payload.split(b"\0"):
        if item:
            fields[item[:1]] = item[1:].decode("utf-8", "replace")
    text = fields.get(b"M", "unknown error")
    if fields.get(b"C"):
        text += " (SQLSTATE %s)" % fields[b"C"]
    return text


def check_postgres(url, deadline):
    params = parse_database_url(url)
    remember_secret(params["password"])
    sock = socket.create_connection((params["host"], params["port"]), timeout=max(0.05, deadline - time.monotonic()))
    try:
        if params["sslmode"] in ("require", "verify-ca", "verify-full"):
            sock.sendall(struct.pack("!II", 8, 80877103))
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            answer = sock.recv(1)
            if answer != b"S":
                raise CheckError("server refused TLS (sslmode=%s)" % params["sslmode"])
            context = ssl.create_default_context(cafile=params["sslrootcert"])
            context.check_hostname = params["sslmode"] == "verify-full"
            if params["sslmode"] == "require":
                context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname=params["host"])
        conn = _PgConnection(sock, deadline)
        startup = b"".join(k.encode() + b"\0" + v.encode("utf-8") + b"\0" for k, v in (
            ("user", params["user"]), ("database", params["dbname"]), ("application_name", "aegis-standin"))) + b"\0"
        body = struct.pack("!I", 196608) + startup
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        sock.sendall(struct.pack("!I", len(body) + 4) + body)
        scram = None
        while True:
            kind, payload = conn.read_message()
            if kind == b"E":
                raise CheckError(_pg_error(payload))
            if kind in (b"N", b"S", b"K", b"v"):
                continue  # notices, parameter status, backend key, protocol negotiation
            if kind == b"Z":
                break
            if kind != b"R":
                raise CheckError("unexpected message %r from server" % kind)
            (code,) = struct.unpack("!I", payload[:4])
            if code == 0:
                continue  # AuthenticationOk; wait for ReadyForQuery
            if code == 10:
                mechanisms = [m.decode("ascii", "replace") for m in payload[4:].split(b"\0") if m]
                if "SCRAM-SHA-256" not in mechanisms:
                    raise CheckError("server offers SASL %s, not SCRAM-SHA-256" % ",".join(mechanisms))
                scram = ScramSha256("", params["password"])  # PostgreSQL takes the user from the startup message
                first = scram.client_first().encode("utf-8")
                conn.send(b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first)
            elif code == 11 and scram is not None:
                conn.send(b"p", scram.client_final(payload[4:].decode("utf-8")).encode("utf-8"))
            elif code == 12 and scram is not None:
                scram.verify_server_final(payload[4:].decode("utf-8"))
            else:
                raise CheckError("server asked for %s (SCRAM-SHA-256 required)" % AUTH_METHODS.get(code, "auth %d" % code))
        if scram is None or scram.server_signature is None:
            raise CheckError("server let us in without a password (trust); SCRAM-SHA-256 required")
        try:
            conn.send(b"X", b"")
        except OSError:
            pass
        return "ok"
    finally:
        sock.close()


# ---------------------------------------------------------------------------------------------------------------
# HTTP based checks

def _http(method, url, deadline, data=None, headers=None):
    """(status, body bytes); HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    request.add_header("User-Agent", "aegis-standin/%s" % VERSION)
    timeout = max(0.05, deadline - time.monotonic())
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # pods talk directly
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(1 << 20)
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(1 << 20)
        except OSError:
            body = b""
        return exc.code, body


def _json(body):
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _api_errors(body):
    doc = _json(body) or {}
    errors = doc.get("errors")
    if isinstance(errors, list) and errors:
        return "; ".join(str(e) for e in errors)[:160]
    text = doc.get("error_description") or doc.get("error")
    return str(text)[:160] if text else ""


def _base(url):
    url = (url or "").strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url


class OpenBaoCheck:
    """AppRole login; the token is kept and checked with lookup-self, a new login only when it no longer works
    (a login per health probe would pile up tokens and use up secret_id uses)."""

    def __init__(self, addr, role_id, secret_id, mount="approle", kv_path=None, namespace=None):
        self.addr = _base(addr)
        self.role_id = role_id
        self.secret_id = remember_secret(secret_id)
        self.mount = (mount or "approle").strip("/")
        self.kv_path = (kv_path or "").strip("/") or None
        self.namespace = namespace
        self.token = None
        self.lock = threading.Lock()

    def _headers(self, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Vault-Token"] = token
        if self.namespace:
            headers["X-Vault-Namespace"] = self.namespace
        return headers

    def _login(self, deadline):
        body = json.dumps({"role_id": self.role_id, "secret_id": self.secret_id}).encode("utf-8")
        status, answer = _http("POST", "%s/v1/auth/%s/login" % (self.addr, self.mount), deadline, body, self._headers())
        if status != 200:
            detail = _api_errors(answer)
            raise CheckError("approle login: HTTP %d%s" % (status, (" " + detail) if detail else ""))
        token = ((_json(answer) or {}).get("auth") or {}).get("client_token")
        if not token:
            raise CheckError("approle login: no client_token in the answer")
        return remember_secret(token)

    def __call__(self, deadline):
        with self.lock:
            token = self.token
            if token:
                status, _body = _http("GET", self.addr + "/v1/auth/token/lookup-self", deadline, headers=self._headers(token))
                if status != 200:
                    token = None
            if not token:
                self.token = None
                token = self.token = self._login(deadline)
            if self.kv_path:
                status, answer = _http("GET", "%s/v1/%s" % (self.addr, self.kv_path), deadline,
                                       headers=self._headers(token))
                if status != 200:
                    detail = _api_errors(answer)
                    raise CheckError("read %s: HTTP %d%s" % (self.kv_path, status, (" " + detail) if detail else ""))
        return "ok"


def check_keycloak(url, realm, client_id, client_secret, deadline):
    base = _base(url)
    remember_secret(client_secret)
    discovery = "%s/realms/%s/.well-known/openid-configuration" % (base, urllib.parse.quote(realm, safe=""))
    status, body = _http("GET", discovery, deadline)
    if status != 200:
        raise CheckError("realm %s discovery: HTTP %d" % (realm, status))
    doc = _json(body)
    if not doc or not doc.get("token_endpoint"):
        raise CheckError("realm %s discovery: no token_endpoint" % realm)
    # The discovered endpoints name Keycloak's public hostname, which may not resolve inside the pod network: use
    # their paths on the address we were given.
    given = urllib.parse.urlsplit(base)

    def here(url):
        return urllib.parse.urlunsplit((given.scheme, given.netloc, urllib.parse.urlsplit(url).path, "", ""))

    if not client_id:
        # What the runtime does with the realm: validate JWTs against its signing keys.
        status, body = _http("GET", here(doc.get("jwks_uri") or ""), deadline)
        if status != 200 or not (_json(body) or {}).get("keys"):
            raise CheckError("realm %s signing keys: HTTP %d" % (realm, status))
    else:
        token_url = here(doc["token_endpoint"])
        form = {"grant_type": "client_credentials", "client_id": client_id}
        if client_secret:
            form["client_secret"] = client_secret
        status, body = _http("POST", token_url, deadline, urllib.parse.urlencode(form).encode("ascii"),
                             {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            detail = _api_errors(body)
            raise CheckError("client %s token: HTTP %d%s" % (client_id, status, (" " + detail) if detail else ""))
        if not (_json(body) or {}).get("access_token"):
            raise CheckError("client %s token: no access_token in the answer" % client_id)
    return "ok"


def check_http_any(url, deadline):
    status, _body = _http("GET", _base(url) + "/", deadline)
    if status >= 500:
        raise CheckError("HTTP %d" % status)
    return "ok"


def check_tcp(address, default_port, deadline):
    host, port = host_port(address, default_port)
    with socket.create_connection((host, port), timeout=max(0.05, deadline - time.monotonic())):
        pass
    return "ok"


# ---------------------------------------------------------------------------------------------------------------
# Local files

def _der(data, offset):
    """(tag, value start, value end) of the DER element at offset."""
    if offset + 2 > len(data):
        raise ValueError("truncated")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise ValueError("truncated")
    return tag, offset, offset + length


def _der_children(data, start, end):
    children = []
    while start < end:
        tag, value_start, value_end = _der(data, start)
        children.append((tag, data[value_start:value_end]))
        start = value_end
    return children


RSA_OID = bytes.fromhex("2a864886f70d010101")


def rsa_key_bits(pem_text):
    """Modulus size of a PEM RSA private key (PKCS#1 or unencrypted PKCS#8); CheckError when it is not one."""
    if "ENCRYPTED" in pem_text:
        raise CheckError("key is encrypted")
    for label in ("RSA PRIVATE KEY", "PRIVATE KEY"):
        begin, end = "-----BEGIN %s-----" % label, "-----END %s-----" % label
        if begin in pem_text and end in pem_text.split(begin, 1)[1]:
            body = pem_text.split(begin, 1)[1].split(end, 1)[0]
            break
    else:
        raise CheckError("not a PEM private key")
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
        tag, start, end = _der(der, 0)
        items = _der_children(der, start, end)
        if label == "PRIVATE KEY":
            if len(items) < 3 or items[1][0] != 0x30 or items[2][0] != 0x04:
                raise ValueError("not PKCS#8")
            algorithm = _der_children(items[1][1], 0, len(items[1][1]))
            if not algorithm or algorithm[0] != (0x06, RSA_OID):
                raise CheckError("PKCS#8 key is not RSA")
            inner = items[2][1]
            tag, start, end = _der(inner, 0)
            items = _der_children(inner, start, end)
        if tag != 0x30 or len(items) < 9 or any(t != 0x02 for t, _value in items[:9]):
            raise ValueError("not an RSAPrivateKey")
        n, e, d, p, q = (int.from_bytes(v, "big") for _tag, v in items[1:6])
    except (ValueError, IndexError):
        raise CheckError("malformed RSA private key") from None
    if n <= 0 or p * q != n or not 1 < e < n or not 1 < d < n:
        raise CheckError("inconsistent RSA private key")
    return n.bit_length()


def check_seal_key(text, deadline):
    """AEGIS_SEAL_PRIVATE_KEY: the PEM text itself."""
    bits = rsa_key_bits(text)
    if bits < 2048:
        raise CheckError("RSA key has %d bits, need at least 2048" % bits)
    return "ok"


def check_writable(directory, deadline):
    probe = os.path.join(directory, ".aegis-standin-write-check")
    try:
        with open(probe, "w", encoding="ascii") as handle:
            handle.write("ok")
        os.remove(probe)
    except OSError as exc:
        raise CheckError("cannot write %s as uid %d: %s" % (directory, os.getuid(), reason(exc))) from None
    return "ok"


def check_files(paths, deadline):
    for path in paths:
        try:
            with open(path, "rb") as handle:
                handle.read(1 << 20).decode("utf-8")
        except UnicodeDecodeError:
            raise CheckError("%s is not UTF-8 text" % path) from None
        except OSError as exc:
            raise CheckError("cannot read %s: %s" % (path, reason(exc))) from None
    return "ok"


# ---------------------------------------------------------------------------------------------------------------
# Which checks run

def _fail(message):
    raise CheckError(message)


def _first(env, *names):
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return value
    return ""


def build_checks(env, mode):
    """Ordered {name: check(deadline) or None (not configured)}: the mode's dependencies, plus any other
    dependency whose variables are set."""
    checks = {}
    for variable in ("OPENBAO_SECRET_ID", "KEYCLOAK_CLIENT_SECRET"):
        remember_secret(_first(env, variable))
    url = _first(env, "DATABASE_URL")
    if url:
        try:
            remember_secret(parse_database_url(url)["password"])
        except CheckError:
            pass  # reported by the check itself
        checks["database"] = lambda deadline: check_postgres(url, deadline)
    address = _first(env, "TEMPORAL_ADDRESS")
    if address:
        checks["temporal"] = lambda deadline: check_tcp(address, 7233, deadline)
    bao = _first(env, "OPENBAO_ADDR")
    if bao and _first(env, "OPENBAO_ROLE_ID") and _first(env, "OPENBAO_SECRET_ID"):
        checks["openbao"] = OpenBaoCheck(bao, _first(env, "OPENBAO_ROLE_ID"), _first(env, "OPENBAO_SECRET_ID"),
                                         _first(env, "OPENBAO_APPROLE_MOUNT") or "approle",
                                         _first(env, "OPENBAO_KV_CHECK_PATH") or None, _first(env, "OPENBAO_NAMESPACE") or None)
    elif bao:
        checks["openbao"] = lambda deadline: _fail("OPENBAO_ADDR is set but OPENBAO_ROLE_ID/OPENBAO_SECRET_ID are not")
    keycloak = _first(env, "KEYCLOAK_URL")
    if keycloak:
        realm = _first(env, "KEYCLOAK_REALM") or "aegis-system"
        client_id, client_secret = _first(env, "KEYCLOAK_CLIENT_ID"), _first(env, "KEYCLOAK_CLIENT_SECRET")
        checks["keycloak"] = lambda deadline: check_keycloak(keycloak, realm, client_id, client_secret, deadline)
    storage = _first(env, "AEGIS_STORAGE_URL", "SEAWEEDFS_FILER_URL")
    if storage:
        checks["storage"] = lambda deadline: check_http_any(storage, deadline)
    otlp = _first(env, "AEGIS_OTLP_ENDPOINT")
    if otlp:
        checks["otlp"] = lambda deadline: check_tcp(otlp, 4317, deadline)
    runtime_grpc = _first(env, "AEGIS_RUNTIME_GRPC_URL")
    if runtime_grpc and "://" in runtime_grpc:
        checks["runtime_grpc"] = lambda deadline: _fail("AEGIS_RUNTIME_GRPC_URL=%s is no host:port target" % runtime_grpc)
    elif runtime_grpc:
        checks["runtime_grpc"] = lambda deadline: check_tcp(runtime_grpc, 50051, deadline)
    cortex = _first(env, "CORTEX_GRPC_URL")
    if cortex:
        checks["cortex"] = lambda deadline: check_tcp(cortex, None, deadline)
    if mode == "runtime":
        pem = env.get("SEAL_KEY_PEM")
        if pem:
            checks["seal_key"] = lambda deadline: check_seal_key(pem, deadline)
        files = env.get("CONFIG_FILES") or []
        if files:
            checks["config"] = lambda deadline: check_files(files, deadline)
        checks["data"] = lambda deadline: check_writable("/app/data", deadline)
    ordered = {name: checks.pop(name, None) for name in MODES[mode][1]}
    ordered.update(checks)
    return ordered


class Dependencies:
    """Cached, threaded dependency checks."""

    def __init__(self, checks, cache_seconds=CACHE_SECONDS, budget=HEALTH_BUDGET, check_timeout=CHECK_TIMEOUT):
        self.checks = checks
        self.cache_seconds, self.budget, self.check_timeout = cache_seconds, budget, check_timeout
        self.lock = threading.Lock()
        self.values = {}    # name -> last result
        self.checked = {}   # name -> monotonic time of the last result
        self.running = {}   # name -> thread

    def _run(self, name, check):
        try:
            value = check(time.monotonic() + self.check_timeout)
            value = "ok" if value in (None, "ok") else str(value)
        except Exception as exc:  # every failure is a reported state, never a crash
            value = "error: " + reason(exc)
        with self.lock:
            previous = self.values.get(name)
            self.values[name] = value
            self.checked[name] = time.monotonic()
            self.running.pop(name, None)
        if value != previous:
            log("dependency %s: %s%s" % (name, value, "" if previous is None else " (was %s)" % previous))

    def refresh(self):
        """Start the checks whose result is older than the cache time; the threads that are running."""
        now = time.monotonic()
        with self.lock:
            for name, check in self.checks.items():
                if check is None or name in self.running:
                    continue
                if name in self.checked and now - self.checked[name] < self.cache_seconds:
                    continue
                thread = threading.Thread(target=self._run, args=(name, check), name="check-" + name, daemon=True)
                self.running[name] = thread
                thread.start()
            return list(self.running.values())

    def snapshot(self):
        deadline = time.monotonic() + self.budget
        for thread in self.refresh():
            thread.join(max(0.0, deadline - time.monotonic()))
        with self.lock:
            return {name: NOT_CONFIGURED if check is None else
                    self.values.get(name, "error: check did not finish within %g s" % self.budget)
                    for name, check in self.checks.items()}


# ---------------------------------------------------------------------------------------------------------------
# Servers

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def server_bind(self):
        # HTTPServer.server_bind resolves its own FQDN, which can stall where DNS does not answer.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "aegis-standin", self.server_address[1]


def make_handler(app, listener):
    class Handler(BaseHTTPRequestHandler):
        server_version = "aegis-standin/%s" % VERSION
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):
            pass

        def _send(self, status, body, content_type):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # Logged before the body goes out: a client that has the whole answer finds the request in the log.
            self._log(status)
            if self.command != "HEAD":
                self.wfile.write(data)
            return status

        def _route(self):
            path, _sep, query = self.path.partition("?")
            path = path.rstrip("/") or "/"
            params = urllib.parse.parse_qs(query)
            if listener == "metrics":
                if path == "/metrics" and self.command in ("GET", "HEAD"):
                    return self._send(200, app.metrics(), "text/plain; version=0.0.4; charset=utf-8")
                return self._send(404, "not found\n", "text/plain; charset=utf-8")
            if self.command not in ("GET", "HEAD"):
                return self._send(501, json.dumps({"error": "not implemented by the AEGIS stand-in"}) + "\n",
                                  "application/json")
            verbose = params.get("verbose", ["0"])[0].lower() not in ("", "0", "false", "no")
            if app.mode == "seal-gateway" and path == "/" and not app.ui_enabled:
                return self._send(404, "", "text/plain; charset=utf-8")
            if app.mode == "seal-gateway" and (path == "/" or (path == "/health" and not verbose)):
                return self._send(200, "ok", "text/plain; charset=utf-8")
            if path in ("/health", "/health/dependencies"):
                return self._send(200, json.dumps(app.health()) + "\n", "application/json")
            if path == "/":
                return self._send(200, "%s stand-in %s\n" % (app.service, VERSION), "text/plain; charset=utf-8")
            if path == "/metrics" and "metrics" not in app.ports:
                return self._send(200, app.metrics(), "text/plain; version=0.0.4; charset=utf-8")
            return self._send(404, json.dumps({"error": "not found"}) + "\n", "application/json")

        def _log(self, status):
            if self._logged:
                return
            self._logged = True
            with app.lock:
                app.requests[listener] = app.requests.get(listener, 0) + 1
            log("%s %s %s %s %.3fs from %s" % (listener, self.command, self.path[:200], status,
                                               time.monotonic() - self._started, self.client_address[0]))

        def _handle(self):
            self._started, self._logged = time.monotonic(), False
            try:
                self._route()
            except (BrokenPipeError, ConnectionResetError):
                self._log("aborted")

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    return Handler


def serve_tcp(app, name, sock):
    """Accept connections and read what the client sends until it closes (no protocol is spoken)."""
    slots = threading.BoundedSemaphore(256)

    def drain(conn, peer):
        with conn:
            conn.settimeout(300)
            received = 0
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    received += len(chunk)
            except OSError:
                pass
        slots.release()
        log("%s connection from %s closed (%d bytes read)" % (name, peer, received))

    while not app.stopping.is_set():
        try:
            conn, peer = sock.accept()
        except OSError:
            if app.stopping.is_set():
                return
            time.sleep(0.1)
            continue
        if not slots.acquire(blocking=False):
            conn.close()
            continue
        with app.lock:
            app.requests[name] = app.requests.get(name, 0) + 1
        threading.Thread(target=drain, args=(conn, peer[0]), daemon=True).start()


# Stand-in knobs the real images do not read: passed on to the checks as they are.
KNOBS = ("KEYCLOAK_CLIENT_ID", "KEYCLOAK_CLIENT_SECRET", "OPENBAO_KV_CHECK_PATH", "OPENBAO_APPROLE_MOUNT",
         "OPENBAO_NAMESPACE", "AEGIS_LISTEN_ADDRESS")


def checks_env(settings, env):
    """The checks' inputs: what the real interface yielded, plus the stand-in's own knobs."""
    merged = {key: value for key, value in settings.items() if key != "ports"}
    merged.update({key: env[key] for key in KNOBS if env.get(key)})
    return merged


class App:
    def __init__(self, mode, env, ports):
        self.mode = mode
        self.service = MODES[mode][0]
        self.ports = {listener: port for listener, port in ports.items() if port is not None}  # 0: any free port
        self.ui_enabled = env.get("UI_ENABLED", True)
        self.host = (env.get("AEGIS_LISTEN_ADDRESS") or "0.0.0.0").strip()
        self.deps = Dependencies(build_checks(env, mode))
        self.lock = threading.Lock()
        self.requests = {}
        self.started = time.time()
        self.stopping = threading.Event()
        self.sockets = []
        self.bound = {}

    def health(self):
        return {"status": "healthy", "service": self.service, "standin": True, "version": VERSION,
                "dependencies": self.deps.snapshot()}

    def metrics(self):
        dependencies = self.deps.snapshot()
        lines = ["# HELP aegis_standin_up The AEGIS stand-in is running.", "# TYPE aegis_standin_up gauge",
                 "aegis_standin_up 1",
                 "# HELP aegis_standin_info Stand-in mode and version.", "# TYPE aegis_standin_info gauge",
                 'aegis_standin_info{service="%s",mode="%s",version="%s"} 1' % (self.service, self.mode, VERSION),
                 "# HELP aegis_dependency_up Configured dependency answered its last check (1) or not (0).",
                 "# TYPE aegis_dependency_up gauge"]
        lines += ['aegis_dependency_up{name="%s"} %d' % (name, value == "ok")
                  for name, value in dependencies.items() if value != NOT_CONFIGURED]
        lines += ["# HELP aegis_dependency_configured Dependency is configured (1) or left out (0).",
                  "# TYPE aegis_dependency_configured gauge"]
        lines += ['aegis_dependency_configured{name="%s"} %d' % (name, value != NOT_CONFIGURED)
                  for name, value in dependencies.items()]
        lines += ["# HELP aegis_standin_requests_total Requests and connections per listener.",
                  "# TYPE aegis_standin_requests_total counter"]
        with self.lock:
            lines += ['aegis_standin_requests_total{listener="%s"} %d' % item for item in sorted(self.requests.items())]
        lines += ["# HELP process_start_time_seconds Start time of the process.", "# TYPE process_start_time_seconds gauge",
                  "process_start_time_seconds %.3f" % self.started]
        return "\n".join(lines) + "\n"

    def start(self):
        for listener, port in self.ports.items():
            if listener in ("http", "metrics"):
                server = Server((self.host, port), make_handler(self, listener))
                self.sockets.append(server)
                self.bound[listener] = server.server_address[1]
                threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                 name=listener, daemon=True).start()
            else:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.host, port))
                sock.listen(64)
                self.sockets.append(sock)
                self.bound[listener] = sock.getsockname()[1]
                threading.Thread(target=serve_tcp, args=(self, listener, sock), name=listener, daemon=True).start()
        log("%s stand-in %s (mode %s) listening: %s; dependencies: %s" % (
            self.service, VERSION, self.mode, ", ".join("%s %d" % item for item in self.bound.items()),
            ", ".join("%s%s" % (n, "" if c else " (not configured)") for n, c in self.deps.checks.items())))
        threading.Thread(target=self.deps.refresh, daemon=True).start()  # first check, logged on its own

    def stop(self):
        """Close every listener (tests; on SIGTERM the process just exits)."""
        self.stopping.set()
        for item in self.sockets:
            try:
                if isinstance(item, Server):
                    item.shutdown()
                    item.server_close()
                else:
                    item.shutdown(socket.SHUT_RDWR)
                    item.close()
            except OSError:
                pass


def main(argv=None, env=None):
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ if env is None else env
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    try:
        mode, told_by = real_interface.program(env)
    except real_interface.UnknownProgram as exc:
        log("aegis-standin: %s" % exc)
        return 1
    ignored = "; arguments ignored: %s" % " ".join(argv) if argv else ""
    log("standing in for %s (given %s)%s" % (MODES[mode][0], ", ".join(told_by), ignored))
    if mode == "runtime" and os.getuid() == 0:
        os.setgroups([])
        os.setgid(RUNTIME_UID)
        os.setuid(RUNTIME_UID)
    try:
        settings = real_interface.READERS[mode](env)
    except real_interface.Refused as exc:
        log("%s would not start: %s" % (MODES[mode][0], scrub(exc)))
        return 1
    app = App(mode, checks_env(settings, env), settings["ports"])

    def on_signal(signum, frame):
        log("%s received, stopping" % signal.Signals(signum).name)
        os._exit(0)  # dependency checks and connections still open are abandoned, not waited for

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        app.start()
    except OSError as exc:
        log("cannot listen: %s" % reason(exc))
        return 1
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
