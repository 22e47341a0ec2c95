#!/usr/bin/python3
"""STAND-IN for Jaeger all-in-one 1.55 (not Jaeger): see README.md next to this file.

Takes the all-in-one's flags for its listen addresses (an unknown flag is an error, as in Jaeger), serves the
query UI (`/`, `/api/services`, `/api/traces?service=`), the admin port (health at `/`, `/metrics`), OTLP over
HTTP (POST /v1/traces; JSON bodies are read for service names and span counts, protobuf bodies are counted)
and accepts TCP connections on the OTLP gRPC port and Jaeger's other fixed ports (no gRPC is spoken).
Spans are kept in memory, like the all-in-one's default memory storage.
"""
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FLAGS = {"query.http-server.host-port": ":16686", "collector.otlp.grpc.host-port": ":4317",
         "collector.otlp.http.host-port": ":4318", "admin.http.host-port": ":14269", "collector.otlp.enabled": "true"}
# Ports the all-in-one binds without a flag here: agent configs, collector gRPC/HTTP, query gRPC.
FIXED_PORTS = [5778, 14250, 14268, 16685]
STARTED = time.time()
LOCK = threading.Lock()
TRACES = {}  # service -> {trace id: [span names]}
STATS = {"spans": 0, "otlp_requests": 0}


def parse_flags(argv):
    values = {flag: os.environ.get(flag.upper().replace(".", "_").replace("-", "_"), default) for flag, default in FLAGS.items()}
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, _sep, value = arg.lstrip("-").partition("=")
        if not arg.startswith("--") or name not in FLAGS:
            sys.exit("Error: unknown flag: %s (stand-in knows %s)" % (arg, ", ".join("--" + f for f in FLAGS)))
        values[name] = value if value else ("true" if name == "collector.otlp.enabled" else args.pop(0))
    return values


def port(host_port):
    return int(host_port.rsplit(":", 1)[1])


def record(body):
    """Service names, trace ids and span names of an OTLP/JSON ExportTraceServiceRequest."""
    count = 0
    for resource in body.get("resourceSpans") or []:
        attributes = {a.get("key"): a.get("value", {}).get("stringValue")
                      for a in (resource.get("resource") or {}).get("attributes") or []}
        service = attributes.get("service.name") or "unknown_service"
        for scope in resource.get("scopeSpans") or []:
            for span in scope.get("spans") or []:
                with LOCK:
                    TRACES.setdefault(service, {}).setdefault(span.get("traceId", ""), []).append(span.get("name", ""))
                count += 1
    return count


class Handler(BaseHTTPRequestHandler):
    server_version = "aegis-standin-jaeger/1.55"

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        role, url = self.server.role, urllib.parse.urlparse(self.path)
        if role == "admin" and url.path == "/":
            since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(STARTED))
            return self.reply(200, {"status": "Server available", "upSince": since, "uptime": "%ds" % (time.time() - STARTED)})
        if role == "admin" and url.path == "/metrics":
            return self.reply(200, "# TYPE jaeger_collector_spans_received_total counter\n"
                              "jaeger_collector_spans_received_total %d\n"
                              "# TYPE jaeger_collector_otlp_requests_total counter\n"
                              "jaeger_collector_otlp_requests_total %d\n"
                              % (STATS["spans"], STATS["otlp_requests"]), "text/plain; version=0.0.4")
        if role == "query" and url.path == "/":
            return self.reply(200, "<!doctype html><title>Jaeger UI (aegis stand-in)</title><h1>stand-in</h1>", "text/html")
        if role == "query" and url.path == "/api/services":
            with LOCK:
                services = sorted(TRACES)
            return self.reply(200, {"data": services, "total": len(services), "limit": 0, "offset": 0, "errors": None})
        if role == "query" and url.path == "/api/traces":
            service = urllib.parse.parse_qs(url.query).get("service", [""])[0]
            with LOCK:
                traces = [{"traceID": tid, "spans": [{"traceID": tid, "operationName": name} for name in names]}
                          for tid, names in TRACES.get(service, {}).items()]
            return self.reply(200, {"data": traces, "total": len(traces), "limit": 0, "offset": 0, "errors": None})
        return self.reply(404, "404 page not found\n", "text/plain")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.role != "otlp" or self.path != "/v1/traces":
            return self.reply(404, "404 page not found\n", "text/plain")
        STATS["otlp_requests"] += 1
        if self.headers.get("Content-Type", "").startswith("application/json"):
            try:
                STATS["spans"] += record(json.loads(body))
            except (ValueError, AttributeError) as error:
                return self.reply(400, {"code": 3, "message": "invalid OTLP/JSON: %s" % error})
            return self.reply(200, {"partialSuccess": {}})
        self.send_response(200)  # protobuf: accepted and counted, not decoded
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(role, listen_port):
    server = ThreadingHTTPServer(("", listen_port), Handler)
    server.role = role
    threading.Thread(target=server.serve_forever, daemon=True).start()


def hold(listener):
    while True:
        connection = listener.accept()[0]
        connection.settimeout(5)
        try:
            connection.recv(1024)  # the HTTP/2 preface of a gRPC client; no gRPC is spoken back
        except OSError:
            pass
        connection.close()


def main():
    flags = parse_flags(sys.argv[1:])
    serve("admin", port(flags["admin.http.host-port"]))
    serve("query", port(flags["query.http-server.host-port"]))
    tcp = FIXED_PORTS[:]
    if flags["collector.otlp.enabled"] == "true":
        serve("otlp", port(flags["collector.otlp.http.host-port"]))
        tcp.append(port(flags["collector.otlp.grpc.host-port"]))
    for number in tcp:
        threading.Thread(target=hold, args=(socket.create_server(("", number)),), daemon=True).start()
    print("aegis stand-in for Jaeger all-in-one 1.55: %s" % json.dumps(flags), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
