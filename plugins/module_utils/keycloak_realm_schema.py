# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The realm description accepted by ``aegis.platform.keycloak_realm``: its argument spec (the one list of accepted
options; Ansible checks keys, types, choices and required names against it), what Keycloak 24 builds into every
realm, and ``validate()`` for what a spec cannot say (duplicates, references, realm settings, consistency).

A *description* is the module's parameters without the connection options, as Ansible hands them over.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Set

OIDC = "openid-connect"
SAML = "saml"
DEVICE_GRANT_ATTRIBUTE = "oauth2.device.authorization.grant.enabled"

_STATE = dict(type="str", choices=["present", "absent"], default="present")
_MAPPER = dict(
    name=dict(type="str", required=True),
    protocol_mapper=dict(type="str"),
    protocol=dict(type="str", default=OIDC),
    config=dict(type="dict", default={}),
    state=_STATE,
)


def realm_argument_spec() -> Dict[str, Any]:
    """Options of the realm description (the connection options come from ``keycloak_argument_spec``)."""
    return dict(
        realm=dict(type="str", required=True),
        state=_STATE,
        purge=dict(type="bool", default=False),
        settings=dict(type="dict", default={}),
        roles=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            state=_STATE,
        )),
        client_scopes=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            protocol=dict(type="str", choices=[OIDC, SAML], default=OIDC),
            include_in_token_scope=dict(type="bool"),
            display_on_consent_screen=dict(type="bool"),
            consent_screen_text=dict(type="str"),
            attributes=dict(type="dict"),
            protocol_mappers=dict(type="list", elements="dict", options=_MAPPER),
            state=_STATE,
        )),
        clients=dict(type="list", elements="dict", default=[], options=dict(
            client_id=dict(type="str", required=True),
            name=dict(type="str"),
            description=dict(type="str"),
            enabled=dict(type="bool", default=True),
            public_client=dict(type="bool", default=False),
            service_accounts_enabled=dict(type="bool", default=False),
            standard_flow_enabled=dict(type="bool", default=True),
            direct_access_grants_enabled=dict(type="bool", default=False),
            implicit_flow_enabled=dict(type="bool", default=False),
            device_authorization_grant_enabled=dict(type="bool"),
            redirect_uris=dict(type="list", elements="str", default=[]),
            web_origins=dict(type="list", elements="str", default=[]),
            root_url=dict(type="str"),
            base_url=dict(type="str"),
            admin_url=dict(type="str"),
            full_scope_allowed=dict(type="bool"),
            consent_required=dict(type="bool"),
            frontchannel_logout=dict(type="bool"),
            attributes=dict(type="dict"),
            secret=dict(type="str", no_log=True),
            default_client_scopes=dict(type="list", elements="str"),
            optional_client_scopes=dict(type="list", elements="str"),
            protocol_mappers=dict(type="list", elements="dict", options=_MAPPER),
            service_account_roles=dict(type="list", elements="str"),
            state=_STATE,
        )),
        users=dict(type="list", elements="dict", default=[], options=dict(
            username=dict(type="str", required=True),
            enabled=dict(type="bool", default=True),
            email=dict(type="str"),
            email_verified=dict(type="bool"),
            first_name=dict(type="str"),
            last_name=dict(type="str"),
            required_actions=dict(type="list", elements="str"),
            realm_roles=dict(type="list", elements="str"),
            password=dict(type="str", no_log=True),
            password_temporary=dict(type="bool", default=False),
            state=_STATE,
        )),
    )


def description_from(params: Mapping[str, Any]) -> Dict[str, Any]:
    """The realm description among a module's parameters: the options of ``realm_argument_spec``."""
    return {key: params.get(key) for key in realm_argument_spec()}


# ---------------------------------------------------------------------------------------------------------------
# What Keycloak 24 creates in every realm (never purged, may be referenced without being described)
# ---------------------------------------------------------------------------------------------------------------
BUILTIN_OIDC_SCOPES = frozenset(["acr", "address", "email", "microprofile-jwt", "offline_access", "phone",
                                 "profile", "roles", "web-origins"])
BUILTIN_SCOPES = BUILTIN_OIDC_SCOPES | frozenset(["role_list"])
BUILTIN_CLIENTS = frozenset(["account", "account-console", "admin-cli", "broker", "realm-management",
                             "security-admin-console"])
