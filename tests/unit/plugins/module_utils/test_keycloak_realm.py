"""Validation, normalisation, diff and planning of aegis.platform's keycloak_realm (no server)."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

import pytest

from ansible_collections.aegis.platform.plugins.module_utils import keycloak_realm as kr

REALM = "aegis-system"


def desc(**parts: Any) -> Dict[str, Any]:
    base: Dict[str, Any] = {"realm": REALM, "state": "present", "purge": False, "settings": {}, "roles": [],
                            "client_scopes": [], "clients": [], "users": []}
    base.update(parts)
    return base


def full() -> Dict[str, Any]:
    return desc(
        settings={"displayName": "AEGIS system", "accessTokenLifespan": 300},
        roles=[{"name": "aegis:admin", "description": "admins"}, {"name": "aegis:readonly"}],
        client_scopes=[{"name": "agent:run", "description": "run agents", "include_in_token_scope": True,
                        "display_on_consent_screen": False}],
        clients=[
            {"client_id": "aegis-orchestrator", "service_accounts_enabled": True, "standard_flow_enabled": False,
             "service_account_roles": ["aegis:admin"]},
            {"client_id": "aegis-temporal-worker", "service_accounts_enabled": True,
             "protocol_mappers": [{"name": "aud", "protocol_mapper": "oidc-audience-mapper",
                                   "config": {"included.client.audience": "aegis-orchestrator",
                                              "access.token.claim": True}}]},
            {"client_id": "aegis-cli", "public_client": True, "standard_flow_enabled": False,
             "device_authorization_grant_enabled": True, "optional_client_scopes": ["agent:run", "offline_access"]},
        ],
        users=[{"username": "Alice", "email": "Alice@Example.org", "realm_roles": ["aegis:admin"],
                "password": "Initial-Pw-1"}],
    )


def errors_of(description: Dict[str, Any]) -> List[str]:
    with pytest.raises(kr.InvalidDescription) as caught:
        kr.validate(description)
    return caught.value.errors


# ---------------------------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------------------------
def test_a_good_description_validates() -> None:
    kr.validate(full())


def test_unknown_keys_name_the_entry() -> None:
    description = full()
    description["clients"][2]["redirect_uri"] = ["x"]
    description["bogus"] = 1
    errors = errors_of(description)
    assert "unknown top-level key bogus" in errors
    assert any(e.startswith("clients[2] (aegis-cli): unknown key redirect_uri (allowed: ") for e in errors)


def test_unknown_mapper_key_names_owner_and_mapper() -> None:
    description = full()
    description["clients"][1]["protocol_mappers"][0]["configuration"] = {}
    assert any(e.startswith("clients[1] (aegis-temporal-worker).protocol_mappers[0]: unknown key configuration")
               for e in errors_of(description))


def test_duplicates_are_reported() -> None:
    description = full()
    description["clients"].append({"client_id": "aegis-cli", "public_client": True})
    description["users"].append({"username": "alice"})
    description["client_scopes"].append({"name": "agent:run"})
    errors = errors_of(description)
    assert "clients[3] (aegis-cli): duplicate client_id 'aegis-cli'" in errors
    assert "users[1] (alice): duplicate username 'alice'" in errors
    assert "client_scopes[1] (agent:run): duplicate name 'agent:run'" in errors


def test_undefined_and_unusable_scope_references() -> None:
    description = full()
    description["client_scopes"].append({"name": "saml-thing", "protocol": "saml"})
    description["client_scopes"].append({"name": "retired", "state": "absent"})
    description["clients"][2]["default_client_scopes"] = ["openid", "saml-thing", "retired", "basic", "profile"]
    errors = errors_of(description)
    prefix = "clients[2] (aegis-cli): default_client_scopes references client scope "
    assert prefix + "'openid', which is not defined in client_scopes (nor a Keycloak 24 built-in scope)" in errors
    assert prefix + "'basic', which is not defined in client_scopes (nor a Keycloak 24 built-in scope)" in errors
    assert prefix + "'saml-thing', whose protocol is not openid-connect" in errors
    assert prefix + "'retired', which is marked state: absent" in errors
    assert not any("'profile'" in e for e in errors)


def test_scope_in_both_lists() -> None:
    description = full()
    description["clients"][2]["default_client_scopes"] = ["agent:run"]
    assert "clients[2] (aegis-cli): client scope 'agent:run' is listed in both default_client_scopes and " \
           "optional_client_scopes" in errors_of(description)


def test_role_references() -> None:
    description = full()
    description["roles"][1]["state"] = "absent"
    description["users"][0]["realm_roles"] = ["aegis:readonly", "aegis:auditor", "offline_access",
                                              "default-roles-aegis-system"]
    errors = errors_of(description)
    assert "users[0] (Alice): realm_roles references role 'aegis:readonly', which is marked state: absent" in errors
    assert "users[0] (Alice): realm_roles references role 'aegis:auditor', which is not defined in roles " \
           "(nor a built-in role)" in errors
    assert len([e for e in errors if "realm_roles" in e]) == 2


def test_master_admin_role_is_builtin_only_in_master() -> None:
    clients = [{"client_id": "automation", "service_accounts_enabled": True, "service_account_roles": ["admin"]}]
    kr.validate(desc(realm="master", clients=clients))
    assert any("'admin', which is not defined" in e for e in errors_of(desc(clients=clients)))


def test_client_consistency_rules() -> None:
    errors = errors_of(desc(clients=[
        {"client_id": "a", "public_client": True, "service_accounts_enabled": True, "secret": "s"},
        {"client_id": "b", "service_account_roles": []},
        {"client_id": "c", "device_authorization_grant_enabled": True,
         "attributes": {"oauth2.device.authorization.grant.enabled": "false"}},
    ]))
    assert "clients[0] (a): a public client cannot have service accounts" in errors
    assert "clients[0] (a): a public client has no secret" in errors
    assert "clients[1] (b): service_account_roles needs service_accounts_enabled: true" in errors
    assert any(e.startswith("clients[2] (c): device_authorization_grant_enabled contradicts") for e in errors)


def test_settings_are_checked() -> None:
    errors = errors_of(desc(settings={"accessTokenLifeSpan": 1, "accessTokenLifespan": "soon", "realm": "x",
                                      "enabled": "yes", "eventsListeners": "jboss-logging"}))
    assert "settings.accessTokenLifeSpan: unknown or unsupported realm setting" in errors
    assert "settings.accessTokenLifespan: expected an integer, got 'soon'" in errors
    assert "settings.realm: the realm name is the module's realm option" in errors
    assert "settings.eventsListeners: expected a list of strings, got 'jboss-logging'" in errors
    assert not any(e.startswith("settings.enabled") for e in errors)


def test_misc_entry_checks() -> None:
    errors = errors_of(desc(realm="", client_scopes=[{"name": "has space"}, {"name": "ok", "protocol_mappers": [
        {"name": "m"}, {"name": "m", "protocol_mapper": "x"}]}], roles=[{"name": "r", "state": "gone"}],
        users=[{"email": "x@y"}]))
    assert "realm: a non-empty name without '/' is required" in errors
    assert any(e.startswith("client_scopes[0] (has space): Keycloak rejects client scope names") for e in errors)
    assert "client_scopes[1] (ok).protocol_mappers[0] (m): protocol_mapper is required (e.g. " \
           "oidc-audience-mapper)" in errors
    assert "client_scopes[1] (ok).protocol_mappers[1]: duplicate protocol mapper name 'm'" in errors
    assert "roles[0] (r): state must be present or absent, not 'gone'" in errors
    assert "users[0]: username is required" in errors


def test_coerce() -> None:
    assert kr.coerce("bool", "Yes") is True and kr.coerce("bool", "off") is False
    assert kr.coerce("int", " 300 ") == 300
    with pytest.raises(ValueError):
        kr.coerce("int", True)
    assert kr.coerce("list", ["b", "a", "b"]) == ["a", "b"]
    assert kr.coerce("dict", {"a": True, "b": 2, "c": None}) == {"a": "true", "b": "2"}


# ---------------------------------------------------------------------------------------------------------------
# normalisation and comparison
# ---------------------------------------------------------------------------------------------------------------
def test_desired_client_defaults_and_attributes() -> None:
    view = kr.desired_client({"client_id": "aegis-cli", "public_client": True, "device_authorization_grant_enabled":
                              True, "redirect_uris": ["b", "a", "a"], "attributes": {"pkce.code.challenge.method":
                                                                                    "S256"}})
    assert view["protocol"] == "openid-connect"
    assert view["enabled"] is True and view["serviceAccountsEnabled"] is False
    assert view["directAccessGrantsEnabled"] is False and view["standardFlowEnabled"] is True
    assert view["redirectUris"] == ["a", "b"] and view["webOrigins"] == []
    assert view["attributes"] == {"pkce.code.challenge.method": "S256",
                                  "oauth2.device.authorization.grant.enabled": "true"}
    assert "name" not in view and "defaultClientScopes" not in view and "secret" not in view


def test_desired_user_lowercases_and_keeps_password_out_of_comparison() -> None:
    view = kr.desired_user({"username": "Alice", "email": "Alice@Example.org", "password": "pw"})
    assert view["username"] == "alice" and view["email"] == "alice@example.org"
    assert kr.changed_fields(view, {"username": "alice", "enabled": True, "email": "alice@example.org"}) == {}


def test_changed_fields_compare_only_what_is_managed() -> None:
    desired = {"clientId": "c", "enabled": True, "description": "", "redirectUris": ["b", "a"],
               "attributes": {"x": "1"}}
    current = {"clientId": "c", "enabled": True, "redirectUris": ["a", "b"], "surrogateAuthRequired": False,
               "attributes": {"x": "1", "backchannel.logout.session.required": "true"}}
    assert kr.changed_fields(desired, current) == {}
    current["attributes"]["x"] = "2"
    current["enabled"] = False
    assert kr.changed_fields(desired, current) == {"attributes.x": ("2", "1"), "enabled": (False, True)}


def test_mapper_changes_compare_config_on_given_keys() -> None:
    desired = {"aud": kr.desired_mapper({"name": "aud", "protocol_mapper": "oidc-audience-mapper",
                                         "config": {"included.client.audience": "x", "access.token.claim": True}}),
               "new": kr.desired_mapper({"name": "new", "protocol_mapper": "oidc-hardcoded-claim-mapper"})}
    current = {"aud": {"id": "m1", "name": "aud", "protocol": "openid-connect",
                       "protocolMapper": "oidc-audience-mapper",
                       "config": {"included.client.audience": "x", "access.token.claim": "true",
                                  "introspection.token.claim": "true"}},
               "Client ID": {"id": "m2", "name": "Client ID", "protocolMapper": "oidc-usersessionmodel-note-mapper"}}
    changes = kr.mapper_changes(desired, current)
    assert [m["name"] for m in changes["create"]] == ["new"] and changes["update"] == []
    current["aud"]["config"]["included.client.audience"] = "y"
    update = kr.mapper_changes(desired, current)["update"]
    assert len(update) == 1
    body = kr.mapper_body(update[0][1], update[0][0])
    assert body["id"] == "m1" and body["config"]["introspection.token.claim"] == "true"  # unmanaged key kept
    assert body["config"]["included.client.audience"] == "x"


def test_client_body_is_the_full_managed_representation() -> None:
    current = {"id": "c1", "clientId": "svc", "secret": "s3cr3t", "serviceAccountsEnabled": True,
               "publicClient": False, "attributes": {"a": "1"}, "protocolMappers": [{"name": "m"}],
               "defaultClientScopes": ["profile"], "optionalClientScopes": [], "access": {"view": True}}
    view = kr.desired_client({"client_id": "svc", "service_accounts_enabled": True, "description": "d",
                              "attributes": {"b": "2"}})
    body = kr.client_body(view, current)
    assert body["serviceAccountsEnabled"] is True and body["protocol"] == "openid-connect"
    assert body["attributes"] == {"a": "1", "b": "2"} and body["secret"] == "s3cr3t"
    assert not {"protocolMappers", "defaultClientScopes", "optionalClientScopes", "access"} & set(body)
    create = kr.client_body(kr.desired_client({"client_id": "x", "optional_client_scopes": ["phone"],
                                               "protocol_mappers": [{"name": "m", "protocol_mapper": "t"}]}))
    assert create["optionalClientScopes"] == ["phone"] and create["protocolMappers"][0]["name"] == "m"
    assert create["protocol"] == "openid-connect"


def test_scope_body_always_sends_the_protocol() -> None:
    view = kr.desired_scope({"name": "agent:run", "include_in_token_scope": True,
                             "protocol_mappers": [{"name": "m", "protocol_mapper": "t", "config": {"k": 1}}]})
    body = kr.scope_body(view)
    assert body["protocol"] == "openid-connect"
    assert body["attributes"] == {"include.in.token.scope": "true"}
    assert body["protocolMappers"] == [{"name": "m", "protocol": "openid-connect", "protocolMapper": "t",
                                        "config": {"k": "1"}}]
    update = kr.scope_body(view, {"id": "s1", "name": "agent:run", "attributes": {"gui.order": ""},
                                  "protocolMappers": []})
    assert "protocolMappers" not in update and update["id"] == "s1" and update["protocol"] == "openid-connect"


# ---------------------------------------------------------------------------------------------------------------
# planning
# ---------------------------------------------------------------------------------------------------------------
def keycloak_state() -> Dict[str, Any]:
    """A snapshot of the realm as Keycloak shows it after the module converged ``full()``."""
    builtin_scopes = [{"id": "id-" + n, "name": n, "protocol": "openid-connect", "attributes": {}}
                      for n in sorted(kr.BUILTIN_OIDC_SCOPES)]
    return {
        "realm": {"id": "r1", "realm": REALM, "enabled": True, "displayName": "AEGIS system",
                  "accessTokenLifespan": 300, "sslRequired": "external", "attributes": {"cibaInterval": "5"}},
        "roles": [{"id": "role-admin", "name": "aegis:admin", "description": "admins"},
                  {"id": "role-ro", "name": "aegis:readonly"},
                  {"id": "role-off", "name": "offline_access", "description": "${role_offline-access}"},
                  {"id": "role-def", "name": "default-roles-aegis-system"}],
        "client_scopes": builtin_scopes + [
            {"id": "s-run", "name": "agent:run", "description": "run agents", "protocol": "openid-connect",
             "attributes": {"include.in.token.scope": "true", "display.on.consent.screen": "false"}}],
        "clients": [
            {"id": "c-orch", "clientId": "aegis-orchestrator", "enabled": True, "publicClient": False,
             "serviceAccountsEnabled": True, "standardFlowEnabled": False, "directAccessGrantsEnabled": False,
             "implicitFlowEnabled": False, "redirectUris": [], "webOrigins": [], "secret": "orch-secret",
             "protocol": "openid-connect", "attributes": {"backchannel.logout.session.required": "true"},
             "defaultClientScopes": ["web-origins", "acr", "profile", "roles", "email"],
             "optionalClientScopes": ["address", "phone", "offline_access", "microprofile-jwt"],
             "protocolMappers": [{"id": "m-cid", "name": "Client ID", "protocol": "openid-connect",
                                  "protocolMapper": "oidc-usersessionmodel-note-mapper", "config": {}}]},
            {"id": "c-work", "clientId": "aegis-temporal-worker", "enabled": True, "publicClient": False,
             "serviceAccountsEnabled": True, "standardFlowEnabled": True, "directAccessGrantsEnabled": False,
             "implicitFlowEnabled": False, "redirectUris": [], "webOrigins": [], "secret": "**********",
             "protocol": "openid-connect", "attributes": {},
             "protocolMappers": [{"id": "m-aud", "name": "aud", "protocol": "openid-connect",
                                  "protocolMapper": "oidc-audience-mapper",
                                  "config": {"included.client.audience": "aegis-orchestrator",
                                             "access.token.claim": "true", "id.token.claim": "false"}}]},
            {"id": "c-cli", "clientId": "aegis-cli", "enabled": True, "publicClient": True,
             "serviceAccountsEnabled": False, "standardFlowEnabled": False, "directAccessGrantsEnabled": False,
             "implicitFlowEnabled": False, "redirectUris": [], "webOrigins": [], "protocol": "openid-connect",
             "attributes": {"oauth2.device.authorization.grant.enabled": "true"},
             "defaultClientScopes": ["web-origins", "acr", "profile", "roles", "email"],
             "optionalClientScopes": ["offline_access", "agent:run"]},
            {"id": "c-adm", "clientId": "admin-cli", "publicClient": True},
        ],
        "users": [{"id": "u-alice", "username": "alice", "enabled": True, "email": "alice@example.org",
                   "emailVerified": False}],
        "role_members": {"aegis:admin": ["alice", "service-account-aegis-orchestrator"], "aegis:readonly": []},
    }


def test_converged_realm_plans_nothing() -> None:
    result = kr.plan(full(), keycloak_state())
    assert result["actions"] == []
    assert result["before"] == result["after"]


def test_missing_realm_plans_creation_in_order() -> None:
    empty = {"realm": None, "roles": [], "client_scopes": [], "clients": [], "users": [], "role_members": {}}
    actions = kr.plan(full(), empty)["actions"]
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
    actions = kr.plan(description, keycloak_state())["actions"]
    assert [a["op"] for a in actions] == ["update_client"]
    body = actions[0]["body"]
    assert body["serviceAccountsEnabled"] is True and body["description"] == "new" and body["id"] == "c-orch"
    assert actions[0]["summary"] == "update client aegis-orchestrator: description: None -> 'new'"


def test_scope_links_and_moves() -> None:
    description = full()
    description["clients"][2]["default_client_scopes"] = ["profile", "offline_access"]
    description["clients"][2]["optional_client_scopes"] = ["agent:run"]
    actions = kr.plan(description, keycloak_state())["actions"]
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
    actions = kr.plan(description, state)["actions"]
    assert [(a["op"], a["roles"]) for a in actions] == [("grant_roles", ["aegis:readonly"]),
                                                        ("revoke_roles", ["aegis:admin"])]
    assert actions[0]["id"] == "u-alice"


def test_mapper_update_and_removal() -> None:
    description = full()
    mappers = description["clients"][1]["protocol_mappers"]
    mappers[0]["config"]["included.client.audience"] = "other"
    mappers.append({"name": "gone", "state": "absent"})
    description["clients"][0]["protocol_mappers"] = [{"name": "Client ID", "state": "absent"}]
    actions = kr.plan(description, keycloak_state())["actions"]
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
    actions = kr.plan(description, state)["actions"]
    assert [a["op"] for a in actions] == ["delete_user", "delete_role"]
    description["purge"] = True
    ops = [(a["op"], a.get("client_id") or a.get("name") or a.get("username")) for a in kr.plan(description,
                                                                                                state)["actions"]]
    assert ops == [("delete_user", "alice"), ("delete_client", "stray"), ("delete_scope", "stray-scope"),
                   ("delete_role", "aegis:readonly")]


def test_realm_settings_update_and_delete() -> None:
    state = keycloak_state()
    description = full()
    description["settings"]["accessTokenLifespan"] = "600"
    description["settings"]["attributes"] = {"cibaInterval": 5, "frontendUrl": "https://id.example"}
    actions = kr.plan(description, state)["actions"]
    assert [a["op"] for a in actions] == ["update_realm"]
    assert actions[0]["body"]["accessTokenLifespan"] == 600
    assert "attributes.frontendUrl: None -> 'https://id.example'" in actions[0]["summary"]
    assert "cibaInterval" not in actions[0]["summary"]
    gone = kr.plan(desc(state="absent"), state)
    assert [a["op"] for a in gone["actions"]] == ["delete_realm"]
    assert kr.plan(desc(state="absent"), {"realm": None})["actions"] == []


def test_secrets_are_masked_in_diff_and_summaries() -> None:
    description = full()
    description["clients"][0]["secret"] = "brand-new-secret"
    result = kr.plan(description, keycloak_state())
    assert result["actions"][0]["summary"] == "update client aegis-orchestrator: secret changed (hidden)"
    assert result["before"]["clients"]["aegis-orchestrator"]["secret"] == kr.MASK
    assert result["after"]["clients"]["aegis-orchestrator"]["secret"] == kr.MASK + " (changed)"
    flat = repr(result["before"]) + repr(result["after"]) + repr([a["summary"] for a in result["actions"]])
    assert "brand-new-secret" not in flat and "orch-secret" not in flat
    created = kr.plan(full(), {"realm": None})
    assert "Initial-Pw-1" not in repr(created["before"]) + repr(created["after"])
    assert created["after"]["users"]["alice"]["password"] == kr.MASK


def test_plan_does_not_mutate_its_inputs() -> None:
    description, state = full(), keycloak_state()
    frozen = (copy.deepcopy(description), copy.deepcopy(state))
    kr.plan(description, state)
    assert (description, state) == frozen


def test_end_state_and_secrets_helpers() -> None:
    state = keycloak_state()
    actions = kr.plan(desc(clients=[{"client_id": "new-one"}], roles=[{"name": "r2"}]), state)["actions"]
    summary = kr.end_state(desc(), state, actions, {"clients": {"new-one": "c-new"}})
    assert summary["clients"]["new-one"] == "c-new" and "r2" in summary["roles"]
    assert summary["users"] == ["alice"] and summary["exists"] is True
    assert kr.end_state(desc(), {"realm": None}, [], {}) == {"realm": REALM, "exists": False}
    assert kr.known_secret({"secret": "**********"}) is None
    assert kr.known_secret({"secret": "abc"}) == "abc"
    assert [c["client_id"] for c in kr.confidential_clients(full())] == ["aegis-orchestrator",
                                                                        "aegis-temporal-worker"]
    assert kr.role_universe(full()) == {"aegis:admin", "aegis:readonly"}
