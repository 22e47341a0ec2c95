"""Real Keycloak for the integration tests: the distribution the local image is built from (same Maven artifact,
same checksum), run once per test session on Java 17, behind a recording proxy that counts what the server saw."""

from __future__ import annotations

import hashlib
import http.client
import http.server
import os
import pathlib
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.parse
import urllib.request
from typing import Any, Dict, List

ROOT = pathlib.Path(__file__).resolve().parents[3]
# The one pin of the distribution: the local keycloak image's build context.
PIN_FILE = ROOT / "roles" / "images" / "files" / "containerfiles" / "keycloak" / "maven.txt"
CACHE = pathlib.Path(os.environ.get("AEGIS_KEYCLOAK_CACHE", "/var/tmp/aegis-keycloak"))


def pinned_artifact() -> Dict[str, str]:
    """coordinates (group:artifact:version:type) and sha256 from the pin file's one non-comment line."""
    line = next(raw for raw in PIN_FILE.read_text().splitlines() if raw.strip() and not raw.startswith("#"))
    coordinates, checksum = line.split()
    group, artifact, version, kind = coordinates.split(":")
    return {"coordinates": coordinates, "sha256": checksum.split("=", 1)[1], "version": version,
            "file": "%s-%s.%s" % (artifact, version, kind)}


def distribution() -> pathlib.Path:
    """The unpacked distribution, fetched once with the host's Maven client (its own settings and mirrors)."""
    pin = pinned_artifact()
    home = CACHE / ("keycloak-%s" % pin["version"])
    if (home / "bin" / "kc.sh").is_file():
        return home
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / pin["file"]
    if not archive.is_file():
        if not shutil.which("mvn"):
            raise RuntimeError("real Keycloak needs %s from Maven: install Maven (mvn) or put the file in %s"
                               % (pin["coordinates"], CACHE))
        subprocess.run(["mvn", "-q", "-B", "dependency:copy", "-Dartifact=" + pin["coordinates"],
                        "-DoutputDirectory=" + str(CACHE)], check=True, cwd=str(CACHE))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != pin["sha256"]:
        raise RuntimeError("%s: sha256 %s, pinned %s" % (archive, digest, pin["sha256"]))
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE)  # noqa: S202 - our pinned artifact
    return home


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Keycloak:
    """`kc.sh start-dev` on a free loopback port, with its H2 store in this session's own directory (the dev
    default keeps it inside the shared distribution, where one session's realms would meet the next)."""

    def __init__(self, admin_user: str, admin_password: str, workdir: pathlib.Path) -> None:
        home = distribution()
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        data = workdir / "keycloak-data"
        env = dict(os.environ, KEYCLOAK_ADMIN=admin_user, KEYCLOAK_ADMIN_PASSWORD=admin_password,
                   JAVA_OPTS_KC_HEAP="-Xms64m -Xmx512m")
        self.log = workdir / "keycloak.log"
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [str(home / "bin" / "kc.sh"), "start-dev", "--http-port=%d" % self.port, "--http-host=127.0.0.1",
             "--db=dev-file", "--db-url=jdbc:h2:file:%s;NON_KEYWORDS=VALUE" % (data / "keycloakdb"),
             "--log-level=warn"],
            env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.start_seconds = self._wait()

    def _wait(self, timeout: float = 240) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Keycloak exited: %s" % self.log.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url + "/realms/master", timeout=2):
                    return time.monotonic() - self.started
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("Keycloak did not answer in %ss: %s" % (timeout, self.log.read_text()[-3000:]))

    def stop(self) -> None:
        os.killpg(self.process.pid, 15)
        self.process.wait(timeout=60)


class RecordingProxy:
    """Forwards every request to the server and records method, path (no query) and status, in order."""

    def __init__(self, target: str) -> None:
        self.target = urllib.parse.urlsplit(target)
        self.requests: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                upstream = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=60)
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
                with proxy.lock:
                    proxy.requests.append({"method": self.command, "path": self.path.split("?", 1)[0],
                                           "status": response.status})
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def seen(self) -> List[Dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
