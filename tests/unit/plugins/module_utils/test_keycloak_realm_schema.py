"""The keycloak_realm description: what its argument spec refuses (Ansible's own messages) and what validate()
adds - duplicates, references, realm settings, contradictions - all before any request."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from realm_samples import REALM, accepted, desc, full, spec_errors

from ansible_collections.aegis.platform.plugins.module_utils import keycloak_realm_schema as schema
from ansible_collections.aegis.platform.plugins.module_utils.keycloak import keycloak_argument_spec


def errors_of(description: Dict[str, Any]) -> List[str]:
    with pytest.raises(schema.InvalidDescription) as caught:
        schema.validate(accepted(description))
    return caught.value.errors


# ---------------------------------------------------------------------------------------------------------------
# the argument spec: the one list of accepted keys
# ---------------------------------------------------------------------------------------------------------------
def test_a_good_description_validates() -> None:
    schema.validate(full())


def test_unknown_keys_are_refused_by_the_spec_at_every_level() -> None:
    description = full()
    description["bogus"] = 1
    description["clients"][2]["redirect_uri"] = ["x"]
    description["clients"][1]["protocol_mappers"][0]["configuration"] = {}
    description["users"][0]["first"] = "A"
    errors = spec_errors(description)
    assert len(errors) == 1
    assert errors[0].startswith("bogus, clients.protocol_mappers.configuration, clients.redirect_uri, users.first. "
                                "Supported parameters include: ")


def test_choices_and_required_names_are_the_spec_s() -> None:
    errors = spec_errors({"realm": REALM, "roles": [{"name": "r", "state": "gone"}], "users": [{"email": "x@y"}],
                          "client_scopes": [{"name": "s", "protocol": "oidc"}]})
    assert errors == ["value of state must be one of: present, absent, got: gone found in roles",
                      "value of protocol must be one of: openid-connect, saml, got: oidc found in client_scopes",
                      "missing required arguments: username found in users"]


def test_the_description_is_the_spec_s_options_without_the_connection() -> None:
    params = dict({k: "x" for k in keycloak_argument_spec()}, **full())
    description = schema.description_from(params)
    assert set(description) == set(schema.realm_argument_spec())
    assert not set(description) & set(keycloak_argument_spec())
    assert description["clients"] == full()["clients"]


def test_spec_fills_defaults_the_planner_relies_on() -> None:
    client = full()["clients"][0]
    assert client["enabled"] is True and client["public_client"] is False and client["redirect_uris"] == []
    assert client["state"] == "present" and client["secret"] is None


# ---------------------------------------------------------------------------------------------------------------
# what validate() adds
# ---------------------------------------------------------------------------------------------------------------
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


def test_a_builtin_scope_described_as_absent_is_not_usable() -> None:
    description = full()
    description["client_scopes"].append({"name": "phone", "state": "absent"})
    description["clients"][2]["optional_client_scopes"] = ["phone"]
    assert errors_of(description) == ["clients[2] (aegis-cli): optional_client_scopes references client scope "
                                      "'phone', which is marked state: absent"]


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


def test_entries_marked_absent_are_not_checked_for_references() -> None:
    description = full()
    description["users"][0].update(state="absent", realm_roles=["aegis:auditor"])
    schema.validate(accepted(description))


def test_master_admin_role_is_builtin_only_in_master() -> None:
    clients = [{"client_id": "automation", "service_accounts_enabled": True, "service_account_roles": ["admin"]}]
    schema.validate(desc(realm="master", clients=clients))
    assert any("'admin', which is not defined" in e for e in errors_of(desc(clients=clients)))


def test_client_consistency_rules() -> None:
    errors = errors_of(desc(clients=[
        {"client_id": "a", "public_client": True, "service_accounts_enabled": True, "secret": "s"},
        {"client_id": "b", "service_account_roles": []},
        {"client_id": "c", "device_authorization_grant_enabled": True,
         "attributes": {"oauth2.device.authorization.grant.enabled": "false"}},
    ]))
    assert errors[:4] == ["clients[0] (a): a public client cannot have service accounts",
                          "clients[0] (a): a public client has no secret",
                          "clients[1] (b): service_account_roles needs service_accounts_enabled: true",
                          "clients[2] (c): device_authorization_grant_enabled contradicts "
                          "attributes[oauth2.device.authorization.grant.enabled]"]


def test_settings_are_checked() -> None:
    errors = errors_of(desc(settings={"accessTokenLifeSpan": 1, "accessTokenLifespan": "soon", "realm": "x",
                                      "enabled": "yes", "eventsListeners": "jboss-logging"}))
    assert "settings.accessTokenLifeSpan: unknown or unsupported realm setting" in errors
    assert "settings.accessTokenLifespan: expected an integer, got 'soon'" in errors
    assert "settings.realm: the realm name is the module's realm option" in errors
    assert "settings.eventsListeners: expected a list of strings, got 'jboss-logging'" in errors
    assert not any(e.startswith("settings.enabled") for e in errors)


def test_what_the_spec_lets_through_but_keycloak_refuses() -> None:
    errors = errors_of(desc(realm="", client_scopes=[{"name": "has space"}, {"name": "ok", "protocol_mappers": [
        {"name": "m"}, {"name": "m", "protocol_mapper": "x"}]}], users=[{"username": " "}]))
    assert errors == [
        "realm: a non-empty name without '/' is required",
        "users[0] ( ): username is required",
        "client_scopes[0] (has space): Keycloak rejects client scope names with spaces or characters outside "
        "letters, digits and !#$%&'*+-.^_`|~:",
        "client_scopes[1] (ok).protocol_mappers[0] (m): protocol_mapper is required (e.g. oidc-audience-mapper)",
        "client_scopes[1] (ok).protocol_mappers[1]: duplicate protocol mapper name 'm'",
    ]


def test_coerce() -> None:
    assert schema.coerce("bool", "Yes") is True and schema.coerce("bool", "off") is False
    assert schema.coerce("int", " 300 ") == 300
    with pytest.raises(ValueError):
        schema.coerce("int", True)
    assert schema.coerce("list", ["b", "a", "b"]) == ["a", "b"]
    assert schema.coerce("dict", {"a": True, "b": 2, "c": None}) == {"a": "true", "b": "2"}
