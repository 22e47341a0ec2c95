"""Persistence for the emulator: one JSON document behind a two-method interface.

The whole emulated server state (realms, keys, clients, users, ...) is a single JSON-serialisable ``dict``.
A backend only has to load and save that document, so a PostgreSQL backend (one row holding a JSONB column,
written in one transaction per save) fits the same interface as the in-memory and JSON-file ones here.
"""

from __future__ import annotations

import json
import os
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


def storage_from_spec(state_file: Optional[str]) -> Storage:
    """``None`` -> in memory; a path -> JSON file."""
    if not state_file:
        return MemoryStorage()
    return JsonFileStorage(state_file)