MASTER_ONLY_ROLES = frozenset(["admin", "create-realm"])


def builtin_roles(realm: str) -> Set[str]:
    roles = {"offline_access", "uma_authorization", "default-roles-%s" % realm.lower()}
    if realm == "master":
        roles |= MASTER_ONLY_ROLES
    return roles


def builtin_clients(realm: str, existing: Iterable[str] = ()) -> Set[str]:
    """Built-in clients; in master also the ``<realm>-realm`` clients Keycloak makes for every realm."""
    names = set(BUILTIN_CLIENTS)
    if realm == "master":
        names |= {c for c in existing if c.endswith("-realm")}
    return names


# ---------------------------------------------------------------------------------------------------------------
# Realm settings: a free dict in the spec, so their names and types are checked here
# ---------------------------------------------------------------------------------------------------------------
_BOOL_SETTINGS = ("enabled", "registrationAllowed", "registrationEmailAsUsername", "rememberMe", "verifyEmail",
                  "loginWithEmailAllowed", "duplicateEmailsAllowed", "resetPasswordAllowed", "editUsernameAllowed",
                  "bruteForceProtected", "permanentLockout", "revokeRefreshToken", "offlineSessionMaxLifespanEnabled",
                  "eventsEnabled", "adminEventsEnabled", "adminEventsDetailsEnabled", "internationalizationEnabled",
                  "userManagedAccessAllowed", "otpPolicyCodeReusable")
_INT_SETTINGS = ("accessTokenLifespan", "accessTokenLifespanForImplicitFlow", "ssoSessionIdleTimeout",
                 "ssoSessionMaxLifespan", "ssoSessionIdleTimeoutRememberMe", "ssoSessionMaxLifespanRememberMe",
                 "offlineSessionIdleTimeout", "offlineSessionMaxLifespan", "clientSessionIdleTimeout",
                 "clientSessionMaxLifespan", "clientOfflineSessionIdleTimeout", "clientOfflineSessionMaxLifespan",
                 "accessCodeLifespan", "accessCodeLifespanUserAction", "accessCodeLifespanLogin",
                 "actionTokenGeneratedByAdminLifespan", "actionTokenGeneratedByUserLifespan",
                 "oauth2DeviceCodeLifespan", "oauth2DevicePollingInterval", "refreshTokenMaxReuse",
                 "maxFailureWaitSeconds", "minimumQuickLoginWaitSeconds", "waitIncrementSeconds",
                 "quickLoginCheckMilliSeconds", "maxDeltaTimeSeconds", "failureFactor", "maxTemporaryLockouts",
                 "otpPolicyDigits", "otpPolicyPeriod", "otpPolicyLookAheadWindow", "otpPolicyInitialCounter")
_STR_SETTINGS = ("displayName", "displayNameHtml", "sslRequired", "defaultSignatureAlgorithm", "loginTheme",
                 "accountTheme", "adminTheme", "emailTheme", "defaultLocale", "passwordPolicy", "otpPolicyType",
                 "otpPolicyAlgorithm", "browserFlow", "registrationFlow", "directGrantFlow", "resetCredentialsFlow",
                 "clientAuthenticationFlow", "dockerAuthenticationFlow", "firstBrokerLoginFlow")
_LIST_SETTINGS = ("eventsListeners", "enabledEventTypes", "supportedLocales")
SETTINGS_TYPES: Dict[str, str] = {}
SETTINGS_TYPES.update({k: "bool" for k in _BOOL_SETTINGS})
SETTINGS_TYPES.update({k: "int" for k in _INT_SETTINGS})
SETTINGS_TYPES.update({k: "str" for k in _STR_SETTINGS})
SETTINGS_TYPES.update({k: "list" for k in _LIST_SETTINGS})
SETTINGS_TYPES["attributes"] = "dict"

# Keycloak's rule for client scope names (ClientScopeResource.validateClientScopeName)
SCOPE_NAME = re.compile(r"^[\w!#$%&'*+\-.^`|~:]+$")


