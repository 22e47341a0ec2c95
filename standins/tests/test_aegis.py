"""Tests of the AEGIS stand-in server (standins/aegis/standin.py)."""
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

import aegis_standin as st

SCRIPT = os.path.abspath(st.__file__)

# --------------------------------------------------------------------------------------------------------------
# helpers


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port():
    return free_port()  # nothing listens on it once the probe socket is closed


def deadline(seconds=2.5):
    return time.monotonic() + seconds


def run_check(check, *args):
    """The value the dependency cache would report."""
    try:
        return check(*args, deadline())
    except Exception as exc:  # what Dependencies._run does
        return "error: " + st.reason(exc)


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


@pytest.fixture
def app_factory():
    apps = []

    def make(mode, env=None, listeners=("http",)):
        app = st.App(mode, env or {}, ports={name: 0 for name in listeners})
        app.host = "127.0.0.1"
        app.start()
        apps.append(app)
        return app

    yield make
    time.sleep(0.1)  # TCP listeners log closed connections from their own threads: while this test is captured
    for app in apps:
        app.stop()


# --------------------------------------------------------------------------------------------------------------
# SCRAM-SHA-256


RFC7677_SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"


def test_scram_rfc7677_vector():
    scram = st.ScramSha256("user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    assert scram.client_first() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert scram.client_final(RFC7677_SERVER_FIRST) == (
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    scram.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


def test_scram_rejects_wrong_server_signature_and_foreign_nonce():
    scram = st.ScramSha256("user", "pencil", nonce="rOprNGfwEbeRWgbNEkqO")
    scram.client_final(RFC7677_SERVER_FIRST)
    with pytest.raises(st.CheckError, match="server signature"):
        scram.verify_server_final("v=" + base64.b64encode(b"x" * 32).decode())
    with pytest.raises(st.CheckError, match="server error"):
        scram.verify_server_final("e=invalid-proof")
    with pytest.raises(st.CheckError, match="nonce"):
        st.ScramSha256("user", "pencil", nonce="abc").client_final(RFC7677_SERVER_FIRST)
    with pytest.raises(st.CheckError, match="iteration"):
        st.ScramSha256("user", "pencil", nonce="abc").client_final("r=abcdef,s=QUJD,i=999999999")


def test_scram_random_nonce_and_escaped_name():
    first, second = st.ScramSha256("a,b=c", "x"), st.ScramSha256("a,b=c", "x")
    assert first.nonce != second.nonce and len(first.nonce) >= 18
    assert first.client_first().startswith("n,,n=a=2Cb=3Dc,r=")


@pytest.mark.parametrize("raw, prepared", [
    ("pencil", "pencil"),
    ("I\u00adX", "IX"),            # soft hyphen maps to nothing (RFC 4013 examples)
    ("user", "user"),
    ("\u00aa", "a"),               # NFKC
    ("\u2168", "IX"),
    ("a\u00a0b", "a b"),           # non-ASCII space maps to space
    ("a\u0007b", "a\u0007b"),      # prohibited: PostgreSQL then uses the raw password
])
def test_saslprep(raw, prepared):
    assert st.saslprep(raw) == prepared


# --------------------------------------------------------------------------------------------------------------
# parsing


def test_parse_database_url():
    params = st.parse_database_url("postgres://aegis:p%40ss%2Fw%3Ard@aegis-database:5433/aegis_db?sslmode=require")
    assert params == {"host": "aegis-database", "port": 5433, "user": "aegis", "password": "p@ss/w:rd",
                      "dbname": "aegis_db", "sslmode": "require", "sslrootcert": None}
    params = st.parse_database_url("postgresql://u@[::1]")
    assert (params["host"], params["port"], params["dbname"], params["password"], params["sslmode"]) == \
        ("::1", 5432, "u", "", "disable")


@pytest.mark.parametrize("url", ["mysql://u:p@h/db", "postgres://h:5432/db", "postgres://u:p@h:notaport/db", "", "nonsense"])
def test_parse_database_url_rejects(url):
    with pytest.raises(st.CheckError) as info:
        st.parse_database_url(url)
    assert "p@h" not in str(info.value)


@pytest.mark.parametrize("value, default, expected", [
    ("aegis-temporal:7233", None, ("aegis-temporal", 7233)),
    ("http://aegis-core:50051", None, ("aegis-core", 50051)),
    ("http://aegis-observability:4317/", None, ("aegis-observability", 4317)),
    ("grpc://cortex:9000", None, ("cortex", 9000)),
    ("dns:///aegis-core:50051", None, ("aegis-core", 50051)),
    ("[::1]:50051", None, ("::1", 50051)),
    ("aegis-temporal", 7233, ("aegis-temporal", 7233)),
    ("http://aegis-core", 50051, ("aegis-core", 80)),
    ("https://otel.example", 4317, ("otel.example", 443)),
])
def test_host_port(value, default, expected):
    assert st.host_port(value, default) == expected


@pytest.mark.parametrize("value", ["", "cortex", "host:99999", "http://:80"])
def test_host_port_rejects(value):
    with pytest.raises(st.CheckError):
        st.host_port(value, None)


def test_the_program_is_told_by_its_own_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    program = st.real_interface.program
    assert program({"AEGIS_CONFIG_PATH": "/app/config/aegis-config.yaml", "RUST_LOG": "info"}) == \
        ("runtime", ["AEGIS_CONFIG_PATH"])
    assert program({"SEAL_GATEWAY_CONFIG_PATH": "/c.yaml", "SEAL_GATEWAY_BIND": "0.0.0.0:8089"}) == \
        ("seal-gateway", ["SEAL_GATEWAY_BIND", "SEAL_GATEWAY_CONFIG_PATH"])
    assert program({"TEMPORAL_ADDRESS": "t:7233", "HTTP_PORT": "3000"}) == \
        ("temporal-worker", ["HTTP_PORT", "TEMPORAL_ADDRESS"])
    # a daemon's manifest wins over variables the worker also reads (the runtime's manifest may say env:DATABASE_URL)
    assert program({"AEGIS_CONFIG_PATH": "/a.yaml", "DATABASE_URL": "postgres://a@db/a"})[0] == "runtime"
    assert program({"AEGIS_SEAL_GATEWAY_URL": "http://g:8089", "DATABASE_URL": "postgres://a@db/a"})[0] == \
        "temporal-worker"  # a URL of the gateway is no setting of the gateway
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://w@db/w\n")
    assert program({}) == ("temporal-worker", [".env"])


def test_an_unknown_or_mixed_configuration_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(st.real_interface.UnknownProgram, match="cannot tell which AEGIS program.*AEGIS_CONFIG_PATH"):
        st.real_interface.program({"RUST_LOG": "info", "AEGIS_STANDIN_ROLE": "runtime"})
    with pytest.raises(st.real_interface.UnknownProgram,
                       match="more than one.*aegis-runtime: AEGIS_CONFIG_PATH; aegis-seal-gateway: SEAL_GATEWAY_DB"):
        st.real_interface.program({"AEGIS_CONFIG_PATH": "/a.yaml", "SEAL_GATEWAY_DB": "sqlite://g.db"})
    assert st.main([], {"RUST_LOG": "info"}) == 1


# --------------------------------------------------------------------------------------------------------------
# which dependencies, health and metrics


def test_dependencies_listed_per_mode():
    assert list(st.build_checks({}, "runtime")) == \
        ["database", "temporal", "openbao", "keycloak", "storage", "otlp", "cortex", "seal_key", "config", "data"]
    assert list(st.build_checks({}, "temporal-worker")) == ["temporal", "database", "runtime_grpc"]
    assert list(st.build_checks({}, "seal-gateway")) == ["database"]
    assert [name for name, check in st.build_checks({}, "runtime").items() if check] == ["data"]
    # a dependency outside the mode's list is checked (and listed) once its variables are set
    checks = st.build_checks({"OPENBAO_ADDR": "http://b:8200", "OPENBAO_ROLE_ID": "r", "OPENBAO_SECRET_ID": "s",
                              "SEAWEEDFS_FILER_URL": "http://f:8888"}, "seal-gateway")
    assert list(checks) == ["database", "openbao", "storage"] and checks["database"] is None


def test_health_shape_not_configured(app_factory):
    app = app_factory("runtime", listeners=("http", "metrics"))
    status, content_type, body = get("http://127.0.0.1:%d/health" % app.bound["http"])
    assert status == 200 and content_type.startswith("application/json")
    doc = json.loads(body)
    assert doc["status"] == "healthy" and doc["service"] == "aegis-runtime"
    data = doc["dependencies"].pop("data")
    assert data == "ok" or data.startswith("error: cannot write /app/data")
    assert doc["dependencies"] == {name: "not configured" for name in
                                   ("database", "temporal", "openbao", "keycloak", "storage", "otlp", "cortex",
                                    "seal_key", "config")}
    status, content_type, body = get("http://127.0.0.1:%d/metrics" % app.bound["metrics"])
    assert status == 200 and content_type.startswith("text/plain")
    assert "aegis_standin_up 1\n" in body and 'aegis_dependency_configured{name="database"} 0' in body
    assert get("http://127.0.0.1:%d/nope" % app.bound["http"])[0] == 404


def test_health_reports_down_dependency_with_200(app_factory):
    port = closed_port()
    app = app_factory("temporal-worker", {"TEMPORAL_ADDRESS": "127.0.0.1:%d" % port,
                                          "DATABASE_URL": "postgres://u:pw@127.0.0.1:%d/db" % port},
                      listeners=("http", "metrics"))
    status, _headers, body = get("http://127.0.0.1:%d/health" % app.bound["http"])
    doc = json.loads(body)
    assert status == 200 and doc["service"] == "aegis-temporal-worker"
    assert doc["dependencies"] == {"temporal": "error: connection refused", "database": "error: connection refused",
                                   "runtime_grpc": "not configured"}
    metrics = get("http://127.0.0.1:%d/metrics" % app.bound["metrics"])[2]
    assert 'aegis_dependency_up{name="temporal"} 0' in metrics


def test_worker_sees_runtime_grpc_listener(app_factory):
    runtime = app_factory("runtime", listeners=("http", "grpc", "nfs"))
    worker = app_factory("temporal-worker", {"AEGIS_RUNTIME_GRPC_URL": "127.0.0.1:%d" % runtime.bound["grpc"],
                                             "TEMPORAL_ADDRESS": "127.0.0.1:%d" % runtime.bound["nfs"]})
    doc = json.loads(get("http://127.0.0.1:%d/health" % worker.bound["http"])[2])
    assert doc["dependencies"]["runtime_grpc"] == "ok" and doc["dependencies"]["temporal"] == "ok"
    with socket.create_connection(("127.0.0.1", runtime.bound["grpc"]), timeout=2) as conn:
        conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # the gRPC listener reads and does not answer
    # @grpc/grpc-js takes a host:port target (aegis-temporal-worker src/config.ts), not a URL
    url = app_factory("temporal-worker", {"AEGIS_RUNTIME_GRPC_URL": "http://127.0.0.1:%d" % runtime.bound["grpc"]})
    doc = json.loads(get("http://127.0.0.1:%d/health" % url.bound["http"])[2])
    assert doc["dependencies"]["runtime_grpc"].startswith("error: AEGIS_RUNTIME_GRPC_URL=http://")


def test_seal_gateway_serves_root_only_with_its_ui(app_factory):
    app = app_factory("seal-gateway", {"UI_ENABLED": False})
    base = "http://127.0.0.1:%d" % app.bound["http"]
    assert get(base + "/")[0] == 404 and get(base + "/health")[::2] == (200, "ok")


def test_seal_gateway_routes(app_factory):
    app = app_factory("seal-gateway", listeners=("http", "grpc"))
    base = "http://127.0.0.1:%d" % app.bound["http"]
    assert get(base + "/")[::2] == (200, "ok")
    assert get(base + "/health")[::2] == (200, "ok")
    for path in ("/health?verbose=1", "/health/dependencies"):
        status, _headers, body = get(base + path)
        assert status == 200
        assert json.loads(body) == {"status": "healthy", "service": "aegis-seal-gateway", "standin": True,
                                    "version": st.VERSION, "dependencies": {"database": "not configured"}}
    socket.create_connection(("127.0.0.1", app.bound["grpc"]), timeout=2).close()


def test_dependency_cache_and_budget(capsys):
    # Seconds with room for a loaded machine (the test runs beside the test bed's hosts in make test).
    calls = {"fast": 0}

    def fast(deadline_):
        calls["fast"] += 1
        return "ok" if calls["fast"] == 1 else st._fail("went away")

    def slow(deadline_):
        time.sleep(4.0)
        return "ok"

    deps = st.Dependencies({"fast": fast, "slow": slow, "off": None}, cache_seconds=2.0, budget=1.2)
    started = time.monotonic()
    first = deps.snapshot()
    assert time.monotonic() - started < 2.4
    assert first == {"fast": "ok", "slow": "error: check did not finish within 1.2 s", "off": "not configured"}
    assert deps.snapshot()["fast"] == "ok" and calls["fast"] == 1  # cached
    time.sleep(4.0)
    second = deps.snapshot()
    assert second == {"fast": "error: went away", "slow": "ok", "off": "not configured"}
    assert calls["fast"] == 2
    out = capsys.readouterr().out
    assert "dependency fast: error: went away (was ok)" in out and "dependency slow: ok" in out


# --------------------------------------------------------------------------------------------------------------
# PostgreSQL against a fake server (SCRAM server side written out here) and a real one


def _message(kind, payload):
    return kind + struct.pack("!I", len(payload) + 4) + payload


def _auth(code, data=b""):
    return _message(b"R", struct.pack("!I", code) + data)


def _ready():
    return (_message(b"S", b"server_version\x0015\x00") + _message(b"K", struct.pack("!II", 1, 2))
            + _message(b"Z", b"I"))


def _error(text, code="28P01"):
    return _message(b"E", b"SFATAL\x00C" + code.encode() + b"\x00M" + text.encode() + b"\x00\x00")


class FakePostgres:
    """Accepts connections and plays one scenario of PostgreSQL's startup/authentication."""

    def __init__(self, scenario, password="right"):
        self.scenario, self.password = scenario, password
        self.startup = None
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self._handle(conn)
                except (OSError, AssertionError):
                    pass

    @staticmethod
    def _read(conn, count):
        data = b""
        while len(data) < count:
            chunk = conn.recv(count - len(data))
            assert chunk
            data += chunk
        return data

    def _handle(self, conn):
        (length,) = struct.unpack("!I", self._read(conn, 4))
        body = self._read(conn, length - 4)
        assert struct.unpack("!I", body[:4])[0] == 196608
        items = body[4:].split(b"\0")
        self.startup = dict(zip(items[0::2], items[1::2]))
        scenario = self.scenario
        if scenario == "garbage":
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        elif scenario == "md5":
            conn.sendall(_auth(5, b"salt"))
        elif scenario == "cleartext":
            conn.sendall(_auth(3))
        elif scenario == "trust":
            conn.sendall(_auth(0) + _ready())
        elif scenario == "plus-only":
            conn.sendall(_auth(10, b"SCRAM-SHA-256-PLUS\0\0"))
        elif scenario == "starting":
            conn.sendall(_error("the database system is starting up", "57P03"))
        elif scenario.startswith("scram"):
            self._scram(conn, bad_signature=scenario == "scram-bad-signature")
        conn.recv(1024)

    def _client_message(self, conn):
        kind, length = struct.unpack("!cI", self._read(conn, 5))
        return kind, self._read(conn, length - 4)

    def _scram(self, conn, bad_signature):
        conn.sendall(_auth(10, b"SCRAM-SHA-256\0\0"))
        kind, payload = self._client_message(conn)
        mechanism, rest = payload.split(b"\0", 1)
        assert kind == b"p" and mechanism == b"SCRAM-SHA-256"
        client_first = rest[4:4 + struct.unpack("!I", rest[:4])[0]].decode()
        assert client_first.startswith("n,,")
        client_first_bare = client_first[3:]
        nonce = dict(item.split("=", 1) for item in client_first_bare.split(","))["r"] + "ServerPart"
        salt = os.urandom(16)
        server_first = "r=%s,s=%s,i=4096" % (nonce, base64.b64encode(salt).decode())
        conn.sendall(_auth(11, server_first.encode()))
        kind, payload = self._client_message(conn)
        client_final = payload.decode()
        without_proof, _sep, proof = client_final.rpartition(",p=")
        assert without_proof == "c=biws,r=" + nonce
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), salt, 4096)
        stored = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
        auth_message = ",".join((client_first_bare, server_first, without_proof)).encode()
        signature = hmac.new(stored, auth_message, hashlib.sha256).digest()
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
        if hashlib.sha256(client_key).digest() != stored:
            conn.sendall(_error('password authentication failed for user "%s"' % self.startup[b"user"].decode()))
            return
        server_signature = hmac.new(hmac.new(salted, b"Server Key", hashlib.sha256).digest(), auth_message,
                                    hashlib.sha256).digest()
        if bad_signature:
            server_signature = bytes(32)
        conn.sendall(_auth(12, b"v=" + base64.b64encode(server_signature)))
        conn.sendall(_auth(0) + _ready())

    def url(self, password="right", user="aegis", db="aegis"):
        return "postgres://%s:%s@127.0.0.1:%d/%s" % (user, password, self.port, db)

    def close(self):
        self.sock.close()


