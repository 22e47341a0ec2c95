"""Planning of keycloak_realm: one table of per-kind planners (roles, client scopes, clients, users) plus the realm
settings, compared with a snapshot of Keycloak (no server)."""

from __future__ import annotations

import copy
from typing import Any, Dict

import pytest
from realm_samples import EMPTY_REALM, REALM, desc, full, keycloak_state

from ansible_collections.aegis.platform.plugins.module_utils import keycloak_realm_planner as planner
from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_views import MASK

# ---------------------------------------------------------------------------------------------------------------
# the table: every kind planned by the same loop
# ---------------------------------------------------------------------------------------------------------------
# option -> (entry, Keycloak's representation of it, a change, the summary of that change, a built-in name)
SAMPLES: Dict[str, Any] = {
    "roles": ({"name": "aegis:ops", "description": "operators"},
              {"id": "r-ops", "name": "aegis:ops", "description": "operators"},
              {"description": "ops"}, "update role aegis:ops: description: 'operators' -> 'ops'", "offline_access"),
    "client_scopes": ({"name": "agent:run", "description": "run"},
                      {"id": "s-run", "name": "agent:run", "description": "run", "protocol": "openid-connect",
                       "attributes": {"gui.order": ""}},
                      {"include_in_token_scope": True},
                      "update client scope agent:run: attributes.include.in.token.scope: None -> 'true'", "profile"),
    "clients": ({"client_id": "svc", "description": "d", "redirect_uris": ["https://b", "https://a"]},
                {"id": "c-svc", "clientId": "svc", "description": "d", "enabled": True, "publicClient": False,
                 "serviceAccountsEnabled": False, "standardFlowEnabled": True, "directAccessGrantsEnabled": False,
                 "implicitFlowEnabled": False, "redirectUris": ["https://a", "https://b"], "webOrigins": [],
                 "protocol": "openid-connect", "attributes": {}, "secret": "kept"},
                {"enabled": False}, "update client svc: enabled: True -> False", "admin-cli"),
    "users": ({"username": "Bob", "email": "Bob@Example.org", "password": "Initial-1"},
              {"id": "u-bob", "username": "bob", "enabled": True, "email": "bob@example.org"},
              {"first_name": "Bob"}, "update user bob: firstName: None -> 'Bob'", None),
}
KIND = {kind.option: kind for kind in planner.KINDS}
REALM_REP = {"id": "r1", "realm": REALM, "enabled": True}


def snapshot_with(option: str, *reps: Dict[str, Any]) -> Dict[str, Any]:
    snapshot = copy.deepcopy(EMPTY_REALM)
    snapshot.update(realm=dict(REALM_REP), **{option: [copy.deepcopy(r) for r in reps]})
    return snapshot


def name_of(option: str) -> str:
    entry = SAMPLES[option][0]
    return entry[KIND[option].key].lower()


def test_the_table_has_one_kind_per_list_option_of_the_spec() -> None:
    from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_schema import realm_argument_spec
    lists = [k for k, v in realm_argument_spec().items() if v.get("type") == "list"]
    assert [kind.option for kind in planner.KINDS] == lists == list(SAMPLES)


@pytest.mark.parametrize("option", list(SAMPLES))
def test_kind_create(option: str) -> None:
    entry = SAMPLES[option][0]
    result = planner.plan(desc(**{option: [entry]}), snapshot_with(option))
    kind = KIND[option]
    assert [(a["op"], a[kind.key]) for a in result["actions"]] == [("create_" + kind.op, name_of(option))]
    assert result["actions"][0]["summary"] == "create %s %s" % (kind.noun, name_of(option))
    assert result["before"][option] == {} and name_of(option) in result["after"][option]
    assert "Initial-1" not in repr(result["after"])


@pytest.mark.parametrize("option", list(SAMPLES))
def test_kind_unchanged(option: str) -> None:
    entry, rep = SAMPLES[option][:2]
    result = planner.plan(desc(**{option: [entry]}), snapshot_with(option, rep))
    assert result["actions"] == []
    assert result["before"][option] == result["after"][option] != {}


@pytest.mark.parametrize("option", list(SAMPLES))
def test_kind_update(option: str) -> None:
    entry, rep, change, summary, _builtin = SAMPLES[option]
    result = planner.plan(desc(**{option: [dict(entry, **change)]}), snapshot_with(option, rep))
    kind = KIND[option]
    assert [(a["op"], a[kind.key], a["id"]) for a in result["actions"]] == [
        ("update_" + kind.op, name_of(option), rep["id"])]
    assert result["actions"][0]["summary"] == summary
    assert result["before"][option] != result["after"][option]


