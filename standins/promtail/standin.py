#!/usr/bin/python3
"""STAND-IN for Grafana Promtail 3.0 (not Promtail): see README.md next to this file.

Reads the Promtail YAML config given with -config.file, listens on server.http_listen_port (/ready, /metrics)
and server.grpc_listen_port, tails the files matched by each static_config's __path__ glob (remembering offsets
in positions.filename), parses CRI / podman k8s-file lines when the job has a `cri` stage, and pushes the lines
with the job's labels (plus filename and stream) to every client URL as Loki's JSON push format.
"""
import datetime
import glob
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

CRI = re.compile(r"^(\S+) (stdout|stderr) ([FP]) ?(.*)$")
STATS = {"read": 0, "sent": 0, "errors": 0, "files": 0}
CHUNK = 1 << 20


def fail(message):
    sys.exit("level=error msg=\"error creating promtail\" error=\"%s\"" % message)


def load_config(argv):
    paths = [a.split("=", 1)[1] for a in argv if a.startswith("-config.file=")]
    if not paths:
        fail("-config.file is required")
    with open(paths[0], encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    if not config.get("clients"):
        fail("at least one client config must be provided")
    for job in config.get("scrape_configs") or []:
        for stage in job.get("pipeline_stages") or []:
            if list(stage) != ["cri"]:
                fail("stand-in: only the cri pipeline stage is implemented, got %s in job %s"
                     % (list(stage), job.get("job_name")))
        for static in job.get("static_configs") or []:
            if "__path__" not in (static.get("labels") or {}):
                fail("static_config of job %s has no __path__ label" % job.get("job_name"))
    return config


def rfc3339_ns(text):
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        return time.time_ns()
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    base = datetime.datetime.fromisoformat(match.group(1) + zone)
    return int(base.timestamp()) * 10**9 + int((match.group(2) or "0")[:9].ljust(9, "0"))


class Tailer:
    def __init__(self, config):
        self.config = config
        self.positions_file = (config.get("positions") or {}).get("filename", "/var/log/positions.yaml")
        self.positions = {}
        if os.path.exists(self.positions_file):
            with open(self.positions_file, encoding="utf-8") as handle:
                self.positions = {k: int(v) for k, v in ((yaml.safe_load(handle) or {}).get("positions") or {}).items()}

    def read(self, path, cri, labels):
        """New complete lines of one file as Loki push values, and the offset after them."""
        offset = self.positions.get(path, 0)
        try:
            if os.path.getsize(path) < offset:  # truncated or replaced
                offset = 0
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read(CHUNK)
        except OSError:
            return {}, offset
        complete = data[:data.rfind(b"\n") + 1]
        streams = {}
        for raw in complete.decode("utf-8", "replace").splitlines():
            ns, line, stream_labels = time.time_ns(), raw, dict(labels)
            match = CRI.match(raw) if cri else None
            if match:
                ns, line = rfc3339_ns(match.group(1)), match.group(4)
                stream_labels["stream"] = match.group(2)
            streams.setdefault(tuple(sorted(stream_labels.items())), []).append([str(ns), line])
        return streams, offset + len(complete)

    def cycle(self):
        pushes, offsets, files = {}, {}, 0
        for job in self.config.get("scrape_configs") or []:
            cri = any("cri" in stage for stage in job.get("pipeline_stages") or [])
            for static in job.get("static_configs") or []:
                labels = {k: str(v) for k, v in static["labels"].items() if not k.startswith("__")}
                for path in sorted(glob.glob(static["labels"]["__path__"])):
                    files += 1
                    streams, offsets[path] = self.read(path, cri, dict(labels, filename=path))
                    for key, values in streams.items():
                        pushes.setdefault(key, []).extend(values)
        STATS["files"] = files
        lines = sum(len(v) for v in pushes.values())
        if lines:
            body = json.dumps({"streams": [{"stream": dict(k), "values": v} for k, v in pushes.items()]}).encode()
            for client in self.config["clients"]:
                request = urllib.request.Request(client["url"], data=body, headers={"Content-Type": "application/json"})
                if client.get("tenant_id"):
                    request.add_header("X-Scope-OrgID", client["tenant_id"])
                try:
                    urllib.request.urlopen(request, timeout=10).close()
                except urllib.error.HTTPError as error:
                    STATS["errors"] += 1
                    print("level=error msg=\"final error sending batch\" status=%s error=\"%s\""
                          % (error.code, error.read()[:200]), flush=True)
                    if error.code >= 500 or error.code == 429:
                        return
                except OSError as error:
                    STATS["errors"] += 1
                    print("level=warn msg=\"error sending batch, will retry\" host=%s error=\"%s\"" % (client["url"], error),
                          flush=True)
                    return
            STATS["read"] += lines
            STATS["sent"] += lines
        changed = {p: o for p, o in offsets.items() if self.positions.get(p) != o}
        if changed:
            self.positions.update(changed)
            os.makedirs(os.path.dirname(self.positions_file) or ".", exist_ok=True)
            with open(self.positions_file + ".tmp", "w", encoding="utf-8") as handle:
                yaml.safe_dump({"positions": {k: str(v) for k, v in self.positions.items()}}, handle)
            os.replace(self.positions_file + ".tmp", self.positions_file)

    def run(self):
        while True:
            self.cycle()
            time.sleep(1)


class Handler(BaseHTTPRequestHandler):
    server_version = "aegis-standin-promtail/3.0.0"

    def log_message(self, *args):  # quiet: our own request log would be shipped
        pass

    def do_GET(self):
        if self.path == "/ready":
            code, body, ctype = 200, "Ready", "text/plain"
        elif self.path == "/metrics":
            code, ctype = 200, "text/plain; version=0.0.4"
            body = ("# TYPE promtail_read_lines_total counter\npromtail_read_lines_total %d\n"
                    "# TYPE promtail_sent_entries_total counter\npromtail_sent_entries_total %d\n"
                    "# TYPE promtail_request_errors_total counter\npromtail_request_errors_total %d\n"
                    "# TYPE promtail_files_active_total gauge\npromtail_files_active_total %d\n"
                    % (STATS["read"], STATS["sent"], STATS["errors"], STATS["files"]))
        else:
            code, body, ctype = 404, "404 page not found\n", "text/plain"
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def hold_port(listener):
    while True:
        listener.accept()[0].close()


def main():
    config = load_config(sys.argv[1:])
    server_config = config.get("server") or {}
    server = ThreadingHTTPServer(("", int(server_config.get("http_listen_port", 80))), Handler)
    # Bind the gRPC port as Promtail does, so a clash with Loki's (both default to 9095) shows.
    grpc = socket.create_server(("", int(server_config.get("grpc_listen_port", 9095))))
    threading.Thread(target=hold_port, args=(grpc,), daemon=True).start()
    threading.Thread(target=Tailer(config).run, daemon=True).start()
    urls = [c["url"] for c in config["clients"]]
    print("aegis stand-in for Promtail 3.0: http :%s pushing to %s" % (server.server_port, urls), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