@pytest.fixture
def fake_postgres():
    servers = []

    def make(scenario, **kwargs):
        servers.append(FakePostgres(scenario, **kwargs))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def test_postgres_scram_against_fake_server(fake_postgres):
    server = fake_postgres("scram", password="p@ss word/é")
    assert run_check(st.check_postgres, server.url("p%40ss%20word%2F%C3%A9", user="svc", db="registry")) == "ok"
    assert server.startup[b"user"] == b"svc" and server.startup[b"database"] == b"registry"
    result = run_check(st.check_postgres, server.url("wrong", user="svc"))
    assert result == 'error: password authentication failed for user "svc" (SQLSTATE 28P01)'


@pytest.mark.parametrize("scenario, expected", [
    ("scram-bad-signature", "error: SCRAM: server signature does not verify"),
    ("md5", "error: server asked for md5 (SCRAM-SHA-256 required)"),
    ("cleartext", "error: server asked for cleartext password (SCRAM-SHA-256 required)"),
    ("trust", "error: server let us in without a password (trust); SCRAM-SHA-256 required"),
    ("plus-only", "error: server offers SASL SCRAM-SHA-256-PLUS, not SCRAM-SHA-256"),
    ("starting", "error: the database system is starting up (SQLSTATE 57P03)"),
    ("garbage", "error: not a PostgreSQL server (bad message length)"),
])
def test_postgres_refusals(fake_postgres, scenario, expected):
    assert run_check(st.check_postgres, fake_postgres(scenario).url()) == expected


