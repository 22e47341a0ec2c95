"""Normalisation of keycloak_realm objects: desired and current views, their comparison, and the representations
sent to Keycloak (no server)."""

from __future__ import annotations

from ansible_collections.aegis.platform.plugins.module_utils import keycloak_realm_views as views


def test_desired_client_defaults_and_attributes() -> None:
    view = views.desired_client({"client_id": "aegis-cli", "public_client": True,
                                 "device_authorization_grant_enabled": True, "redirect_uris": ["b", "a", "a"],
                                 "attributes": {"pkce.code.challenge.method": "S256"}})
    assert view["protocol"] == "openid-connect"
    assert view["enabled"] is True and view["serviceAccountsEnabled"] is False
    assert view["directAccessGrantsEnabled"] is False and view["standardFlowEnabled"] is True
    assert view["redirectUris"] == ["a", "b"] and view["webOrigins"] == []
    assert view["attributes"] == {"pkce.code.challenge.method": "S256",
                                  "oauth2.device.authorization.grant.enabled": "true"}
    assert "name" not in view and "defaultClientScopes" not in view and "secret" not in view


def test_desired_user_lowercases_and_keeps_password_out_of_comparison() -> None:
    view = views.desired_user({"username": "Alice", "email": "Alice@Example.org", "password": "pw"})
    assert view["username"] == "alice" and view["email"] == "alice@example.org"
    assert views.changed_fields(view, {"username": "alice", "enabled": True, "email": "alice@example.org"}) == {}


def test_changed_fields_compare_only_what_is_managed() -> None:
    desired = {"clientId": "c", "enabled": True, "description": "", "redirectUris": ["b", "a"],
               "attributes": {"x": "1"}}
    current = {"clientId": "c", "enabled": True, "redirectUris": ["a", "b"], "surrogateAuthRequired": False,
               "attributes": {"x": "1", "backchannel.logout.session.required": "true"}}
    assert views.changed_fields(desired, current) == {}
    current["attributes"]["x"] = "2"
    current["enabled"] = False
    assert views.changed_fields(desired, current) == {"attributes.x": ("2", "1"), "enabled": (False, True)}


def test_mapper_changes_compare_config_on_given_keys() -> None:
    desired = {"aud": views.desired_mapper({"name": "aud", "protocol_mapper": "oidc-audience-mapper",
                                            "config": {"included.client.audience": "x", "access.token.claim": True}}),
               "new": views.desired_mapper({"name": "new", "protocol_mapper": "oidc-hardcoded-claim-mapper"})}
    current = {"aud": {"id": "m1", "name": "aud", "protocol": "openid-connect",
                       "protocolMapper": "oidc-audience-mapper",
                       "config": {"included.client.audience": "x", "access.token.claim": "true",
                                  "introspection.token.claim": "true"}},
               "Client ID": {"id": "m2", "name": "Client ID", "protocolMapper": "oidc-usersessionmodel-note-mapper"}}
    changes = views.mapper_changes(desired, current)
    assert [m["name"] for m in changes["create"]] == ["new"] and changes["update"] == []
    current["aud"]["config"]["included.client.audience"] = "y"
    update = views.mapper_changes(desired, current)["update"]
    assert len(update) == 1
    body = views.mapper_body(update[0][1], update[0][0])
    assert body["id"] == "m1" and body["config"]["introspection.token.claim"] == "true"  # unmanaged key kept
    assert body["config"]["included.client.audience"] == "x"


def test_client_body_is_the_full_managed_representation() -> None:
    current = {"id": "c1", "clientId": "svc", "secret": "s3cr3t", "serviceAccountsEnabled": True,
               "publicClient": False, "attributes": {"a": "1"}, "protocolMappers": [{"name": "m"}],
               "defaultClientScopes": ["profile"], "optionalClientScopes": [], "access": {"view": True}}
    view = views.desired_client({"client_id": "svc", "service_accounts_enabled": True, "description": "d",
                                 "attributes": {"b": "2"}})
    body = views.client_body(view, current)
    assert body["serviceAccountsEnabled"] is True and body["protocol"] == "openid-connect"
    assert body["attributes"] == {"a": "1", "b": "2"} and body["secret"] == "s3cr3t"
    assert not {"protocolMappers", "defaultClientScopes", "optionalClientScopes", "access"} & set(body)
    create = views.client_body(views.desired_client({"client_id": "x", "optional_client_scopes": ["phone"],
                                                     "protocol_mappers": [{"name": "m", "protocol_mapper": "t"}]}))
    assert create["optionalClientScopes"] == ["phone"] and create["protocolMappers"][0]["name"] == "m"
    assert create["protocol"] == "openid-connect"


def test_scope_body_always_sends_the_protocol() -> None:
    view = views.desired_scope({"name": "agent:run", "include_in_token_scope": True,
                                "protocol_mappers": [{"name": "m", "protocol_mapper": "t", "config": {"k": 1}}]})
    body = views.scope_body(view)
    assert body["protocol"] == "openid-connect"
    assert body["attributes"] == {"include.in.token.scope": "true"}
    assert body["protocolMappers"] == [{"name": "m", "protocol": "openid-connect", "protocolMapper": "t",
                                        "config": {"k": "1"}}]
    update = views.scope_body(view, {"id": "s1", "name": "agent:run", "attributes": {"gui.order": ""},
                                     "protocolMappers": []})
    assert "protocolMappers" not in update and update["id"] == "s1" and update["protocol"] == "openid-connect"
