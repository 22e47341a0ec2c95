"""keycloak_realm's side of the admin API: the snapshot it reads, the writes it makes, the secrets it hands on -
against a fake KeycloakClient that records calls (no server)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from realm_samples import REALM, full, keycloak_state

from ansible_collections.aegis.platform.plugins.module_utils import keycloak_realm_client as realm_client
from ansible_collections.aegis.platform.plugins.module_utils.keycloak import admin_path


class FakeKeycloak:
    """Answers reads from a snapshot; records every call."""

    def __init__(self, state: Dict[str, Any]) -> None:
        self.state = state
        self.calls: List[Tuple[str, str]] = []

    def _list(self, path: str) -> Optional[Any]:
        base = admin_path(REALM)
        if path == base:
            return self.state["realm"]
        for kind, segment in (("roles", "roles"), ("client_scopes", "client-scopes"), ("clients", "clients"),
                              ("users", "users")):
            if path == base + "/" + segment:
                return self.state[kind]
        for role, members in self.state["role_members"].items():
            if path == admin_path(REALM, "roles", role, "users"):
                return [{"username": m} for m in members]
        if path.endswith("/client-secret"):
            return {"value": "read-one-by-one"}
        raise AssertionError("unexpected read " + path)

    def get(self, path: str, query: Any = None, missing_ok: bool = False) -> Any:
        self.calls.append(("GET", path))
        return self._list(path)

    def get_all(self, path: str, query: Any = None) -> Any:
        self.calls.append(("GET", path))
        return self._list(path)

    def create(self, path: str, body: Any) -> str:
        self.calls.append(("POST", path))
        return "new-id"

    def put(self, path: str, body: Any) -> None:
        self.calls.append(("PUT", path))

    def delete(self, path: str, body: Any = None) -> None:
        self.calls.append(("DELETE", path))

    def call(self, method: str, path: str, body: Any = None) -> None:
        self.calls.append((method, path))

    def writes(self) -> List[Tuple[str, str]]:
        return [c for c in self.calls if c[0] != "GET"]


def test_converged_realm_reads_and_writes_nothing() -> None:
    api = FakeKeycloak(keycloak_state())
    done: List[str] = []
    result = realm_client.converge(api, full(), done)  # type: ignore[arg-type]
    assert result["changed"] is False and result["changes"] == [] and api.writes() == []
    # listed secrets are used; masked ones are read one by one
    assert result["client_secrets"] == {"aegis-orchestrator": "orch-secret",
                                        "aegis-temporal-worker": "read-one-by-one"}


def test_check_mode_plans_without_writing_and_diff_is_only_on_request() -> None:
    description = full()
    description["clients"][0]["description"] = "new"
    api = FakeKeycloak(keycloak_state())
    result = realm_client.converge(api, description, [], check_mode=True)  # type: ignore[arg-type]
    assert result["changed"] is True and api.writes() == [] and "diff" not in result
    assert result["changes"] == ["update client aegis-orchestrator: description: None -> 'new'"]
    with_diff = realm_client.converge(api, description, [], check_mode=True, diff=True)  # type: ignore[arg-type]
    assert with_diff["diff"]["after"]["clients"]["aegis-orchestrator"]["description"] == "new"


def test_a_write_is_made_and_recorded_as_done() -> None:
    description = full()
    description["clients"][0]["description"] = "new"
    api = FakeKeycloak(keycloak_state())
    done: List[str] = []
    result = realm_client.converge(api, description, done)  # type: ignore[arg-type]
    assert api.writes() == [("PUT", admin_path(REALM, "clients", "c-orch"))]
    assert result["changes"] == done == ["update client aegis-orchestrator: description: None -> 'new'"]


def test_secret_helpers() -> None:
    assert realm_client.known_secret({"secret": "**********"}) is None
    assert realm_client.known_secret({"secret": "abc"}) == "abc"
    assert [c["client_id"] for c in realm_client.confidential_clients(full())] == ["aegis-orchestrator",
                                                                                   "aegis-temporal-worker"]