def test_postgres_unreachable_and_silent():
    assert run_check(st.check_postgres, "postgres://u:pw@127.0.0.1:%d/db" % closed_port()) == "error: connection refused"
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        started = time.monotonic()
        try:
            st.check_postgres("postgres://u:pw@127.0.0.1:%d/db" % silent.getsockname()[1], time.monotonic() + 0.5)
        except Exception as exc:
            assert st.reason(exc) == "timed out"
        else:
            raise AssertionError("a silent server passed the check")
        assert time.monotonic() - started < 1.5


@pytest.fixture(scope="module")
def real_postgres():
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    image = os.environ.get("AEGIS_STANDIN_TEST_POSTGRES_IMAGE", "localhost/aegis-postgres:15")
    if subprocess.run(["podman", "image", "exists", image], check=False).returncode != 0:
        pytest.skip("image %s is not present" % image)
    port, name = free_port(), "aegis-standin-test-pg-%s" % uuid.uuid4().hex[:8]
    subprocess.run(["podman", "run", "-d", "--rm", "--name", name, "-p", "127.0.0.1:%d:5432" % port,
                    "-e", "POSTGRES_USER=u", "-e", "POSTGRES_PASSWORD=p", image, "postgres",
                    "-c", "password_encryption=scram-sha-256", "-c", "listen_addresses=*"],
                   check=True, capture_output=True)
    try:
        url = "postgres://u:p@127.0.0.1:%d/u" % port
        limit = time.monotonic() + 60
        while run_check(st.check_postgres, url) != "ok":
            assert time.monotonic() < limit, "PostgreSQL did not accept the login within 60 s"
            time.sleep(0.3)
        yield port
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, check=False)


