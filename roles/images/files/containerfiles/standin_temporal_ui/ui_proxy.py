"""Stand-in for temporalio/ui: forwards HTTP on UI_PORT (8080) to the dev server's built-in real UI.

Environment: UI_PORT (default 8080), TEMPORAL_UI_UPSTREAM (default http://127.0.0.1:8081).
GET /healthz answers 200 itself only when the upstream UI answers, so the health check tells the truth.
"""
import http.server
import os
import signal
import sys
import urllib.error
import urllib.request

UPSTREAM = os.environ.get("TEMPORAL_UI_UPSTREAM", "http://127.0.0.1:8081").rstrip("/")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate",
              "proxy-authorization", "content-length", "host"}


class Proxy(http.server.BaseHTTPRequestHandler):
    def forward(self):
        path = "/" if self.path == "/healthz" else self.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        request = urllib.request.Request(UPSTREAM + path, data=body, method=self.command,
                                         headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, payload = response.status, response.headers.items(), response.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, error.headers.items(), error.read()
        except OSError as error:
            status, headers, payload = 502, [("Content-Type", "text/plain")], ("upstream UI unreachable: %s\n" % error).encode()
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = forward


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("UI_PORT", "8080"))), Proxy)
    server.serve_forever()


if __name__ == "__main__":
    main()
