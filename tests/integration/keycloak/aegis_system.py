"""The aegis-system realm as the upstream bootstrap defines it, written as a keycloak_realm description."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

# The resource:action scopes of upstream's bootstrap-keycloak.sh (ADR-093), all optional on aegis-cli.
RESOURCE_ACTION_SCOPES: List[str] = [
    "agent:deploy", "agent:read", "agent:list", "agent:execute", "agent:generate", "agent:logs", "agent:delete",
    "workflow:deploy", "workflow:read", "workflow:list", "workflow:run", "workflow:validate", "workflow:generate",
    "workflow:logs", "workflow:signal", "workflow:cancel", "workflow:delete",
    "execution:read", "execution:list", "execution:stream", "execution:logs", "execution:cancel", "execution:remove",
    "swarm:read", "swarm:list", "swarm:cancel",
    "secret:read", "secret:write", "secret:list", "secret:delete", "secret:rotate",
    "credential:read", "credential:list", "credential:create", "credential:delete", "credential:rotate",
    "credential:grant",
    "approval:read", "approval:list", "approval:approve", "approval:reject",
    "stimulus:ingest",
    "node:read", "node:list", "node:register", "node:deregister", "node:drain", "node:shutdown",
    "stack:read", "stack:up", "stack:down", "stack:restart", "stack:update", "stack:uninstall",
    "key:read", "key:list", "key:create", "key:revoke",
    "tenant:read", "tenant:list", "tenant:onboard", "tenant:provision",
]

ROLES = ["aegis:admin", "aegis:operator", "aegis:readonly"]
CONFIDENTIAL = ["aegis-orchestrator", "aegis-temporal-worker", "aegis-openbao"]
USER_PASSWORD = "Initial-User-Pw-9731"


def description() -> Dict[str, Any]:
    """Module arguments (without the auth_* options) for the full aegis-system realm."""
    desc: Dict[str, Any] = {
        "realm": "aegis-system",
        "settings": {"displayName": "AEGIS system", "accessTokenLifespan": 300, "ssoSessionIdleTimeout": 1800},
        "roles": [{"name": r, "description": "AEGIS %s role" % r} for r in ROLES],
        "client_scopes": [{"name": s, "description": "Fine-grained scope: %s" % s, "include_in_token_scope": True,
                           "display_on_consent_screen": False} for s in RESOURCE_ACTION_SCOPES],
        "clients": [
            {"client_id": "aegis-orchestrator", "description": "AEGIS orchestrator runtime",
             "service_accounts_enabled": True, "standard_flow_enabled": False,
             "service_account_roles": ["aegis:admin"]},
            {"client_id": "aegis-temporal-worker", "description": "Temporal worker",
             "service_accounts_enabled": True, "standard_flow_enabled": False,
             "service_account_roles": ["aegis:operator"],
             "protocol_mappers": [{"name": "aegis-orchestrator-audience", "protocol_mapper": "oidc-audience-mapper",
                                   "config": {"included.client.audience": "aegis-orchestrator",
                                              "id.token.claim": False, "access.token.claim": True}}]},
            {"client_id": "aegis-openbao", "description": "OpenBao OIDC login", "standard_flow_enabled": True,
             "redirect_uris": ["http://aegis-secrets:8200/ui/vault/auth/oidc/oidc/callback",
                               "http://localhost:8250/oidc/callback"]},
            {"client_id": "aegis-cli", "description": "AEGIS CLI", "public_client": True,
             "standard_flow_enabled": False, "device_authorization_grant_enabled": True,
             "default_client_scopes": ["web-origins", "acr", "profile", "roles", "email"],
             "optional_client_scopes": ["offline_access"] + RESOURCE_ACTION_SCOPES},
        ],
        "users": [
            {"username": "aegis-admin", "email": "admin@aegis.example", "email_verified": True,
             "first_name": "Aegis", "last_name": "Admin", "realm_roles": ["aegis:admin"],
             "password": USER_PASSWORD},
            {"username": "aegis-viewer", "realm_roles": ["aegis:readonly"]},
        ],
    }
    return copy.deepcopy(desc)