def test_postgres_real_server(real_postgres):
    base = "postgres://%s@127.0.0.1:" + str(real_postgres) + "/%s"
    assert run_check(st.check_postgres, base % ("u:p", "u")) == "ok"
    wrong = run_check(st.check_postgres, base % ("u:not-the-password", "u"))
    assert wrong == 'error: password authentication failed for user "u" (SQLSTATE 28P01)'
    assert "not-the-password" not in wrong
    assert run_check(st.check_postgres, base % ("u:p", "nodb")) == 'error: database "nodb" does not exist (SQLSTATE 3D000)'


def test_postgres_real_server_through_health(real_postgres, app_factory):
    app = app_factory("seal-gateway", {"DATABASE_URL": "postgres://u:p@127.0.0.1:%d/u" % real_postgres})
    doc = json.loads(get("http://127.0.0.1:%d/health?verbose=1" % app.bound["http"])[2])
    assert doc["dependencies"] == {"database": "ok"}


# --------------------------------------------------------------------------------------------------------------
# HTTP dependencies against pytest-httpserver fakes


def test_openbao_approle_login_kv_and_token_reuse(httpserver):
    login = {"role_id": "role-1", "secret_id": "secret-1"}
    httpserver.expect_request("/v1/auth/aegis-approle/login", method="POST", json=login).respond_with_json(
        {"auth": {"client_token": "s.token1", "lease_duration": 3600}})
    httpserver.expect_request("/v1/auth/token/lookup-self", headers={"X-Vault-Token": "s.token1"}).respond_with_json(
        {"data": {"ttl": 3000}})
    httpserver.expect_request("/v1/kv/data/aegis/runtime", headers={"X-Vault-Token": "s.token1"}).respond_with_json(
        {"data": {"data": {"x": "y"}}})
    check = st.OpenBaoCheck(httpserver.url_for("/"), "role-1", "secret-1", "aegis-approle", "kv/data/aegis/runtime")
    assert run_check(check) == "ok"
    assert run_check(check) == "ok"
    paths = [request.path for request, _response in httpserver.log]
    assert paths == ["/v1/auth/aegis-approle/login", "/v1/kv/data/aegis/runtime",
                     "/v1/auth/token/lookup-self", "/v1/kv/data/aegis/runtime"]


