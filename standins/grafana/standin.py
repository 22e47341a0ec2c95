#!/usr/bin/python3
"""STAND-IN for Grafana 10.4 (not Grafana): see README.md next to this file.

Reads grafana.ini (GF_PATHS_CONFIG; $__file{} and $__env{} expanded), loads the provisioned datasources and
dashboard providers (GF_PATHS_PROVISIONING; a broken file stops start-up as it does in Grafana), keeps the
admin password chosen at first start and saved dashboards in GF_PATHS_DATA, and answers /api/health, /metrics,
/api/search, /api/dashboards/uid/<uid>, /api/frontend/settings, /api/datasources (org admins only) and
POST /api/dashboards/db (editors and admins). Requests without credentials are served as the anonymous
org_role only when [auth.anonymous] enabled = true; otherwise they get 401.
"""
import base64
import configparser
import glob
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

VERSION = "10.4.0"
RANKS = {"Viewer": 1, "Editor": 2, "Admin": 3}
LOCK = threading.Lock()


def fail(message):
    sys.exit("logger=provisioning level=error msg=\"Failed to provision\" error=\"%s\"" % message)


def expand(value):
    def file_value(match):
        with open(match.group(1), encoding="utf-8") as handle:
            return handle.read().strip()
    value = re.sub(r"\$__file\{([^}]*)\}", file_value, value)
    return re.sub(r"\$__env\{([^}]*)\}", lambda m: os.environ.get(m.group(1), ""), value)


def load_settings():
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    path = os.environ.get("GF_PATHS_CONFIG", "/etc/grafana/grafana.ini")
    if not parser.read(path):
        fail("cannot read config file %s" % path)

    def get(section, key, default):
        return expand(parser.get(section, key, fallback=default))
    return {
        "port": int(get("server", "http_port", "3000")),
        "admin_user": get("security", "admin_user", "admin"),
        "admin_password": get("security", "admin_password", "admin"),
        "anonymous": get("auth.anonymous", "enabled", "false").lower() == "true",
        "anonymous_role": get("auth.anonymous", "org_role", "Viewer"),
    }


def read_yaml_dir(directory):
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml")) + glob.glob(os.path.join(directory, "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            try:
                yield path, yaml.safe_load(handle) or {}
            except yaml.YAMLError as error:
                fail("%s: %s" % (path, error))


def load_provisioning(root):
    datasources, dashboards = [], {}
    for path, doc in read_yaml_dir(os.path.join(root, "datasources")):
        for item in doc.get("datasources") or []:
            if not item.get("name") or not item.get("type"):
                fail("%s: every datasource needs a name and a type" % path)
            datasources.append(dict(item, id=len(datasources) + 1, uid=item.get("uid") or item["name"].lower()))
    if sum(1 for item in datasources if item.get("isDefault")) > 1:
        fail("datasource.yaml config is invalid. Only one datasource per organization can be marked as default")
    for path, doc in read_yaml_dir(os.path.join(root, "dashboards")):
        for provider in doc.get("providers") or []:
            folder = (provider.get("options") or {}).get("path")
            if not folder or not os.path.isdir(folder):
                fail("%s: provider %s: options.path %s is not a directory" % (path, provider.get("name"), folder))
            for name in sorted(glob.glob(os.path.join(folder, "**", "*.json"), recursive=True)):
                with open(name, encoding="utf-8") as handle:
                    try:
                        board = json.load(handle)
                    except ValueError as error:
                        fail("dashboard %s is not valid JSON: %s" % (name, error))
                if not board.get("title"):
                    fail("dashboard %s has no title" % name)
                board.setdefault("uid", hashlib.sha1(name.encode()).hexdigest()[:9])
                dashboards[board["uid"]] = {"dashboard": board, "folder": provider.get("folder", ""), "provisioned": True}
    return datasources, dashboards


