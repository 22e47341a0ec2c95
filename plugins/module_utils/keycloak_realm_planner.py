# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the writes that make Keycloak match a validated realm description; nothing here talks to a server.

A *snapshot* is what was read from Keycloak::

    {"realm": RealmRepresentation or None, "roles": [...], "client_scopes": [...], "clients": [...],
     "users": [...], "role_members": {role name: [usernames, service-account users included]}}

``plan()`` returns ``{"actions": [...], "before": {...}, "after": {...}}``; every action is a dict with an
``op`` (create_role, update_client, link_scope, grant_roles, ...), what it needs, and a ``summary`` line.

The realm's own settings are one object and planned on their own. Realm roles, client scopes, clients and users
are lists of named objects planned by one loop, ``_plan_kind``; ``KINDS`` is the table of what differs between
them (names, views, bodies, protected built-ins, the extra actions of an update, role grants).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set

from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_schema import (
    BUILTIN_SCOPES,
    builtin_clients,
    builtin_roles,
    entries,
    is_present,
)
from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_views import (
    after_view,
    changed_fields,
    client_body,
    current_client,
    current_scope,
    current_user,
    describe_changes,
    desired_client,
    desired_role,
    desired_scope,
    desired_settings,
    desired_user,
    display_view,
    mapper_body,
    mapper_changes,
    role_body,
    scope_body,
    user_body,
)

Json = Dict[str, Any]
Action = Dict[str, Any]


class Context(NamedTuple):
    """What planning any kind may read besides its own objects."""

    realm: str
    role_members: Mapping[str, Iterable[str]]
    universe: Set[str]  # realm roles whose grants the description manages
    scope_ids: Mapping[str, Optional[str]]


def role_universe(description: Mapping[str, Any]) -> Set[str]:
    """Roles whose members the module reads: roles described as present and roles referenced."""
    names = {r["name"] for r in entries(description, "roles") if is_present(r)}
    for client in entries(description, "clients"):
        if is_present(client):
            names |= set(client.get("service_account_roles") or [])
    for user in entries(description, "users"):
        if is_present(user):
            names |= set(user.get("realm_roles") or [])
    return names


# ---------------------------------------------------------------------------------------------------------------
# Actions shared by several kinds
# ---------------------------------------------------------------------------------------------------------------
def _mapper_actions(owner: str, noun: str, owner_name: str, owner_id: Optional[str], view: Mapping[str, Any],
                    have: Mapping[str, Any]) -> List[Action]:
    actions: List[Action] = []
    current = have.get("mappers") or {}
    changes = mapper_changes(view["mappers"], current)
    for mapper in changes["create"]:
        actions.append({"op": "create_mapper", "owner": owner, "owner_name": owner_name, "owner_id": owner_id,
                        "body": mapper_body(mapper),
                        "summary": "add protocol mapper %s to %s %s" % (mapper["name"], noun, owner_name)})
    for old, new in changes["update"]:
        actions.append({"op": "update_mapper", "owner": owner, "owner_name": owner_name, "owner_id": owner_id,
                        "id": old["id"], "body": mapper_body(new, old),
                        "summary": "update protocol mapper %s of %s %s" % (new["name"], noun, owner_name)})
    for name in view.get("absent_mappers", []):
        if name in current:
            actions.append({"op": "delete_mapper", "owner": owner, "owner_name": owner_name, "owner_id": owner_id,
                            "id": current[name]["id"], "name": name,
                            "summary": "remove protocol mapper %s from %s %s" % (name, noun, owner_name)})
    return actions