def test_openbao_login_refused_and_kv_forbidden(httpserver):
    httpserver.expect_request("/v1/auth/approle/login", method="POST", json={"role_id": "r", "secret_id": "bad-secret-x"}
                              ).respond_with_json({"errors": ["invalid role or secret ID (got bad-secret-x)"]}, status=400)
    result = run_check(st.OpenBaoCheck(httpserver.url_for("/"), "r", "bad-secret-x"))
    assert result == "error: approle login: HTTP 400 invalid role or secret ID (got ***)"
    httpserver.expect_request("/v1/auth/approle/login", method="POST", json={"role_id": "r", "secret_id": "good"}
                              ).respond_with_json({"auth": {"client_token": "s.t"}})
    httpserver.expect_request("/v1/secret/data/x").respond_with_json({"errors": ["permission denied"]}, status=403)
    result = run_check(st.OpenBaoCheck(httpserver.url_for("/"), "r", "good", kv_path="/secret/data/x"))
    assert result == "error: read secret/data/x: HTTP 403 permission denied"
    assert run_check(st.OpenBaoCheck("http://127.0.0.1:%d" % closed_port(), "r", "s")) == "error: connection refused"


def test_openbao_sealed(httpserver):
    httpserver.expect_request("/v1/auth/approle/login").respond_with_json({"errors": ["Vault is sealed"]}, status=503)
    assert run_check(st.OpenBaoCheck(httpserver.url_for("/"), "r", "s")) == "error: approle login: HTTP 503 Vault is sealed"


