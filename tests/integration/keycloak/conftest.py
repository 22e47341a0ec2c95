"""Fixtures: one real Keycloak 24 per test session, behind a recording proxy; fresh or holding aegis-system."""

from __future__ import annotations

import pathlib
import sys
from typing import Iterator

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from kc_server import Keycloak, RecordingProxy  # noqa: E402
from kc_support import ADMIN_PASSWORD, ADMIN_USER, ModuleRunner, Server, full_args  # noqa: E402

REALM = "aegis-system"


@pytest.fixture(scope="session")
def keycloak_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    keycloak = Keycloak(ADMIN_USER, ADMIN_PASSWORD, tmp_path_factory.mktemp("keycloak"))
    proxy = RecordingProxy(keycloak.url)
    print("\nKeycloak %s answered after %.1f s" % (keycloak.url, keycloak.start_seconds))
    try:
        yield Server(keycloak, proxy)
    finally:
        proxy.stop()
        keycloak.stop()


@pytest.fixture
def run_module(tmp_path: pathlib.Path) -> ModuleRunner:
    return ModuleRunner(tmp_path)


@pytest.fixture
def kc(keycloak_server: Server) -> Server:
    """A server without the aegis-system realm (only master)."""
    keycloak_server.drop_realm(REALM)
    keycloak_server.clear_requests()
    return keycloak_server


@pytest.fixture
def aegis(kc: Server, tmp_path_factory: pytest.TempPathFactory) -> Server:
    """A server holding the aegis-system realm as the module's first run created it (``created``: that run's
    result, requests, writes and output)."""
    runner = ModuleRunner(tmp_path_factory.mktemp("aegis-create"))
    result = runner(full_args(kc))
    assert not result.get("failed"), result.get("msg")
    kc.created = {"result": result, "requests": kc.requests(), "writes": kc.writes(), "stdout": runner.last_stdout}
    kc.clear_requests()
    return kc
