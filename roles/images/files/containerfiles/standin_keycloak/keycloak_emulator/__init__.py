"""An emulator of the Keycloak 24 Admin REST API, for tests and for a local stand-in image.

This is NOT Keycloak. It answers the subset of Keycloak 24's HTTP API that ``aegis.platform.keycloak_realm``
uses (and what an OIDC relying party such as OpenBao reads), with the representations, defaults, status codes
and quirks of Keycloak 24 as found in Keycloak's source. Everything else answers 404. See README.md for the
endpoint list and the known differences.

Use from Python::

    from keycloak_emulator import start_in_thread
    with start_in_thread(admin_user="admin", admin_password="pw") as kc:
        print(kc.url)                                   # http://127.0.0.1:<free port>

or as a server: ``python -m keycloak_emulator --port 8180 --state-file /data/keycloak.json``.
"""

from .model import ApiError, Keycloak
from .server import Emulator, RunningEmulator, make_server, start_in_thread
from .storage import JsonFileStorage, MemoryStorage, Storage, storage_from_spec

__all__ = ["ApiError", "Emulator", "JsonFileStorage", "Keycloak", "MemoryStorage", "RunningEmulator", "Storage",
           "make_server", "start_in_thread", "storage_from_spec"]