def test_openbao_env_wiring():
    checks = st.build_checks({"OPENBAO_ADDR": "http://b:8200/", "OPENBAO_ROLE_ID": "r", "OPENBAO_SECRET_ID": "s",
                              "OPENBAO_APPROLE_MOUNT": "aegis", "OPENBAO_KV_CHECK_PATH": "kv/data/a"}, "runtime")
    check = checks["openbao"]
    assert (check.addr, check.mount, check.kv_path) == ("http://b:8200", "aegis", "kv/data/a")
    incomplete = st.build_checks({"OPENBAO_ADDR": "http://b:8200"}, "runtime")["openbao"]
    assert run_check(incomplete).startswith("error: OPENBAO_ADDR is set but")


def _keycloak(httpserver, realm="aegis-system", host="https://iam.example.com"):
    httpserver.expect_request("/realms/%s/.well-known/openid-configuration" % realm).respond_with_json(
        {"issuer": host + "/realms/" + realm,
         "token_endpoint": host + "/realms/%s/protocol/openid-connect/token" % realm,
         "jwks_uri": host + "/realms/%s/protocol/openid-connect/certs" % realm})


def test_keycloak_discovery_signing_keys_and_client_credentials(httpserver):
    _keycloak(httpserver)
    httpserver.expect_request("/realms/aegis-system/protocol/openid-connect/certs").respond_with_json(
        {"keys": [{"kid": "k1", "kty": "RSA"}]})
    httpserver.expect_request("/realms/aegis-system/protocol/openid-connect/token", method="POST",
                              data="grant_type=client_credentials&client_id=aegis-runtime&client_secret=cs"
                              ).respond_with_json({"access_token": "eyJ", "token_type": "Bearer"})
    base = httpserver.url_for("/")
    assert run_check(st.check_keycloak, base, "aegis-system", "", "") == "ok"
    assert run_check(st.check_keycloak, base, "aegis-system", "aegis-runtime", "cs") == "ok"