def _link_actions(client_id: str, internal_id: Optional[str], view: Mapping[str, Any], have: Mapping[str, Any],
                  scope_ids: Mapping[str, Optional[str]]) -> List[Action]:
    """Unlinks first (a scope may move from default to optional), then links."""
    unlinks: List[Action] = []
    links: List[Action] = []
    for kind, field in (("default", "defaultClientScopes"), ("optional", "optionalClientScopes")):
        if field not in view:
            continue
        wanted, current = set(view[field]), set(have.get(field) or [])
        for scope in sorted(current - wanted):
            unlinks.append({"op": "unlink_scope", "client_id": client_id, "id": internal_id, "kind": kind,
                            "scope": scope, "scope_id": scope_ids.get(scope),
                            "summary": "unlink %s client scope %s from client %s" % (kind, scope, client_id)})
        for scope in sorted(wanted - current):
            links.append({"op": "link_scope", "client_id": client_id, "id": internal_id, "kind": kind,
                          "scope": scope, "scope_id": scope_ids.get(scope),
                          "summary": "link %s client scope %s to client %s" % (kind, scope, client_id)})
    return unlinks + links


def _role_actions(principal: str, name: str, internal_id: Optional[str], wanted: Set[str], current: Set[str],
                  universe: Set[str]) -> List[Action]:
    noun = "service account of client" if principal == "service_account" else "user"
    actions: List[Action] = []
    grant = sorted(wanted - current)
    revoke = sorted((current & universe) - wanted)
    if grant:
        actions.append({"op": "grant_roles", "principal": principal, "name": name, "id": internal_id,
                        "roles": grant, "summary": "grant %s to %s %s" % (", ".join(grant), noun, name)})
    if revoke:
        actions.append({"op": "revoke_roles", "principal": principal, "name": name, "id": internal_id,
                        "roles": revoke, "summary": "revoke %s from %s %s" % (", ".join(revoke), noun, name)})
    return actions


# ---------------------------------------------------------------------------------------------------------------
# The table of kinds
# ---------------------------------------------------------------------------------------------------------------
Followups = Callable[[Context, str, Mapping[str, Any], Json, Json], List[Action]]


def _no_followups(_ctx: Context, _name: str, _rep: Mapping[str, Any], _view: Json, _have: Json) -> List[Action]:
    return []


class Kind(NamedTuple):
    """How one kind of named realm object is planned."""

    option: str  # the description's list option, also the snapshot's key and the diff's
    key: str  # option naming an entry, also the name field of its actions
    rep_key: str  # field naming the object in Keycloak's representation
    op: str  # actions are create_<op>, update_<op>, delete_<op>
    noun: str  # in summaries
    desired: Callable[[Mapping[str, Any]], Json]
    current: Callable[[Mapping[str, Any], Mapping[str, Iterable[str]]], Json]  # (rep, role members)
    body: Callable[..., Json]  # (view) for a creation, (view, rep) for an update
    protected: Callable[[str, Iterable[str]], Set[str]]  # never purged: (realm, existing names)
    show: Callable[[Mapping[str, Any], Mapping[str, Any]], Json] = display_view  # diff view: (view, desired)
    gone: Callable[[Mapping[str, Any]], Json] = lambda rep: {"exists": True}  # diff view of a deleted object
    fold_case: bool = False  # Keycloak stores the name lower-cased
    create_only: FrozenSet[str] = frozenset()  # sent on creation, never compared or shown afterwards
    create_extras: Callable[[Json], Json] = lambda view: {}  # further fields of a create action
    followups: Followups = _no_followups  # actions after an update: protocol mappers, scope links
    granted: Callable[[Json], Optional[Set[str]]] = lambda view: None  # realm roles the principal should hold
    held: str = ""  # field of the current view listing the roles it holds
    principal: str = ""  # whose role mappings a grant changes


def _fill_scopes(view: Json) -> Json:
    """Keycloak links only the scope lists a new client is sent: the executor fills the one not described."""
    if ("defaultClientScopes" in view) != ("optionalClientScopes" in view):
        return {"fill_scopes": ["default" if "defaultClientScopes" not in view else "optional"]}
    return {"fill_scopes": []}


def _client_followups(ctx: Context, name: str, rep: Mapping[str, Any], view: Json, have: Json) -> List[Action]:
    return _link_actions(name, rep.get("id"), view, have, ctx.scope_ids) + \
        _mapper_actions("clients", "client", name, rep.get("id"), view, have)


def _scope_followups(_ctx: Context, name: str, rep: Mapping[str, Any], view: Json, have: Json) -> List[Action]:
    return _mapper_actions("client-scopes", "client scope", name, rep.get("id"), view, have)


