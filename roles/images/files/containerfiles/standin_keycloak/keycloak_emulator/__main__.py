"""``python -m keycloak_emulator``: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import List, Optional

from .server import Emulator, make_server
from .storage import storage_from_spec


def _env(*names: str) -> Optional[str]:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m keycloak_emulator",
        description="Keycloak 24 Admin REST API emulator (a test stand-in, not Keycloak).")
    parser.add_argument("--host", default=os.environ.get("KC_HTTP_HOST", "127.0.0.1"),
                        help="address to listen on (default 127.0.0.1; env KC_HTTP_HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("KC_HTTP_PORT", "8080")),
                        help="port (default 8080; env KC_HTTP_PORT, as Keycloak)")
    parser.add_argument("--state-file", default=os.environ.get("KC_EMULATOR_STATE_FILE"),
                        help="JSON file that keeps the state across restarts (default: in memory)")
    parser.add_argument("--admin-user", default=_env("KEYCLOAK_ADMIN", "KC_BOOTSTRAP_ADMIN_USERNAME") or "admin",
                        help="bootstrap admin of the master realm (env KEYCLOAK_ADMIN)")
    parser.add_argument("--admin-password-file",
                        help="file holding the bootstrap admin password (else env KEYCLOAK_ADMIN_PASSWORD)")
    parser.add_argument("--hostname-url", default=os.environ.get("KC_HOSTNAME_URL"),
                        help="fixed base URL for issuer/discovery (default: from the request's Host header)")
    parser.add_argument("--token-lifespan", type=int, default=None,
                        help="access token lifetime in seconds for every realm (default: realm setting)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    password = _env("KEYCLOAK_ADMIN_PASSWORD", "KC_BOOTSTRAP_ADMIN_PASSWORD")
    if args.admin_password_file:
        with open(args.admin_password_file, encoding="utf-8") as handle:
            password = handle.read().strip()
    storage = storage_from_spec(args.state_file)
    if storage.load() is None and not password:
        parser.error("no saved state: set KEYCLOAK_ADMIN_PASSWORD or --admin-password-file for the bootstrap admin")
    emulator = Emulator(storage, args.admin_user, password or "", args.token_lifespan, args.hostname_url)
    server = make_server(emulator, args.host, args.port, verbose=args.verbose)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print("keycloak-emulator (Keycloak 24 API stand-in) listening on http://%s:%s" % server.server_address[:2],
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
