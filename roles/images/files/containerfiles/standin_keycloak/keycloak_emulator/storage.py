"""Persistence for the emulator: one JSON document behind a two-method interface.

The whole emulated server state (realms, keys, clients, users, ...) is a single JSON-serialisable ``dict``.
A backend only has to load and save that document, so a PostgreSQL backend (one row holding a JSONB column,
written in one transaction per save) fits the same interface as the in-memory and JSON-file ones here.
"""

from __future__ import annotations

import json
import os
import re
import time
import tempfile
from typing import Any, Dict, Optional, Protocol

State = Dict[str, Any]


class Storage(Protocol):
    """What the emulator needs from a persistence backend."""

    def load(self) -> Optional[State]:
        """Return the saved state, or None when nothing was saved yet."""

    def save(self, state: State) -> None:
        """Persist the whole state (called after every successful write request)."""


class MemoryStorage:
    """Keeps nothing: state lives as long as the process."""

    def __init__(self) -> None:
        self._state: Optional[State] = None

    def load(self) -> Optional[State]:
        return self._state

    def save(self, state: State) -> None:
        self._state = state


class JsonFileStorage:
    """State in one JSON file, replaced atomically, mode 0600 (it holds password hashes and private keys)."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)

    def load(self) -> Optional[State]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None

    def save(self, state: State) -> None:
        directory = os.path.dirname(self.path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".kc-emulator-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


class PostgresStorage:
    """State as one JSON document in a table of Keycloak's own database, as Keycloak keeps its realms there.

    Configured like Keycloak: ``KC_DB_URL`` (jdbc:postgresql://host:port/db), ``KC_DB_USERNAME``,
    ``KC_DB_PASSWORD``. Needs psycopg2 (Debian python3-psycopg2 in the stand-in image).
    """

    TABLE = "kc_emulator_state"

    def __init__(self, jdbc_url: str, user: str, password: str, wait_seconds: float = 120.0) -> None:
        match = re.match(r"^jdbc:postgresql://([^/:]+)(?::(\d+))?/([^?]+)", jdbc_url or "")
        if not match:
            raise ValueError("KC_DB_URL must look like jdbc:postgresql://host:port/database, got %r" % jdbc_url)
        self.params = dict(host=match.group(1), port=int(match.group(2) or 5432), dbname=match.group(3),
                           user=user, password=password, connect_timeout=5)
        self.wait_seconds = wait_seconds

    def _connect(self):
        import psycopg2  # pylint: disable=import-outside-toplevel

        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                conn = psycopg2.connect(**self.params)
                conn.autocommit = True
                return conn
            except psycopg2.OperationalError as error:
                # The database pod may start after us (pods start in any order); keep trying for a while.
                if time.monotonic() > deadline:
                    raise RuntimeError("cannot reach the Keycloak database at %(host)s:%(port)s/%(dbname)s: %%s"
                                       % self.params % str(error).strip().splitlines()[0]) from None
                time.sleep(2)

    def load(self) -> Optional[State]:
        with self._connect() as conn, conn.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS %s (id int PRIMARY KEY, state text NOT NULL)" % self.TABLE)
            cursor.execute("SELECT state FROM %s WHERE id = 1" % self.TABLE)
            row = cursor.fetchone()
        return json.loads(row[0]) if row else None

    def save(self, state: State) -> None:
        with self._connect() as conn, conn.cursor() as cursor:
            cursor.execute("INSERT INTO %s (id, state) VALUES (1, %%s) ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state"
                           % self.TABLE, (json.dumps(state, sort_keys=True),))


def storage_from_spec(state_file: Optional[str]) -> Storage:
    """A path -> JSON file; else Keycloak's database settings (KC_DB=postgres) -> PostgreSQL; else in memory."""
    if state_file:
        return JsonFileStorage(state_file)
    if os.environ.get("KC_DB") == "postgres":
        return PostgresStorage(os.environ.get("KC_DB_URL", ""), os.environ.get("KC_DB_USERNAME", ""),
                               os.environ.get("KC_DB_PASSWORD", ""))
    return MemoryStorage()