class State:
    """What Grafana keeps in its database: the admin login fixed at first start, and saved dashboards."""

    def __init__(self, settings):
        self.path = os.path.join(os.environ.get("GF_PATHS_DATA", "/var/lib/grafana"), "standin-grafana.json")
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as handle:
                self.data = json.load(handle)
        else:
            salt = secrets.token_hex(8)
            self.data = {"admin": {"login": settings["admin_user"], "salt": salt,
                                   "hash": self.hash(settings["admin_password"], salt)}, "dashboards": {}}
            self.save()

    @staticmethod
    def hash(password, salt):
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 10000).hex()

    def check(self, login, password):
        admin = self.data["admin"]
        return login == admin["login"] and hmac.compare_digest(self.hash(password, admin["salt"]), admin["hash"])

    def save(self):
        with open(self.path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(self.data, handle)
        os.replace(self.path + ".tmp", self.path)


class Handler(BaseHTTPRequestHandler):
    server_version = "aegis-standin-grafana/" + VERSION
    settings = datasources = dashboards = state = None

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def role(self):
        """Org role of the caller, or None after a 401 reply."""
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            login, _sep, password = base64.b64decode(header[6:]).decode("utf-8", "replace").partition(":")
            if self.state.check(login, password):
                return "Admin"
            self.reply(401, {"message": "Invalid username or password"})
            return None
        if self.settings["anonymous"]:
            return self.settings["anonymous_role"]
        self.reply(401, {"message": "Unauthorized"})
        return None

    def all_dashboards(self):
        saved = {uid: {"dashboard": board, "folder": "", "provisioned": False}
                 for uid, board in self.state.data["dashboards"].items()}
        return dict(saved, **self.dashboards)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/api/health":
            return self.reply(200, {"commit": "aegis-standin", "database": "ok", "version": VERSION})
        if url.path == "/metrics":
            return self.reply(200, '# TYPE grafana_build_info gauge\ngrafana_build_info{version="%s",edition="standin"} 1\n'
                              "# TYPE grafana_stat_totals_dashboard gauge\ngrafana_stat_totals_dashboard %d\n"
                              % (VERSION, len(self.all_dashboards())), "text/plain; version=0.0.4")
        role = self.role()
        if role is None:
            return None
        if url.path == "/api/search":
            query = urllib.parse.parse_qs(url.query).get("query", [""])[0].lower()
            found = [{"id": number, "uid": uid, "title": item["dashboard"]["title"], "type": "dash-db",
                      "url": "/d/%s" % uid, "tags": item["dashboard"].get("tags", []), "folderTitle": item["folder"]}
                     for number, (uid, item) in enumerate(sorted(self.all_dashboards().items()), 1)
                     if query in item["dashboard"]["title"].lower()]
            return self.reply(200, found)
        board = re.match(r"/api/dashboards/uid/([^/]+)$", url.path)
        if board:
            item = self.all_dashboards().get(board.group(1))
            if not item:
                return self.reply(404, {"message": "Dashboard not found"})
            meta = {"provisioned": item["provisioned"], "canSave": role != "Viewer"}
            return self.reply(200, {"dashboard": item["dashboard"], "meta": meta})
        if url.path == "/api/frontend/settings":
            datasources = {d["name"]: {"name": d["name"], "type": d["type"], "uid": d["uid"], "isDefault": bool(d.get("isDefault"))}
                           for d in self.datasources}
            return self.reply(200, {"anonymousEnabled": self.settings["anonymous"], "buildInfo": {"version": VERSION},
                                    "datasources": datasources})
        if url.path == "/api/datasources":
            if RANKS.get(role, 0) < RANKS["Admin"]:
                return self.reply(403, {"message": "You'll need additional permissions to perform this action. "
                                        "Permissions needed: datasources:read"})
            return self.reply(200, [{"id": d["id"], "uid": d["uid"], "orgId": 1, "name": d["name"], "type": d["type"],
                                     "access": d.get("access", "proxy"), "url": d.get("url", ""),
                                     "isDefault": bool(d.get("isDefault")), "readOnly": True} for d in self.datasources])
        return self.reply(404, {"message": "Not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if urllib.parse.urlparse(self.path).path != "/api/dashboards/db":
            return self.reply(404, {"message": "Not found"})
        role = self.role()
        if role is None:
            return None
        if RANKS.get(role, 0) < RANKS["Editor"]:
            return self.reply(403, {"message": "Access denied to save dashboard"})
        try:
            board = json.loads(body)["dashboard"]
            title = board["title"]
        except (ValueError, KeyError, TypeError):
            return self.reply(400, {"message": "bad request data"})
        uid = board.get("uid") or secrets.token_hex(5)
        if uid in self.dashboards:
            return self.reply(400, {"message": "Cannot save provisioned dashboard"})
        with LOCK:
            self.state.data["dashboards"][uid] = dict(board, uid=uid, title=title)
            self.state.save()
        return self.reply(200, {"status": "success", "uid": uid, "url": "/d/%s" % uid, "version": 1})


def main():
    settings = load_settings()
    if settings["anonymous_role"] not in RANKS:
        fail("[auth.anonymous] org_role must be one of %s" % ", ".join(RANKS))
    Handler.settings = settings
    provisioning = os.environ.get("GF_PATHS_PROVISIONING", "/etc/grafana/provisioning")
    Handler.datasources, Handler.dashboards = load_provisioning(provisioning)
    Handler.state = State(settings)
    server = ThreadingHTTPServer(("", settings["port"]), Handler)
    print("aegis stand-in for Grafana %s: :%d, %d datasources, %d dashboards, anonymous %s" % (
        VERSION, settings["port"], len(Handler.datasources), len(Handler.dashboards),
        settings["anonymous_role"] if settings["anonymous"] else "off"), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