def stringify(value: Any) -> str:
    """Keycloak keeps attributes and mapper config as strings: ``True`` -> ``"true"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def coerce(kind: str, value: Any) -> Any:
    """Coerce a settings value to its type; raises ValueError (message names the expected type)."""
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1", "false", "no", "off", "0"):
            return value.strip().lower() in ("true", "yes", "on", "1")
        raise ValueError("expected a boolean")
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError("expected an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.match(r"^-?\d+$", value.strip()):
            return int(value.strip())
        raise ValueError("expected an integer")
    if kind == "str":
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ValueError("expected a string")
    if kind == "list":
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return sorted(set(value))
        raise ValueError("expected a list of strings")
    if kind == "dict":
        if isinstance(value, Mapping):
            return {str(k): stringify(v) for k, v in value.items() if v is not None}
        raise ValueError("expected a dictionary")
    raise ValueError("unknown type %s" % kind)


def given(entry: Mapping[str, Any], key: str) -> bool:
    """A key counts as given when present and not None (Ansible fills unset suboptions with None)."""
    return entry.get(key) is not None


def is_present(entry: Mapping[str, Any]) -> bool:
    return (entry.get("state") or "present") == "present"


def entries(description: Mapping[str, Any], key: str) -> List[Mapping[str, Any]]:
    """The entries of one list option (None, as a caller may pass, counts as none)."""
    return list(description.get(key) or [])


# ---------------------------------------------------------------------------------------------------------------
# Validation: what the argument spec cannot say, all of it before the first request
# ---------------------------------------------------------------------------------------------------------------
class InvalidDescription(ValueError):
    """The realm description is wrong; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("Invalid realm description: " + "; ".join(errors))
        self.errors = list(errors)


def _label(kind: str, index: int, name: Any) -> str:
    return "%s[%d]%s" % (kind, index, " (%s)" % name if name else "")


def _check_names(errors: List[str], kind: str, items: List[Mapping[str, Any]], key: str,
                 fold_case: bool = False) -> Dict[str, Mapping[str, Any]]:
    """Names given and unique. Returns name -> entry."""
    by_name: Dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(items):
        label = _label(kind, index, entry.get(key))
        name = entry.get(key)
        if not isinstance(name, str) or not name.strip():
            errors.append("%s: %s is required" % (label, key))
            continue
        ident = name.lower() if fold_case else name
        if ident in by_name:
            errors.append("%s: duplicate %s %r" % (label, key, name))
            continue
        by_name[ident] = entry
    return by_name


def _check_mappers(errors: List[str], owner: str, mappers: Any) -> None:
    seen: Set[str] = set()
    for index, mapper in enumerate(mappers or []):
        label = "%s.protocol_mappers[%d]" % (owner, index)
        name = mapper.get("name")
        if not name:
            errors.append("%s: name is required" % label)
            continue
        if name in seen:
            errors.append("%s: duplicate protocol mapper name %r" % (label, name))
        seen.add(name)
        if is_present(mapper) and not mapper.get("protocol_mapper"):
            errors.append("%s (%s): protocol_mapper is required (e.g. oidc-audience-mapper)" % (label, name))


def _check_settings(errors: List[str], settings: Mapping[str, Any]) -> None:
    for key, value in settings.items():
        if key in ("realm", "id"):
            errors.append("settings.%s: the realm name is the module's realm option" % key)
        elif key not in SETTINGS_TYPES:
            errors.append("settings.%s: unknown or unsupported realm setting" % key)
        elif value is not None:
            try:
                coerce(SETTINGS_TYPES[key], value)
            except ValueError as err:
                errors.append("settings.%s: %s, got %r" % (key, err, value))


def _check_client(errors: List[str], label: str, client: Mapping[str, Any]) -> None:
    """Options that contradict each other (Keycloak would refuse or silently ignore one of them)."""
    attributes = client.get("attributes") or {}
    if given(client, "device_authorization_grant_enabled") and DEVICE_GRANT_ATTRIBUTE in attributes and \
            stringify(attributes[DEVICE_GRANT_ATTRIBUTE]) != stringify(client["device_authorization_grant_enabled"]):
        errors.append("%s: device_authorization_grant_enabled contradicts attributes[%s]"
                      % (label, DEVICE_GRANT_ATTRIBUTE))
    public = bool(client.get("public_client"))
    if public and client.get("service_accounts_enabled"):
        errors.append("%s: a public client cannot have service accounts" % label)
    if public and given(client, "secret"):
        errors.append("%s: a public client has no secret" % label)
    if given(client, "service_account_roles") and not client.get("service_accounts_enabled"):
        errors.append("%s: service_account_roles needs service_accounts_enabled: true" % label)


