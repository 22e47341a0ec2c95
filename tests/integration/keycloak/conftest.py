"""Fixtures: a Keycloak 24 emulator on 127.0.0.1 (free port), fresh or holding the aegis-system realm."""

from __future__ import annotations

import pathlib
import sys
from typing import Any, Dict, Iterator

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from kc_support import ADMIN_PASSWORD, ADMIN_USER, Emu, ModuleRunner, auth_args, start_in_thread  # noqa: E402

import aegis_system  # noqa: E402


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emu]:
    running = start_in_thread(admin_user=ADMIN_USER, admin_password=ADMIN_PASSWORD)
    try:
        yield Emu(running)
    finally:
        running.stop()


@pytest.fixture(scope="session")
def pristine_state(emulator_server: Emu) -> Dict[str, Any]:
    return emulator_server.save_state()


@pytest.fixture
def emu(emulator_server: Emu, pristine_state: Dict[str, Any]) -> Emu:
    """A fresh server: only the master realm."""
    emulator_server.restore_state(pristine_state)
    return emulator_server


@pytest.fixture
def run_module(tmp_path: pathlib.Path) -> ModuleRunner:
    return ModuleRunner(tmp_path)


@pytest.fixture(scope="session")
def aegis_created(emulator_server: Emu, pristine_state: Dict[str, Any],
                  tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """The full aegis-system realm created once by the module: the first run's result, requests and state."""
    emulator_server.restore_state(pristine_state)
    runner = ModuleRunner(tmp_path_factory.mktemp("aegis-create"))
    args = dict(auth_args(emulator_server), **aegis_system.description())
    result = runner(args)
    return {"result": result, "requests": emulator_server.requests(), "writes": emulator_server.writes(),
            "state": emulator_server.save_state(), "stdout": runner.last_stdout}


@pytest.fixture
def aegis(emulator_server: Emu, aegis_created: Dict[str, Any]) -> Emu:
    """A server holding the aegis-system realm as the module created it."""
    emulator_server.restore_state(aegis_created["state"])
    return emulator_server
