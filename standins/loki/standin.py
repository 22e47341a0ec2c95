#!/usr/bin/python3
"""STAND-IN for Grafana Loki 3.0 (not Loki): see README.md next to this file.

Reads the Loki YAML config given with -config.file, refuses what Loki 3.0 refuses for the settings the
aegis.platform.observability role writes, listens on server.http_listen_port and server.grpc_listen_port,
stores pushed lines under the chunks directory, drops them after limits_config.retention_period when the
compactor's retention is enabled, and answers /ready, /config, /metrics, /loki/api/v1/push (JSON),
/loki/api/v1/labels, /loki/api/v1/label/<name>/values and /loki/api/v1/query_range (selector and line filters).
"""
import gzip
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
MATCHER = re.compile(r'\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
FILTER = re.compile(r'\s*(\|=|!=|\|~|!~)\s*"((?:[^"\\]|\\.)*)"')
LOCK = threading.Lock()
ENTRIES = []  # (ns, labels tuple, line)
STATS = {"received": 0, "deleted": 0}


def fail(message):
    sys.exit("level=error msg=\"validating config\" err=\"%s\"" % message)


def seconds(text):
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", str(text))
    if not parts or "".join(n + u for n, u in parts) != str(text):
        fail("invalid duration %r" % text)
    return sum(int(n) * UNITS[u] for n, u in parts)


def load_config(argv):
    paths = [a.split("=", 1)[1] for a in argv if a.startswith("-config.file=")]
    if not paths:
        fail("-config.file is required")
    with open(paths[0], encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    server, common = config.get("server") or {}, config.get("common") or {}
    limits, compactor = config.get("limits_config") or {}, config.get("compactor") or {}
    if not (config.get("schema_config") or {}).get("configs"):
        fail("schema_config.configs: at least one schema period is required")
    retention = seconds(limits.get("retention_period", "0s"))
    if compactor.get("retention_enabled"):
        if not compactor.get("delete_request_store"):
            fail("compactor.delete-request-store should be configured when retention is enabled")
        if retention and retention % 86400:
            fail("retention_period %s must be a multiple of the index period (24h)" % limits["retention_period"])
    chunks = ((common.get("storage") or {}).get("filesystem") or {}).get("chunks_directory") \
        or os.path.join(common.get("path_prefix") or "/loki", "chunks")
    return {"raw": config, "http": int(server.get("http_listen_port", 3100)), "grpc": int(server.get("grpc_listen_port", 9095)),
            "retention": retention if compactor.get("retention_enabled") else 0, "chunks": chunks,
            "interval": seconds(compactor.get("compaction_interval", "10m"))}


def store_file(config, ns):
    return os.path.join(config["chunks"], "standin-%s.jsonl" % time.strftime("%Y-%m-%d", time.gmtime(ns / 1e9)))


def load_entries(config):
    os.makedirs(config["chunks"], exist_ok=True)
    for name in sorted(os.listdir(config["chunks"])):
        if name.startswith("standin-") and name.endswith(".jsonl"):
            with open(os.path.join(config["chunks"], name), encoding="utf-8") as handle:
                for row in handle:
                    item = json.loads(row)
                    ENTRIES.append((item["t"], tuple(sorted(item["s"].items())), item["l"]))


def apply_retention(config):
    """The compactor: drop entries (and whole day files) older than the retention period."""
    while True:
        if config["retention"]:
            cutoff = (time.time() - config["retention"]) * 1e9
            with LOCK:
                kept = [entry for entry in ENTRIES if entry[0] >= cutoff]
                STATS["deleted"] += len(ENTRIES) - len(kept)
                ENTRIES[:] = kept
            for name in os.listdir(config["chunks"]):
                day = re.match(r"standin-(\d{4}-\d\d-\d\d)\.jsonl$", name)
                if day and time.mktime(time.strptime(day.group(1), "%Y-%m-%d")) + 86400 < cutoff / 1e9:
                    os.remove(os.path.join(config["chunks"], name))
        time.sleep(max(config["interval"], 1))


def parse_query(query):
    match = re.match(r"\s*\{(.*?)\}(.*)$", query, re.S)
    if not match:
        raise ValueError("parse error: expected a stream selector {label=\"value\"}")
    matchers = [(name, op, json.loads('"%s"' % value)) for name, op, value in MATCHER.findall(match.group(1))]
    filters = [(op, json.loads('"%s"' % value)) for op, value in FILTER.findall(match.group(2))]
    if not matchers:
        raise ValueError("parse error: queries require at least one matcher")
    return matchers, filters


def selected(labels, line, matchers, filters):
    labels = dict(labels)
    for name, op, value in matchers:
        have = labels.get(name, "")
        ok = {"=": have == value, "!=": have != value,
              "=~": re.fullmatch(value, have) is not None, "!~": re.fullmatch(value, have) is None}[op]
        if not ok:
            return False
    for op, value in filters:
        ok = {"|=": value in line, "!=": value not in line,
              "|~": re.search(value, line) is not None, "!~": re.search(value, line) is None}[op]
        if not ok:
            return False
    return True


def timestamp(value, default):
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        return default
    return int(number * 1e9) if number < 1e12 else int(number)


class Handler(BaseHTTPRequestHandler):
    server_version = "aegis-standin-loki/3.0.0"
    config = None

    def log_message(self, *args):  # quiet: promtail would ship our own request log back to us
        pass

    def reply(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        args = {key: values[-1] for key, values in urllib.parse.parse_qs(url.query).items()}
        with LOCK:
            entries = list(ENTRIES)
        if url.path == "/ready":
            return self.reply(200, "ready\n", "text/plain")
        if url.path == "/config":
            return self.reply(200, yaml.safe_dump(self.config["raw"], sort_keys=False), "text/plain; charset=utf-8")
        if url.path == "/metrics":
            return self.reply(200, "# TYPE loki_distributor_lines_received_total counter\n"
                              'loki_distributor_lines_received_total{tenant="fake"} %d\n'
                              "# TYPE loki_compactor_deleted_lines_total counter\nloki_compactor_deleted_lines_total %d\n"
                              '# TYPE loki_build_info gauge\nloki_build_info{version="3.0.0-standin"} 1\n'
                              % (STATS["received"], STATS["deleted"]), "text/plain; version=0.0.4")
        if url.path == "/loki/api/v1/labels":
            names = sorted({name for _stamp, labels, _line in entries for name, _value in labels})
            return self.reply(200, {"status": "success", "data": names})
        label = re.match(r"/loki/api/v1/label/([^/]+)/values$", url.path)
        if label:
            values = sorted({value for _stamp, labels, _line in entries for name, value in labels if name == label.group(1)})
            return self.reply(200, {"status": "success", "data": values})
        if url.path == "/loki/api/v1/query_range":
            try:
                matchers, filters = parse_query(args.get("query", ""))
            except ValueError as error:
                return self.reply(400, str(error), "text/plain")
            now = time.time_ns()
            start, end = timestamp(args.get("start"), now - 3600 * 10**9), timestamp(args.get("end"), now)
            hits = sorted((e for e in entries if start <= e[0] <= end and selected(e[1], e[2], matchers, filters)),
                          key=lambda e: e[0], reverse=args.get("direction", "backward") == "backward")
            streams = {}
            for ns, labels, line in hits[:int(args.get("limit", 100))]:
                streams.setdefault(labels, []).append([str(ns), line])
            result = [{"stream": dict(labels), "values": values} for labels, values in streams.items()]
            return self.reply(200, {"status": "success", "data": {"resultType": "streams", "result": result}})
        return self.reply(404, "404 page not found\n", "text/plain")

    def do_POST(self):
        if urllib.parse.urlparse(self.path).path != "/loki/api/v1/push":
            return self.reply(404, "404 page not found\n", "text/plain")
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            return self.reply(415, "stand-in: only JSON pushes are supported\n", "text/plain")
        try:
            streams = json.loads(body)["streams"]
            rows = [(int(ns), tuple(sorted(s["stream"].items())), line) for s in streams for ns, line in s["values"]]
        except (ValueError, KeyError, TypeError) as error:
            return self.reply(400, "invalid push: %s\n" % error, "text/plain")
        with LOCK:
            for ns, labels, line in rows:
                with open(store_file(self.config, ns), "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"t": ns, "s": dict(labels), "l": line}) + "\n")
            ENTRIES.extend(rows)
            STATS["received"] += len(rows)
        return self.reply(204, b"")


def hold_port(listener):
    while True:
        listener.accept()[0].close()


def main():
    config = load_config(sys.argv[1:])
    load_entries(config)
    Handler.config = config
    server = ThreadingHTTPServer(("", config["http"]), Handler)
    # Bind the gRPC port as Loki does, so a clash with another container of the pod shows.
    threading.Thread(target=hold_port, args=(socket.create_server(("", config["grpc"])),), daemon=True).start()
    threading.Thread(target=apply_retention, args=(config,), daemon=True).start()
    print("aegis stand-in for Loki 3.0: http :%d grpc :%d retention %ss" % (config["http"], config["grpc"], config["retention"]),
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
