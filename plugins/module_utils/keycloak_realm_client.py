# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The realm's side of the Keycloak Admin REST API for ``aegis.platform.keycloak_realm``: read a snapshot with list
endpoints, carry out planned actions, collect the confidential clients' secrets, and ``converge()`` (read, plan,
write). HTTP, login and request counts are ``KeycloakClient``'s (module_utils/keycloak.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.aegis.platform.plugins.module_utils.keycloak import KeycloakClient, admin_path, path_of
from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_planner import (
    end_state,
    plan,
    role_universe,
)
from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_schema import entries, is_present

KEYCLOAK_MASK = "**********"  # what Keycloak itself shows for a hidden secret


# ------------------------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------------------------
def read_snapshot(api: KeycloakClient, description: Mapping[str, Any]) -> Dict[str, Any]:
    """Current state with list endpoints: a fixed number of reads per object type, one per relevant role."""
    realm = description["realm"]
    snapshot: Dict[str, Any] = {"realm": api.get(admin_path(realm), missing_ok=True), "roles": [],
                                "client_scopes": [], "clients": [], "users": [], "role_members": {}}
    if snapshot["realm"] is None or description.get("state") == "absent":
        return snapshot
    purge = bool(description.get("purge"))
    clients = description.get("clients") or []
    universe = role_universe(description)
    if purge or description.get("roles") or universe:
        snapshot["roles"] = api.get(admin_path(realm, "roles")) or []
    if purge or description.get("client_scopes") or any(
            c.get("default_client_scopes") is not None or c.get("optional_client_scopes") is not None
            for c in clients):
        snapshot["client_scopes"] = api.get(admin_path(realm, "client-scopes")) or []
    if purge or clients:
        snapshot["clients"] = api.get(admin_path(realm, "clients")) or []
    if purge or description.get("users"):
        snapshot["users"] = api.get_all(admin_path(realm, "users"), {"briefRepresentation": "false"})
    existing_roles = {r["name"] for r in snapshot["roles"]}
    for role in sorted(universe & existing_roles):
        members = api.get_all(admin_path(realm, "roles", role, "users"), {"briefRepresentation": "true"})
        snapshot["role_members"][role] = [m["username"] for m in members]
    return snapshot


# ------------------------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------------------------
class Executor:
    """Carries out planned actions, resolving ids of objects created on the way."""

    def __init__(self, api: KeycloakClient, realm: str, snapshot: Mapping[str, Any], done: List[str]) -> None:
        self.api = api
        self.realm = realm
        self.secrets: Dict[str, str] = {}
        self.done = done
        self.load(snapshot)

    def load(self, snapshot: Mapping[str, Any]) -> None:
        """Ids of the objects in a snapshot (again after the realm was created)."""
        self.scope_ids = {s["name"]: s.get("id") for s in snapshot.get("client_scopes") or []}
        self.client_ids = {c["clientId"]: c.get("id") for c in snapshot.get("clients") or []}
        self.user_ids = {u["username"]: u.get("id") for u in snapshot.get("users") or []}
        self.role_ids = {r["name"]: r.get("id") for r in snapshot.get("roles") or []}

    def path(self, *segments: str) -> str:
        return admin_path(self.realm, *segments)

    def run(self, actions: List[Dict[str, Any]]) -> None:
        for action in actions:
            getattr(self, "do_" + action["op"])(action)
            self.done.append(action["summary"])

    # realm
    def do_create_realm(self, action: Dict[str, Any]) -> None:
        self.api.create(path_of("admin", "realms"), action["body"])

    def do_update_realm(self, action: Dict[str, Any]) -> None:
        self.api.put(self.path(), action["body"])

    def do_delete_realm(self, action: Dict[str, Any]) -> None:
        self.api.delete(self.path())

    # roles
    def do_create_role(self, action: Dict[str, Any]) -> None:
        self.api.create(self.path("roles"), action["body"])
        self.role_ids.pop(action["name"], None)  # the Location names the role; its id is read when needed

    def do_update_role(self, action: Dict[str, Any]) -> None:
        self.api.put(self.path("roles", action["name"]), action["body"])

    def do_delete_role(self, action: Dict[str, Any]) -> None:
        self.api.delete(self.path("roles", action["name"]))

    # client scopes
    def do_create_scope(self, action: Dict[str, Any]) -> None:
        self.scope_ids[action["name"]] = self.api.create(self.path("client-scopes"), action["body"])

    def do_update_scope(self, action: Dict[str, Any]) -> None:
        self.api.put(self.path("client-scopes", action["id"]), action["body"])

    def do_delete_scope(self, action: Dict[str, Any]) -> None:
        self.api.delete(self.path("client-scopes", action["id"]))

    # protocol mappers
    def _mapper_base(self, action: Dict[str, Any]) -> str:
        owner_id = action.get("owner_id")
        if owner_id is None:
            ids = self.client_ids if action["owner"] == "clients" else self.scope_ids
            owner_id = ids[action["owner_name"]]
        return self.path(action["owner"], owner_id, "protocol-mappers", "models")

    def do_create_mapper(self, action: Dict[str, Any]) -> None:
        self.api.create(self._mapper_base(action), action["body"])

    def do_update_mapper(self, action: Dict[str, Any]) -> None:
        self.api.put(self._mapper_base(action) + path_of(action["id"]), action["body"])

    def do_delete_mapper(self, action: Dict[str, Any]) -> None:
        self.api.delete(self._mapper_base(action) + path_of(action["id"]))

    # clients
    def do_create_client(self, action: Dict[str, Any]) -> None:
        body = dict(action["body"])
        for kind in action.get("fill_scopes") or []:
            # Keycloak links only the lists sent: fill the one not described with the realm's defaults
            linked = self.api.get(self.path("default-%s-client-scopes" % kind)) or []
            body["%sClientScopes" % kind] = [s["name"] for s in linked]
        client_id = action["client_id"]
        internal_id = self.api.create(self.path("clients"), body)
        self.client_ids[client_id] = internal_id
        if not body.get("publicClient"):
            if body.get("secret"):
                self.secrets[client_id] = body["secret"]
            else:
                self.secrets[client_id] = self.read_secret(internal_id)

    def read_secret(self, internal_id: Optional[str]) -> str:
        return (self.api.get(self.path("clients", internal_id, "client-secret")) or {}).get("value")

    def do_update_client(self, action: Dict[str, Any]) -> None:
        self.api.put(self.path("clients", action["id"]), action["body"])
        if action["body"].get("secret"):
            self.secrets[action["client_id"]] = action["body"]["secret"]

    def do_delete_client(self, action: Dict[str, Any]) -> None:
        self.api.delete(self.path("clients", action["id"]))

    def _link_path(self, action: Dict[str, Any]) -> str:
        internal_id = action.get("id") or self.client_ids[action["client_id"]]
        scope_id = action.get("scope_id") or self.scope_ids[action["scope"]]
        return self.path("clients", internal_id, "%s-client-scopes" % action["kind"], scope_id)

    def do_link_scope(self, action: Dict[str, Any]) -> None:
        self.api.put(self._link_path(action), None)

    def do_unlink_scope(self, action: Dict[str, Any]) -> None:
        self.api.delete(self._link_path(action))

    # users
    def do_create_user(self, action: Dict[str, Any]) -> None:
        self.user_ids[action["username"]] = self.api.create(self.path("users"), action["body"])

    def do_update_user(self, action: Dict[str, Any]) -> None:
        self.api.put(self.path("users", action["id"]), action["body"])

    def do_delete_user(self, action: Dict[str, Any]) -> None:
        self.api.delete(self.path("users", action["id"]))

    # role mappings
    def _principal_id(self, action: Dict[str, Any]) -> str:
        if action["principal"] == "user":
            return action.get("id") or self.user_ids[action["name"]]
        client_internal_id = action.get("id") or self.client_ids[action["name"]]
        return self.api.get(self.path("clients", client_internal_id, "service-account-user"))["id"]

    def _role_reps(self, names: List[str]) -> List[Dict[str, Any]]:
        if any(not self.role_ids.get(n) for n in names):
            self.role_ids = {r["name"]: r["id"] for r in self.api.get(self.path("roles")) or []}
        return [{"id": self.role_ids[n], "name": n} for n in names]

    def do_grant_roles(self, action: Dict[str, Any]) -> None:
        roles = self._role_reps(action["roles"])
        self.api.call("POST", self.path("users", self._principal_id(action), "role-mappings", "realm"), roles)

    def do_revoke_roles(self, action: Dict[str, Any]) -> None:
        roles = self._role_reps(action["roles"])
        self.api.call("DELETE", self.path("users", self._principal_id(action), "role-mappings", "realm"), roles)