def test_keycloak_failures(httpserver):
    _keycloak(httpserver)
    httpserver.expect_request("/realms/aegis-system/protocol/openid-connect/token", method="POST").respond_with_json(
        {"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}, status=401)
    base = httpserver.url_for("/")
    assert run_check(st.check_keycloak, base, "aegis-system", "aegis-runtime", "wrong") == \
        "error: client aegis-runtime token: HTTP 401 Invalid client or Invalid client credentials"
    assert run_check(st.check_keycloak, base, "other", "", "") == "error: realm other discovery: HTTP 500"
    httpserver.expect_request("/realms/bare/.well-known/openid-configuration").respond_with_json({"issuer": "x"})
    assert run_check(st.check_keycloak, base, "bare", "", "") == "error: realm bare discovery: no token_endpoint"
    # Without a client the check is the runtime's JWT validation: the realm must publish signing keys.
    assert run_check(st.check_keycloak, base, "aegis-system", "", "") == "error: realm aegis-system signing keys: HTTP 500"


def test_storage_and_tcp(httpserver):
    httpserver.expect_request("/").respond_with_data("not found", status=404)
    assert run_check(st.check_http_any, httpserver.url_for("/")) == "ok"
    httpserver.clear()
    httpserver.expect_request("/").respond_with_data("bad gateway", status=502)
    assert run_check(st.check_http_any, httpserver.url_for("/")) == "error: HTTP 502"
    assert run_check(st.check_tcp, "127.0.0.1:%d" % httpserver.port, None) == "ok"
    assert run_check(st.check_tcp, "http://127.0.0.1:%d" % closed_port(), None) == "error: connection refused"
    assert run_check(st.check_tcp, "cortex", None) == "error: no port in 'cortex'"
    assert run_check(st.check_tcp, "no-such-host.invalid:1", None).startswith("error: cannot resolve host")


# --------------------------------------------------------------------------------------------------------------
# local files of the runtime


def _rsa_pem(bits, pkcs8=False, password=None):
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL,
                             encryption).decode()


def test_seal_key():
    pem = _rsa_pem(2048)
    cases = {"pkcs1.pem": pem, "pkcs8.pem": _rsa_pem(2048, pkcs8=True), "small.pem": _rsa_pem(1024),
             "enc.pem": _rsa_pem(2048, pkcs8=True, password=b"pw"), "junk.pem": "hello",
             "broken.pem": pem.replace(pem.splitlines()[5], pem.splitlines()[6])}
    results = {name: run_check(st.check_seal_key, text) for name, text in cases.items()}
    assert results == {"pkcs1.pem": "ok", "pkcs8.pem": "ok",
                       "small.pem": "error: RSA key has 1024 bits, need at least 2048",
                       "enc.pem": "error: key is encrypted", "junk.pem": "error: not a PEM private key",
                       "broken.pem": results["broken.pem"]}
    assert results["broken.pem"] in ("error: malformed RSA private key", "error: inconsistent RSA private key")


def test_config_files(tmp_path):
    config = tmp_path / "aegis-config.yaml"
    config.write_text("node:\n  id: x\n")
    env = {"CONFIG_FILES": [str(config)]}
    assert run_check(st.build_checks(env, "runtime")["config"]) == "ok"
    env["CONFIG_FILES"].append(str(tmp_path / "runtime-registry.yaml"))
    assert run_check(st.build_checks(env, "runtime")["config"]).startswith("error: cannot read ")
    assert "config" not in st.build_checks(env, "seal-gateway")


# --------------------------------------------------------------------------------------------------------------
# the script as a process


def _start(args, env_extra):
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "AEGIS_LISTEN_ADDRESS": "127.0.0.1", "HTTP_PORT": str(port)}
    env.update(env_extra)
    proc = subprocess.Popen([sys.executable, SCRIPT] + args, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = "http://127.0.0.1:%d" % port
    limit = time.monotonic() + 10
    while True:
        try:
            get(url + "/", timeout=1)
            return proc, url
        except OSError:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < limit
            time.sleep(0.05)


def test_process_sigterm_and_no_secrets_in_logs():
    port = closed_port()
    secrets = {"DATABASE_URL": "postgres://aegis:Db%2FSecret-123@127.0.0.1:" + str(port) + "/aegis",
               "TEMPORAL_ADDRESS": "127.0.0.1:%d" % port,
               "KEYCLOAK_CLIENT_ID": "aegis-runtime", "KEYCLOAK_CLIENT_SECRET": "ClientSecret-789"}
    proc, url = _start([], secrets)
    try:
        doc = json.loads(get(url + "/health")[2])
        assert doc["service"] == "aegis-temporal-worker"
        assert doc["dependencies"]["database"] == "error: connection refused"
        assert doc["dependencies"]["temporal"] == "error: connection refused"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=2) == 0
        assert time.monotonic() - started < 1.0
    finally:
        proc.kill()
    out = proc.stdout.read()
    assert "standing in for aegis-temporal-worker (given DATABASE_URL, HTTP_PORT, TEMPORAL_ADDRESS)" in out
    assert "GET /health 200" in out and "SIGTERM received" in out
    for secret in ("Db%2FSecret-123", "Db/Secret-123", "ClientSecret-789"):
        assert secret not in out


