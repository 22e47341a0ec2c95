"""Shared samples for the keycloak_realm unit tests: descriptions as Ansible hands them to the module (checked
against the module's argument spec) and a snapshot of Keycloak after the module converged ``full()``."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_schema import (
    BUILTIN_OIDC_SCOPES,
    realm_argument_spec,
)

REALM = "aegis-system"


def spec_errors(description: Dict[str, Any]) -> List[str]:
    """Ansible's own messages for what the argument spec rejects."""
    return ArgumentSpecValidator(realm_argument_spec()).validate(copy.deepcopy(description)).error_messages


def accepted(description: Dict[str, Any]) -> Dict[str, Any]:
    """The description as the module receives it: spec-checked, defaults filled, unset suboptions None."""
    result = ArgumentSpecValidator(realm_argument_spec()).validate(copy.deepcopy(description))
    assert result.error_messages == []
    return result.validated_parameters


def desc(**parts: Any) -> Dict[str, Any]:
    base: Dict[str, Any] = {"realm": REALM}
    base.update(parts)
    return accepted(base)


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


EMPTY_REALM: Dict[str, Any] = {"realm": None, "roles": [], "client_scopes": [], "clients": [], "users": [],
                               "role_members": {}}


def keycloak_state() -> Dict[str, Any]:
    """A snapshot of the realm as Keycloak shows it after the module converged ``full()``."""
    builtin_scopes = [{"id": "id-" + n, "name": n, "protocol": "openid-connect", "attributes": {}}
                      for n in sorted(BUILTIN_OIDC_SCOPES)]
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