def confidential_clients(description: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    return [c for c in entries(description, "clients") if is_present(c) and not c.get("public_client")]


def known_secret(rep: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The secret a client listing shows, unless Keycloak masked it."""
    secret = (rep or {}).get("secret")
    if not secret or secret == KEYCLOAK_MASK:
        return None
    return secret


def collect_secrets(api: KeycloakClient, realm: str, description: Mapping[str, Any],
                    snapshot: Mapping[str, Any], executor: Optional[Executor]) -> Dict[str, str]:
    """Secrets of the described confidential clients: given, just created, listed, or read one by one."""
    reps = {c["clientId"]: c for c in snapshot.get("clients") or []}
    secrets: Dict[str, str] = {}
    for client in confidential_clients(description):
        client_id = client["client_id"]
        if client.get("secret"):
            secrets[client_id] = client["secret"]
        elif executor is not None and client_id in executor.secrets:
            secrets[client_id] = executor.secrets[client_id]
        elif client_id in reps:
            secret = known_secret(reps[client_id])
            if secret is None:
                answer = api.get(admin_path(realm, "clients", reps[client_id]["id"], "client-secret")) or {}
                secret = answer.get("value")
            if secret:
                secrets[client_id] = secret
    return secrets


def converge(api: KeycloakClient, description: Mapping[str, Any], done: List[str], check_mode: bool = False,
             diff: bool = False) -> Dict[str, Any]:
    """Read, plan, and (unless in check mode) write. ``done`` collects the summaries of the writes made, so a
    caller can report them when a later write fails."""
    realm = description["realm"]
    snapshot = read_snapshot(api, description)
    first = plan(description, snapshot)
    actions = first["actions"]
    result: Dict[str, Any] = {"changed": bool(actions)}
    if diff:
        result["diff"] = {"before": first["before"], "after": first["after"]}

    executor: Optional[Executor] = None
    created: Dict[str, Dict[str, Optional[str]]] = {}
    if check_mode:
        result["changes"] = [a["summary"] for a in actions]
    else:
        executor = Executor(api, realm, snapshot, done)
        if actions and actions[0]["op"] == "create_realm":
            executor.run(actions[:1])
            # Keycloak has made its built-in roles, scopes and clients: read them and plan the rest afresh
            snapshot = read_snapshot(api, description)
            actions = plan(description, snapshot)["actions"]
            executor.load(snapshot)
        executor.run(actions)
        result["changes"] = list(done)
        created = {"clients": dict(executor.client_ids)}

    result["end_state"] = end_state(description, snapshot, actions, created)
    if result["end_state"].get("exists"):
        result["client_secrets"] = collect_secrets(api, realm, description, snapshot, executor)
    return result