# --------------------------------------------------------------------------------------------------------------
# the built image (opt-in: AEGIS_STANDIN_IMAGE_TEST=1; the image is built by the images role or by hand)


IMAGE = os.environ.get("AEGIS_STANDIN_IMAGE", "localhost/aegis-standin-aegis:0.15.0-pre-alpha")


@pytest.mark.skipif(os.environ.get("AEGIS_STANDIN_IMAGE_TEST") != "1", reason="set AEGIS_STANDIN_IMAGE_TEST=1")
def test_image_smoke():
    if not shutil.which("podman") or subprocess.run(["podman", "image", "exists", IMAGE], check=False).returncode:
        pytest.skip("podman or %s missing" % IMAGE)
    tag = uuid.uuid4().hex[:8]
    network, runtime, worker, gateway = ("aegis-standin-test-" + tag + suffix for suffix in ("", "-rt", "-wk", "-gw"))
    ports = {name: free_port() for name in ("wk", "gw")}

    def podman(*args):
        return subprocess.run(["podman"] + list(args), check=True, capture_output=True, text=True).stdout

    limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"]
    podman("network", "create", network)
    try:
        # Without any program's configuration it cannot tell what to be; like aegis-runtime, it will not start
        # without its node manifest.
        result = subprocess.run(["podman", "run", "--rm", "--network", network] + limits + [IMAGE],
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1 and "cannot tell which AEGIS program" in result.stdout
        result = subprocess.run(["podman", "run", "--name", runtime, "--network", network] + limits
                                + ["-e", "AEGIS_CONFIG_PATH=/app/config/aegis-config.yaml", IMAGE],
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1 and "aegis-runtime would not start" in result.stdout
        assert podman("run", "--rm", "--entrypoint", "id", IMAGE, "-u", "aegis").strip() == "10000"
        podman("run", "-d", "--name", worker, "--network", network, "-p", "127.0.0.1:%d:3000" % ports["wk"],
               *limits, "-e", "DATABASE_URL=postgres://w:pw@127.0.0.1:1/w", "-e", "TEMPORAL_ADDRESS=127.0.0.1:1",
               IMAGE)
        podman("run", "-d", "--name", gateway, "--network", network, "-p", "127.0.0.1:%d:8089" % ports["gw"],
               *limits, "-e", "SEAL_GATEWAY_AUTH_DISABLED=true", IMAGE)
        limit = time.monotonic() + 20
        while True:
            try:
                worker_doc = json.loads(get("http://127.0.0.1:%d/health" % ports["wk"])[2])
                gateway_health = get("http://127.0.0.1:%d/health" % ports["gw"])
                break
            except OSError:
                assert time.monotonic() < limit
                time.sleep(0.2)
        assert worker_doc["service"] == "aegis-temporal-worker"
        assert gateway_health[::2] == (200, "ok")
        for name, port in ((worker, 3000), (gateway, 8089)):
            assert subprocess.run(["podman", "exec", name, "wget", "--version"], capture_output=True, check=False).returncode != 0
            podman("exec", name, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 "
                   "&& head -n 1 <&3 | grep -q ' 200 '" % port)
        started = time.monotonic()
        podman("stop", "-t", "10", worker, gateway)
        assert time.monotonic() - started < 5
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", runtime, worker, gateway], capture_output=True, check=False)
        subprocess.run(["podman", "network", "rm", "-f", network], capture_output=True, check=False)