class _References:
    """Roles and client scopes an entry may reference: described as present, or built into every realm."""

    def __init__(self, realm: str, roles: Mapping[str, Mapping[str, Any]],
                 scopes: Mapping[str, Mapping[str, Any]]) -> None:
        self.absent_roles = {n for n, e in roles.items() if not is_present(e)}
        present_roles = set(roles) - self.absent_roles
        self.known_roles = present_roles | (builtin_roles(realm) - self.absent_roles) if realm else present_roles
        self.scopes = scopes
        self.absent_scopes = {n for n, e in scopes.items() if not is_present(e)}
        self.oidc_scopes = {n for n, e in scopes.items() if is_present(e) and (e.get("protocol") or OIDC) == OIDC}
        self.usable_scopes = self.oidc_scopes | (BUILTIN_OIDC_SCOPES - set(scopes))

    def check_roles(self, errors: List[str], label: str, field: str, names: Any) -> None:
        for role in names or []:
            if role in self.absent_roles:
                errors.append("%s: %s references role %r, which is marked state: absent" % (label, field, role))
            elif role not in self.known_roles:
                errors.append("%s: %s references role %r, which is not defined in roles (nor a built-in role)"
                              % (label, field, role))

    def check_scopes(self, errors: List[str], label: str, client: Mapping[str, Any]) -> None:
        linked: Dict[str, str] = {}
        for field in ("default_client_scopes", "optional_client_scopes"):
            for scope in client.get(field) or []:
                if scope in linked:
                    errors.append("%s: client scope %r is listed in both %s and %s"
                                  % (label, scope, linked[scope], field))
                linked[scope] = field
                if scope in self.absent_scopes:
                    errors.append("%s: %s references client scope %r, which is marked state: absent"
                                  % (label, field, scope))
                elif scope in self.scopes and scope not in self.oidc_scopes:
                    errors.append("%s: %s references client scope %r, whose protocol is not openid-connect"
                                  % (label, field, scope))
                elif scope not in self.usable_scopes:
                    errors.append("%s: %s references client scope %r, which is not defined in client_scopes "
                                  "(nor a Keycloak 24 built-in scope)" % (label, field, scope))


def validate(description: Mapping[str, Any]) -> None:
    """Raise InvalidDescription listing every problem; the description has passed the argument spec."""
    errors: List[str] = []
    realm = description.get("realm")
    if not isinstance(realm, str) or not realm.strip() or "/" in realm:
        errors.append("realm: a non-empty name without '/' is required")
        realm = ""
    _check_settings(errors, description.get("settings") or {})

    roles = _check_names(errors, "roles", entries(description, "roles"), "name")
    scopes = _check_names(errors, "client_scopes", entries(description, "client_scopes"), "name")
    _check_names(errors, "clients", entries(description, "clients"), "client_id")
    _check_names(errors, "users", entries(description, "users"), "username", fold_case=True)
    references = _References(realm, roles, scopes)

    for index, scope in enumerate(entries(description, "client_scopes")):
        label = _label("client_scopes", index, scope.get("name"))
        name = scope.get("name")
        if isinstance(name, str) and name and not SCOPE_NAME.match(name):
            errors.append("%s: Keycloak rejects client scope names with spaces or characters outside "
                          "letters, digits and !#$%%&'*+-.^_`|~:" % label)
        _check_mappers(errors, label, scope.get("protocol_mappers"))

    for index, client in enumerate(entries(description, "clients")):
        if not is_present(client):
            continue
        label = _label("clients", index, client.get("client_id"))
        _check_client(errors, label, client)
        references.check_roles(errors, label, "service_account_roles", client.get("service_account_roles"))
        references.check_scopes(errors, label, client)
        _check_mappers(errors, label, client.get("protocol_mappers"))

    for index, user in enumerate(entries(description, "users")):
        if is_present(user):
            label = _label("users", index, user.get("username"))
            references.check_roles(errors, label, "realm_roles", user.get("realm_roles"))

    if errors:
        raise InvalidDescription(errors)