def _service_account_roles(view: Json) -> Optional[Set[str]]:
    if "serviceAccountRoles" in view and view.get("serviceAccountsEnabled"):
        return set(view["serviceAccountRoles"])
    return None


# Creation order; deletions run in the reverse order (users and clients before the roles and scopes they use).
KINDS = (
    Kind(option="roles", key="name", rep_key="name", op="role", noun="role",
         desired=desired_role, current=lambda rep, _members: dict(rep), body=role_body,
         protected=lambda realm, _names: builtin_roles(realm),
         show=lambda view, desired: {k: view.get(k) for k in desired if k != "name"},
         gone=lambda rep: {"description": rep.get("description")}),
    Kind(option="client_scopes", key="name", rep_key="name", op="scope", noun="client scope",
         desired=desired_scope, current=lambda rep, _members: current_scope(rep), body=scope_body,
         protected=lambda _realm, _names: set(BUILTIN_SCOPES), followups=_scope_followups),
    Kind(option="clients", key="client_id", rep_key="clientId", op="client", noun="client",
         desired=desired_client, current=current_client, body=client_body, protected=builtin_clients,
         create_extras=_fill_scopes, followups=_client_followups,
         granted=_service_account_roles, held="serviceAccountRoles", principal="service_account"),
    Kind(option="users", key="username", rep_key="username", op="user", noun="user",
         desired=desired_user, current=current_user, body=user_body, protected=lambda _realm, _names: set(),
         fold_case=True, create_only=frozenset(["password"]),
         granted=lambda view: set(view["realmRoles"]) if "realmRoles" in view else None,
         held="realmRoles", principal="user"),
)


class KindPlan(NamedTuple):
    actions: List[Action]  # creations and updates, with their follow-ups
    grants: List[Action]  # role mappings: after every kind's creations
    deletions: List[Action]
    before: Optional[Json]  # None: the object does not exist yet
    after: Json


def _plan_kind(kind: Kind, description: Mapping[str, Any], snapshot: Mapping[str, Any], ctx: Context) -> KindPlan:
    reps = {rep[kind.rep_key]: rep for rep in snapshot.get(kind.option) or []}
    planned = KindPlan([], [], [], {}, {})

    def delete(name: str, why: str) -> None:
        planned.deletions.append({"op": "delete_" + kind.op, kind.key: name, "id": reps[name].get("id"),
                                  "summary": "delete %s %s%s" % (kind.noun, name, why)})
        planned.before[name] = kind.gone(reps[name])

    described: Set[str] = set()
    for entry in entries(description, kind.option):
        name = entry[kind.key].lower() if kind.fold_case else entry[kind.key]
        described.add(name)
        rep = reps.get(name)
        if not is_present(entry):
            if rep is not None:
                delete(name, "")
            continue
        view = kind.desired(entry)
        have = kind.current(rep, ctx.role_members) if rep is not None else None
        shown = view if rep is None else {k: v for k, v in view.items() if k not in kind.create_only}
        planned.after[name] = kind.show(after_view(have, shown), shown)
        if rep is None:
            action = {"op": "create_" + kind.op, kind.key: name, "body": kind.body(view),
                      "summary": "create %s %s" % (kind.noun, name)}
            action.update(kind.create_extras(view))
            planned.actions.append(action)
        else:
            planned.before[name] = kind.show(have, shown)
            changes = changed_fields(view, have)
            if changes:
                planned.actions.append({"op": "update_" + kind.op, kind.key: name, "id": rep.get("id"),
                                        "body": kind.body(view, rep),
                                        "summary": "update %s %s: %s" % (kind.noun, name, describe_changes(changes))})
            planned.actions.extend(kind.followups(ctx, name, rep, view, have))
        wanted = kind.granted(view)
        if wanted is not None:
            held = set(have[kind.held]) if have is not None else set()
            planned.grants.extend(_role_actions(kind.principal, name, rep.get("id") if rep else None, wanted, held,
                                                ctx.universe))
    if description.get("purge"):
        for name in sorted(set(reps) - described - kind.protected(ctx.realm, reps)):
            delete(name, " (purge)")
    return planned