@pytest.mark.parametrize("option", list(SAMPLES))
def test_kind_delete(option: str) -> None:
    entry, rep = SAMPLES[option][:2]
    absent = desc(**{option: [dict(entry, state="absent")]})
    result = planner.plan(absent, snapshot_with(option, rep))
    kind = KIND[option]
    assert [(a["op"], a[kind.key], a["id"]) for a in result["actions"]] == [
        ("delete_" + kind.op, name_of(option), rep["id"])]
    assert result["actions"][0]["summary"] == "delete %s %s" % (kind.noun, name_of(option))
    assert result["after"][option] == {} and name_of(option) in result["before"][option]
    assert planner.plan(absent, snapshot_with(option))["actions"] == []  # already gone


@pytest.mark.parametrize("option", list(SAMPLES))
def test_kind_purge_keeps_described_and_builtin_objects(option: str) -> None:
    entry, rep, _change, _summary, builtin = SAMPLES[option]
    kind = KIND[option]
    stray = dict(rep, id="stray-id", **{kind.rep_key: "stray"})
    reps = [rep, stray] + ([dict(rep, id="builtin-id", **{kind.rep_key: builtin})] if builtin else [])
    described = desc(**{option: [entry]})
    assert planner.plan(described, snapshot_with(option, *reps))["actions"] == []
    described["purge"] = True
    actions = planner.plan(described, snapshot_with(option, *reps))["actions"]
    assert [(a["op"], a[kind.key], a["id"], a["summary"]) for a in actions] == [
        ("delete_" + kind.op, "stray", "stray-id", "delete %s stray (purge)" % kind.noun)]


def test_deletions_run_after_grants_in_reverse_order_of_the_table() -> None:
    snapshot = snapshot_with("roles", SAMPLES["roles"][1])
    for option in ("client_scopes", "clients", "users"):
        snapshot[option] = [SAMPLES[option][1]]
    description = desc(purge=True, users=[{"username": "carol", "realm_roles": ["offline_access"]}])
    ops = [a["op"] for a in planner.plan(description, snapshot)["actions"]]
    assert ops == ["create_user", "grant_roles", "delete_user", "delete_client", "delete_scope", "delete_role"]


# ---------------------------------------------------------------------------------------------------------------
# the whole realm
# ---------------------------------------------------------------------------------------------------------------
def test_converged_realm_plans_nothing() -> None:
    result = planner.plan(full(), keycloak_state())
    assert result["actions"] == []
    assert result["before"] == result["after"]


def test_missing_realm_plans_creation_in_order() -> None:
    actions = planner.plan(full(), EMPTY_REALM)["actions"]
    ops = [a["op"] for a in actions]
    assert ops[0] == "create_realm" and actions[0]["body"]["enabled"] is True
    assert actions[0]["body"]["realm"] == REALM
    assert ops.index("create_scope") < ops.index("create_client") < ops.index("create_user") < \
        ops.index("grant_roles")
    cli = next(a for a in actions if a["op"] == "create_client" and a["client_id"] == "aegis-cli")
    assert cli["fill_scopes"] == ["default"]  # optional given alone: keep Keycloak's default scopes
    assert cli["body"]["optionalClientScopes"] == ["agent:run", "offline_access"]
    user = next(a for a in actions if a["op"] == "create_user")
    assert user["body"]["credentials"] == [{"type": "password", "value": "Initial-Pw-1", "temporary": False}]
    grants = [(a["principal"], a["name"], a["roles"]) for a in actions if a["op"] == "grant_roles"]
    assert grants == [("service_account", "aegis-orchestrator", ["aegis:admin"]),
                      ("user", "alice", ["aegis:admin"])]


def test_one_field_change_is_one_update_with_full_body() -> None:
    description = full()
    description["clients"][0]["description"] = "new"
    actions = planner.plan(description, keycloak_state())["actions"]
    assert [a["op"] for a in actions] == ["update_client"]
    body = actions[0]["body"]
    assert body["serviceAccountsEnabled"] is True and body["description"] == "new" and body["id"] == "c-orch"
    assert actions[0]["summary"] == "update client aegis-orchestrator: description: None -> 'new'"


def test_scope_links_and_moves() -> None:
    description = full()
    description["clients"][2]["default_client_scopes"] = ["profile", "offline_access"]
    description["clients"][2]["optional_client_scopes"] = ["agent:run"]
    actions = planner.plan(description, keycloak_state())["actions"]
    links = [(a["op"], a["kind"], a["scope"], a["scope_id"]) for a in actions]
    assert links == [
        ("unlink_scope", "default", "acr", "id-acr"), ("unlink_scope", "default", "email", "id-email"),
        ("unlink_scope", "default", "roles", "id-roles"), ("unlink_scope", "default", "web-origins", "id-web-origins"),
        ("unlink_scope", "optional", "offline_access", "id-offline_access"),
        ("link_scope", "default", "offline_access", "id-offline_access")]


def test_role_mappings_grant_and_revoke_within_the_described_roles() -> None:
    description = full()
    description["users"][0]["realm_roles"] = ["aegis:readonly"]
    state = keycloak_state()
    state["role_members"]["offline_access"] = ["alice"]  # not in the universe: left alone
    actions = planner.plan(description, state)["actions"]
    assert [(a["op"], a["roles"]) for a in actions] == [("grant_roles", ["aegis:readonly"]),
                                                        ("revoke_roles", ["aegis:admin"])]
    assert actions[0]["id"] == "u-alice"


def test_mapper_update_and_removal() -> None:
    description = full()
    mappers = description["clients"][1]["protocol_mappers"]
    mappers[0]["config"]["included.client.audience"] = "other"
    mappers.append({"name": "gone", "state": "absent"})
    description["clients"][0]["protocol_mappers"] = [{"name": "Client ID", "state": "absent"}]
    actions = planner.plan(description, keycloak_state())["actions"]
    assert [(a["op"], a["owner_name"], a["id"]) for a in actions] == [
        ("delete_mapper", "aegis-orchestrator", "m-cid"), ("update_mapper", "aegis-temporal-worker", "m-aud")]
    assert actions[1]["body"]["config"] == {"included.client.audience": "other", "access.token.claim": "true",
                                            "id.token.claim": "false"}


def test_absent_objects_and_purge() -> None:
    description = full()
    description["users"][0]["state"] = "absent"
    description["roles"][1]["state"] = "absent"
    state = keycloak_state()
    state["clients"].append({"id": "c-stray", "clientId": "stray"})
    state["client_scopes"].append({"id": "s-stray", "name": "stray-scope", "protocol": "openid-connect"})
    actions = planner.plan(description, state)["actions"]
    assert [a["op"] for a in actions] == ["delete_user", "delete_role"]
    description["purge"] = True
    actions = planner.plan(description, state)["actions"]
    ops = [(a["op"], a.get("client_id") or a.get("name") or a.get("username")) for a in actions]
    assert ops == [("delete_user", "alice"), ("delete_client", "stray"), ("delete_scope", "stray-scope"),
                   ("delete_role", "aegis:readonly")]


def test_realm_settings_update_and_delete() -> None:
    state = keycloak_state()
    description = full()
    description["settings"]["accessTokenLifespan"] = "600"
    description["settings"]["attributes"] = {"cibaInterval": 5, "frontendUrl": "https://id.example"}
    actions = planner.plan(description, state)["actions"]
    assert [a["op"] for a in actions] == ["update_realm"]
    assert actions[0]["body"]["accessTokenLifespan"] == 600
    assert "attributes.frontendUrl: None -> 'https://id.example'" in actions[0]["summary"]
    assert "cibaInterval" not in actions[0]["summary"]
    gone = planner.plan(desc(state="absent"), state)
    assert [a["op"] for a in gone["actions"]] == ["delete_realm"]
    assert planner.plan(desc(state="absent"), {"realm": None})["actions"] == []


def test_secrets_are_masked_in_diff_and_summaries() -> None:
    description = full()
    description["clients"][0]["secret"] = "brand-new-secret"
    result = planner.plan(description, keycloak_state())
    assert result["actions"][0]["summary"] == "update client aegis-orchestrator: secret changed (hidden)"
    assert result["before"]["clients"]["aegis-orchestrator"]["secret"] == MASK
    assert result["after"]["clients"]["aegis-orchestrator"]["secret"] == MASK + " (changed)"
    flat = repr(result["before"]) + repr(result["after"]) + repr([a["summary"] for a in result["actions"]])
    assert "brand-new-secret" not in flat and "orch-secret" not in flat
    created = planner.plan(full(), {"realm": None})
    assert "Initial-Pw-1" not in repr(created["before"]) + repr(created["after"])
    assert created["after"]["users"]["alice"]["password"] == MASK


def test_plan_does_not_mutate_its_inputs() -> None:
    description, state = full(), keycloak_state()
    frozen = (copy.deepcopy(description), copy.deepcopy(state))
    planner.plan(description, state)
    assert (description, state) == frozen


def test_end_state() -> None:
    state = keycloak_state()
    actions = planner.plan(desc(clients=[{"client_id": "new-one"}], roles=[{"name": "r2"}]), state)["actions"]
    summary = planner.end_state(desc(), state, actions, {"clients": {"new-one": "c-new"}})
    assert summary["clients"]["new-one"] == "c-new" and "r2" in summary["roles"]
    assert summary["users"] == ["alice"] and summary["exists"] is True
    assert planner.end_state(desc(), {"realm": None}, [], {}) == {"realm": REALM, "exists": False}
    assert planner.role_universe(full()) == {"aegis:admin", "aegis:readonly"}