# ---------------------------------------------------------------------------------------------------------------
# The realm
# ---------------------------------------------------------------------------------------------------------------
def _plan_settings(description: Mapping[str, Any], realm_rep: Optional[Mapping[str, Any]]) -> KindPlan:
    realm_name = description["realm"]
    settings = desired_settings(description.get("settings"))
    if realm_rep is None:
        return KindPlan([{"op": "create_realm", "body": dict(settings, realm=realm_name),
                          "summary": "create realm %s" % realm_name}], [], [], None, dict(settings))
    actions: List[Action] = []
    changes = changed_fields(settings, realm_rep, skip=())
    if changes:
        actions.append({"op": "update_realm", "body": dict(settings, realm=realm_name),
                        "summary": "update realm %s: %s" % (realm_name, describe_changes(changes))})
    return KindPlan(actions, [], [], display_view(realm_rep, settings),
                    display_view(after_view(realm_rep, settings), settings))


def plan(description: Mapping[str, Any], snapshot: Mapping[str, Any]) -> Json:
    """Compare a validated description with a snapshot; return the actions and the before/after views."""
    realm_name = description["realm"]
    realm_rep = snapshot.get("realm")
    if (description.get("state") or "present") == "absent":
        if realm_rep is None:
            return {"actions": [], "before": {}, "after": {}}
        return {"actions": [{"op": "delete_realm", "summary": "delete realm %s" % realm_name}],
                "before": {"realm": {"realm": realm_name, "exists": True}},
                "after": {"realm": {"realm": realm_name, "exists": False}}}

    ctx = Context(realm=realm_name, role_members=snapshot.get("role_members") or {},
                  universe=role_universe(description),
                  scope_ids={s["name"]: s.get("id") for s in snapshot.get("client_scopes") or []})
    settings = _plan_settings(description, realm_rep)
    kinds = [_plan_kind(kind, description, snapshot, ctx) for kind in KINDS]
    actions = list(settings.actions)
    before: Json = {"settings": settings.before}
    after: Json = {"settings": settings.after}
    for kind, planned in zip(KINDS, kinds):
        actions.extend(planned.actions)
        before[kind.option], after[kind.option] = planned.before, planned.after
    for planned in kinds:
        actions.extend(planned.grants)
    for planned in reversed(kinds):
        actions.extend(planned.deletions)
    return {"actions": actions, "before": before, "after": after}


def end_state(description: Mapping[str, Any], snapshot: Mapping[str, Any], actions: Sequence[Action],
              created: Mapping[str, Mapping[str, Optional[str]]]) -> Json:
    """Realm summary after the actions: names of roles, scopes, users; ``clients`` maps clientId -> id."""
    realm_name = description["realm"]
    ops = {a["op"] for a in actions}
    if "delete_realm" in ops or (snapshot.get("realm") is None and "create_realm" not in ops):
        return {"realm": realm_name, "exists": False}
    rep = dict(snapshot.get("realm") or {})
    rep.update(desired_settings(description.get("settings")))

    def names(kind: Kind) -> List[str]:
        current = {r[kind.rep_key] for r in snapshot.get(kind.option) or []}
        current |= {a[kind.key] for a in actions if a["op"] == "create_" + kind.op}
        current -= {a[kind.key] for a in actions if a["op"] == "delete_" + kind.op}
        return sorted(current)

    by_option = {kind.option: kind for kind in KINDS}
    clients = {c["clientId"]: c.get("id") for c in snapshot.get("clients") or []}
    for action in actions:
        if action["op"] == "create_client":
            clients[action["client_id"]] = (created.get("clients") or {}).get(action["client_id"])
        elif action["op"] == "delete_client":
            clients.pop(action["client_id"], None)
    return {
        "realm": realm_name,
        "exists": True,
        "enabled": rep.get("enabled"),
        "displayName": rep.get("displayName"),
        "roles": names(by_option["roles"]),
        "client_scopes": names(by_option["client_scopes"]),
        "clients": dict(sorted(clients.items())),
        "users": names(by_option["users"]),
    }
