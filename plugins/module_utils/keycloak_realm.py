# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions behind ``aegis.platform.keycloak_realm``: validate a realm description, normalise it and
Keycloak's representations into comparable views, and plan the writes that make Keycloak match.

Nothing here talks to a server. A *description* uses the module's option names (snake_case); a *snapshot* is
what the module read from Keycloak::

    {"realm": RealmRepresentation or None, "roles": [...], "client_scopes": [...], "clients": [...],
     "users": [...], "role_members": {role name: [usernames, service-account users included]}}

``plan()`` returns ``{"actions": [...], "before": {...}, "after": {...}}``; every action is a dict with an
``op`` (create_role, update_client, link_scope, grant_roles, ...), what it needs, and a ``summary`` line.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

Json = Dict[str, Any]
Action = Dict[str, Any]

OIDC = "openid-connect"
SAML = "saml"
MASK = "********"
KEYCLOAK_MASK = "**********"  # what Keycloak itself shows for a hidden secret
SERVICE_ACCOUNT_PREFIX = "service-account-"
DEVICE_GRANT_ATTRIBUTE = "oauth2.device.authorization.grant.enabled"

# --------------------------------------------------------------------------------------------------------------
# What Keycloak 24 creates in every realm (never purged, may be referenced without being described)
# --------------------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------------------
# Description format
# --------------------------------------------------------------------------------------------------------------
TOP_KEYS = frozenset(["realm", "state", "purge", "settings", "roles", "client_scopes", "clients", "users"])
ROLE_KEYS = frozenset(["name", "description", "state"])
MAPPER_KEYS = frozenset(["name", "protocol", "protocol_mapper", "config", "state"])
SCOPE_KEYS = frozenset(["name", "description", "protocol", "include_in_token_scope", "display_on_consent_screen",
                        "consent_screen_text", "attributes", "protocol_mappers", "state"])
CLIENT_KEYS = frozenset(["client_id", "name", "description", "enabled", "public_client", "service_accounts_enabled",
                         "standard_flow_enabled", "direct_access_grants_enabled", "implicit_flow_enabled",
                         "device_authorization_grant_enabled", "redirect_uris", "web_origins", "root_url",
                         "base_url", "admin_url", "full_scope_allowed", "consent_required", "frontchannel_logout",
                         "attributes", "secret", "default_client_scopes", "optional_client_scopes",
                         "protocol_mappers", "service_account_roles", "state"])
USER_KEYS = frozenset(["username", "enabled", "email", "email_verified", "first_name", "last_name",
                       "required_actions", "realm_roles", "password", "password_temporary", "state"])

# client option -> ClientRepresentation field. ``always``: managed with a default even when not given.
CLIENT_FIELDS: Tuple[Tuple[str, str, Any], ...] = (
    ("name", "name", None),
    ("description", "description", None),
    ("enabled", "enabled", True),
    ("public_client", "publicClient", False),
    ("service_accounts_enabled", "serviceAccountsEnabled", False),
    ("standard_flow_enabled", "standardFlowEnabled", True),
    ("direct_access_grants_enabled", "directAccessGrantsEnabled", False),
    ("implicit_flow_enabled", "implicitFlowEnabled", False),
    ("redirect_uris", "redirectUris", []),
    ("web_origins", "webOrigins", []),
    ("root_url", "rootUrl", None),
    ("base_url", "baseUrl", None),
    ("admin_url", "adminUrl", None),
    ("full_scope_allowed", "fullScopeAllowed", None),
    ("consent_required", "consentRequired", None),
    ("frontchannel_logout", "frontchannelLogout", None),
)
USER_FIELDS: Tuple[Tuple[str, str, Any], ...] = (
    ("enabled", "enabled", True),
    ("email", "email", None),
    ("email_verified", "emailVerified", None),
    ("first_name", "firstName", None),
    ("last_name", "lastName", None),
    ("required_actions", "requiredActions", None),
)
LIST_FIELDS = frozenset(["redirectUris", "webOrigins", "requiredActions", "eventsListeners", "enabledEventTypes",
                         "supportedLocales"])

# RealmRepresentation fields accepted in ``settings`` and their types.
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


class InvalidDescription(ValueError):
    """The realm description is wrong; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("Invalid realm description: " + "; ".join(errors))
        self.errors = list(errors)


# --------------------------------------------------------------------------------------------------------------
# Small value helpers
# --------------------------------------------------------------------------------------------------------------
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


def _same_text(a: Optional[str], b: Optional[str]) -> bool:
    return (a or "") == (b or "")


def _label(kind: str, index: int, name: Any) -> str:
    return "%s[%d]%s" % (kind, index, " (%s)" % name if name else "")


# --------------------------------------------------------------------------------------------------------------
# Validation: everything that can be known before the first request
# --------------------------------------------------------------------------------------------------------------
def _check_keys(errors: List[str], label: str, entry: Any, allowed: frozenset) -> bool:
    if not isinstance(entry, Mapping):
        errors.append("%s: expected a dictionary, got %s" % (label, type(entry).__name__))
        return False
    unknown = sorted(set(entry) - allowed)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        errors.append("%s: unknown key%s %s (allowed: %s)" % (label, plural, ", ".join(unknown),
                                                              ", ".join(sorted(allowed))))
    state = entry.get("state")
    if state is not None and state not in ("present", "absent"):
        errors.append("%s: state must be present or absent, not %r" % (label, state))
    return True


def _check_list(errors: List[str], label: str, value: Any) -> List[Any]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        errors.append("%s: expected a list" % label)
        return []
    return list(value)


def _check_mappers(errors: List[str], owner: str, mappers: Any) -> None:
    seen: Set[str] = set()
    for index, mapper in enumerate(_check_list(errors, owner + ".protocol_mappers", mappers)):
        label = "%s.protocol_mappers[%d]" % (owner, index)
        if not _check_keys(errors, label, mapper, MAPPER_KEYS):
            continue
        name = mapper.get("name")
        if not name:
            errors.append("%s: name is required" % label)
            continue
        if name in seen:
            errors.append("%s: duplicate protocol mapper name %r" % (label, name))
        seen.add(name)
        if is_present(mapper) and not mapper.get("protocol_mapper"):
            errors.append("%s (%s): protocol_mapper is required (e.g. oidc-audience-mapper)" % (label, name))
        if given(mapper, "config") and not isinstance(mapper["config"], Mapping):
            errors.append("%s (%s): config must be a dictionary" % (label, name))


def _check_names(errors: List[str], kind: str, entries: List[Any], key: str, allowed: frozenset,
                 fold_case: bool = False) -> Dict[str, Mapping[str, Any]]:
    """Keys, required name, duplicates. Returns name -> entry for well-formed entries."""
    by_name: Dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(entries):
        label = _label(kind, index, entry.get(key) if isinstance(entry, Mapping) else None)
        if not _check_keys(errors, label, entry, allowed):
            continue
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


def validate(description: Mapping[str, Any]) -> None:
    """Raise InvalidDescription listing every problem; checks keys, duplicates and references."""
    errors: List[str] = []
    unknown = sorted(set(description) - TOP_KEYS)
    if unknown:
        errors.append("unknown top-level key%s %s" % ("s" if len(unknown) > 1 else "", ", ".join(unknown)))
    realm = description.get("realm")
    if not isinstance(realm, str) or not realm.strip() or "/" in realm:
        errors.append("realm: a non-empty name without '/' is required")
        realm = ""
    if description.get("state") not in (None, "present", "absent"):
        errors.append("state must be present or absent")

    settings = description.get("settings") or {}
    if not isinstance(settings, Mapping):
        errors.append("settings: expected a dictionary")
        settings = {}
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

    roles = _check_names(errors, "roles", _check_list(errors, "roles", description.get("roles")), "name", ROLE_KEYS)
    scope_entries = _check_list(errors, "client_scopes", description.get("client_scopes"))
    scopes = _check_names(errors, "client_scopes", scope_entries, "name", SCOPE_KEYS)
    client_entries = _check_list(errors, "clients", description.get("clients"))
    clients = _check_names(errors, "clients", client_entries, "client_id", CLIENT_KEYS)
    user_entries = _check_list(errors, "users", description.get("users"))
    _check_names(errors, "users", user_entries, "username", USER_KEYS, fold_case=True)

    for index, scope in enumerate(scope_entries):
        if not isinstance(scope, Mapping):
            continue
        label = _label("client_scopes", index, scope.get("name"))
        name = scope.get("name")
        if isinstance(name, str) and name and not SCOPE_NAME.match(name):
            errors.append("%s: Keycloak rejects client scope names with spaces or characters outside "
                          "letters, digits and !#$%%&'*+-.^_`|~:" % label)
        if scope.get("protocol") not in (None, OIDC, SAML):
            errors.append("%s: protocol must be openid-connect or saml" % label)
        if given(scope, "attributes") and not isinstance(scope["attributes"], Mapping):
            errors.append("%s: attributes must be a dictionary" % label)
        _check_mappers(errors, label, scope.get("protocol_mappers"))

    present_roles = {n for n, e in roles.items() if is_present(e)}
    absent_roles = {n for n, e in roles.items() if not is_present(e)}
    known_roles = present_roles | (builtin_roles(realm) - absent_roles) if realm else present_roles
    oidc_scopes = {n for n, e in scopes.items() if is_present(e) and (e.get("protocol") or OIDC) == OIDC}
    absent_scopes = {n for n, e in scopes.items() if not is_present(e)}
    usable_scopes = oidc_scopes | (BUILTIN_OIDC_SCOPES - absent_scopes - set(scopes))

    def check_role_refs(label: str, field: str, names: Any) -> None:
        for role in _check_list(errors, "%s.%s" % (label, field), names):
            if role in absent_roles:
                errors.append("%s: %s references role %r, which is marked state: absent" % (label, field, role))
            elif role not in known_roles:
                errors.append("%s: %s references role %r, which is not defined in roles (nor a built-in role)"
                              % (label, field, role))

    for index, client in enumerate(client_entries):
        if not isinstance(client, Mapping):
            continue
        label = _label("clients", index, client.get("client_id"))
        if not is_present(client):
            continue
        for field in ("redirect_uris", "web_origins"):
            _check_list(errors, "%s.%s" % (label, field), client.get(field))
        if given(client, "attributes") and not isinstance(client["attributes"], Mapping):
            errors.append("%s: attributes must be a dictionary" % label)
        elif given(client, "device_authorization_grant_enabled") and given(client, "attributes") and \
                DEVICE_GRANT_ATTRIBUTE in client["attributes"] and \
                stringify(client["attributes"][DEVICE_GRANT_ATTRIBUTE]) != \
                stringify(client["device_authorization_grant_enabled"]):
            errors.append("%s: device_authorization_grant_enabled contradicts attributes[%s]"
                          % (label, DEVICE_GRANT_ATTRIBUTE))
        public = bool(client.get("public_client"))
        if public and client.get("service_accounts_enabled"):
            errors.append("%s: a public client cannot have service accounts" % label)
        if public and given(client, "secret"):
            errors.append("%s: a public client has no secret" % label)
        if given(client, "service_account_roles") and not client.get("service_accounts_enabled"):
            errors.append("%s: service_account_roles needs service_accounts_enabled: true" % label)
        check_role_refs(label, "service_account_roles", client.get("service_account_roles"))
        linked: Dict[str, str] = {}
        for field in ("default_client_scopes", "optional_client_scopes"):
            for scope in _check_list(errors, "%s.%s" % (label, field), client.get(field)):
                if scope in linked:
                    errors.append("%s: client scope %r is listed in both %s and %s"
                                  % (label, scope, linked[scope], field))
                linked[scope] = field
                if scope in absent_scopes:
                    errors.append("%s: %s references client scope %r, which is marked state: absent"
                                  % (label, field, scope))
                elif scope in scopes and scope not in oidc_scopes:
                    errors.append("%s: %s references client scope %r, whose protocol is not openid-connect"
                                  % (label, field, scope))
                elif scope not in usable_scopes:
                    errors.append("%s: %s references client scope %r, which is not defined in client_scopes "
                                  "(nor a Keycloak 24 built-in scope)" % (label, field, scope))
        _check_mappers(errors, label, client.get("protocol_mappers"))

    for index, user in enumerate(user_entries):
        if not isinstance(user, Mapping) or not is_present(user):
            continue
        label = _label("users", index, user.get("username"))
        check_role_refs(label, "realm_roles", user.get("realm_roles"))
        _check_list(errors, label + ".required_actions", user.get("required_actions"))

    del clients  # names checked above
    if errors:
        raise InvalidDescription(errors)


# --------------------------------------------------------------------------------------------------------------
# Desired views (from the description)
# --------------------------------------------------------------------------------------------------------------
def desired_settings(settings: Optional[Mapping[str, Any]]) -> Json:
    view: Json = {"enabled": True}
    for key, value in (settings or {}).items():
        if value is not None:
            view[key] = coerce(SETTINGS_TYPES[key], value)
    return view


def desired_mapper(entry: Mapping[str, Any]) -> Json:
    return {"name": entry["name"], "protocol": entry.get("protocol") or OIDC,
            "protocolMapper": entry.get("protocol_mapper"),
            "config": {str(k): stringify(v) for k, v in (entry.get("config") or {}).items() if v is not None}}


def _desired_mappers(entries: Any) -> Tuple[Dict[str, Json], List[str]]:
    present: Dict[str, Json] = {}
    absent: List[str] = []
    for entry in entries or []:
        if is_present(entry):
            present[entry["name"]] = desired_mapper(entry)
        else:
            absent.append(entry["name"])
    return present, sorted(absent)


def desired_role(entry: Mapping[str, Any]) -> Json:
    view: Json = {"name": entry["name"]}
    if given(entry, "description"):
        view["description"] = entry["description"]
    return view


def desired_scope(entry: Mapping[str, Any]) -> Json:
    attributes = {str(k): stringify(v) for k, v in (entry.get("attributes") or {}).items() if v is not None}
    for option, attribute in (("include_in_token_scope", "include.in.token.scope"),
                              ("display_on_consent_screen", "display.on.consent.screen"),
                              ("consent_screen_text", "consent.screen.text")):
        if given(entry, option):
            attributes[attribute] = stringify(entry[option])
    view: Json = {"name": entry["name"], "protocol": entry.get("protocol") or OIDC, "attributes": attributes}
    if given(entry, "description"):
        view["description"] = entry["description"]
    view["mappers"], view["absent_mappers"] = _desired_mappers(entry.get("protocol_mappers"))
    return view


def desired_client(entry: Mapping[str, Any]) -> Json:
    view: Json = {"clientId": entry["client_id"], "protocol": OIDC}
    for option, field, default in CLIENT_FIELDS:
        value = entry.get(option)
        if value is None:
            value = copy.deepcopy(default)
        if value is None:
            continue
        view[field] = sorted(set(value)) if field in LIST_FIELDS else value
    attributes = {str(k): stringify(v) for k, v in (entry.get("attributes") or {}).items() if v is not None}
    if given(entry, "device_authorization_grant_enabled"):
        attributes[DEVICE_GRANT_ATTRIBUTE] = stringify(entry["device_authorization_grant_enabled"])
    view["attributes"] = attributes
    if given(entry, "secret"):
        view["secret"] = entry["secret"]
    for option, field in (("default_client_scopes", "defaultClientScopes"),
                          ("optional_client_scopes", "optionalClientScopes")):
        if given(entry, option):
            view[field] = sorted(set(entry[option]))
    if given(entry, "service_account_roles"):
        view["serviceAccountRoles"] = sorted(set(entry["service_account_roles"]))
    view["mappers"], view["absent_mappers"] = _desired_mappers(entry.get("protocol_mappers"))
    return view


def desired_user(entry: Mapping[str, Any]) -> Json:
    view: Json = {"username": entry["username"].lower()}
    for option, field, default in USER_FIELDS:
        value = entry.get(option)
        if value is None:
            value = default
        if value is None:
            continue
        if field == "email":
            value = value.lower()
        view[field] = sorted(set(value)) if field in LIST_FIELDS else value
    if given(entry, "realm_roles"):
        view["realmRoles"] = sorted(set(entry["realm_roles"]))
    if given(entry, "password"):
        view["password"] = entry["password"]
        view["passwordTemporary"] = bool(entry.get("password_temporary"))
    return view


# --------------------------------------------------------------------------------------------------------------
# Current views (from Keycloak's representations)
# --------------------------------------------------------------------------------------------------------------
def current_mappers(rep: Mapping[str, Any]) -> Dict[str, Json]:
    return {m["name"]: {"id": m.get("id"), "name": m["name"], "protocol": m.get("protocol"),
                        "protocolMapper": m.get("protocolMapper"), "config": dict(m.get("config") or {})}
            for m in rep.get("protocolMappers") or []}


def current_scope(rep: Mapping[str, Any]) -> Json:
    view: Json = {"id": rep.get("id"), "name": rep["name"], "protocol": rep.get("protocol"),
                  "description": rep.get("description"), "attributes": dict(rep.get("attributes") or {}),
                  "mappers": current_mappers(rep)}
    return view


def members_of(role_members: Mapping[str, Iterable[str]], username: str) -> Set[str]:
    return {role for role, users in role_members.items() if username in set(users)}


def service_account_username(client_id: str) -> str:
    return (SERVICE_ACCOUNT_PREFIX + client_id).lower()


def current_client(rep: Mapping[str, Any], role_members: Mapping[str, Iterable[str]]) -> Json:
    view: Json = {"id": rep.get("id"), "clientId": rep["clientId"], "protocol": rep.get("protocol")}
    for _option, field, _default in CLIENT_FIELDS:
        value = rep.get(field)
        view[field] = sorted(set(value or [])) if field in LIST_FIELDS else value
    view["attributes"] = dict(rep.get("attributes") or {})
    view["secret"] = rep.get("secret")
    view["defaultClientScopes"] = sorted(rep.get("defaultClientScopes") or [])
    view["optionalClientScopes"] = sorted(rep.get("optionalClientScopes") or [])
    view["serviceAccountRoles"] = sorted(members_of(role_members, service_account_username(rep["clientId"])))
    view["mappers"] = current_mappers(rep)
    return view


def current_user(rep: Mapping[str, Any], role_members: Mapping[str, Iterable[str]]) -> Json:
    view: Json = {"id": rep.get("id"), "username": rep["username"]}
    for _option, field, _default in USER_FIELDS:
        value = rep.get(field)
        view[field] = sorted(set(value or [])) if field in LIST_FIELDS else value
    view["realmRoles"] = sorted(members_of(role_members, rep["username"]))
    return view


# --------------------------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------------------------
INTERNAL_KEYS = frozenset(["id", "name", "clientId", "username", "mappers", "absent_mappers", "password",
                           "passwordTemporary", "defaultClientScopes", "optionalClientScopes", "serviceAccountRoles",
                           "realmRoles"])


def same_value(desired: Any, current: Any) -> bool:
    if isinstance(desired, str) or isinstance(current, str):
        if desired is None or current is None:
            return _same_text(desired, current)
        return str(desired) == str(current)
    if isinstance(desired, list):
        return sorted(desired) == sorted(current or [])
    return desired == current


def changed_fields(desired: Mapping[str, Any], current: Mapping[str, Any],
                   skip: Iterable[str] = INTERNAL_KEYS) -> Dict[str, Tuple[Any, Any]]:
    """``{field: (current, desired)}`` for every managed field that differs; attributes compared key by key."""
    skipped = set(skip)
    changes: Dict[str, Tuple[Any, Any]] = {}
    for field, value in desired.items():
        if field in skipped:
            continue
        if field == "attributes":
            have = current.get("attributes") or {}
            for key, wanted in value.items():
                if have.get(key) != wanted:
                    changes["attributes." + key] = (have.get(key), wanted)
            continue
        if not same_value(value, current.get(field)):
            changes[field] = (current.get(field), value)
    return changes


def mapper_changes(desired: Mapping[str, Json], current: Mapping[str, Json]) -> Dict[str, List[Any]]:
    """Mappers to create (desired views), update ((current, desired)) - config compared on the keys given."""
    create: List[Json] = []
    update: List[Tuple[Json, Json]] = []
    for name, wanted in sorted(desired.items()):
        have = current.get(name)
        if have is None:
            create.append(wanted)
            continue
        config = have.get("config") or {}
        if have.get("protocolMapper") != wanted["protocolMapper"] or \
                (have.get("protocol") or wanted["protocol"]) != wanted["protocol"] or \
                any(config.get(k) != v for k, v in wanted["config"].items()):
            update.append((have, wanted))
    return {"create": create, "update": update}


# --------------------------------------------------------------------------------------------------------------
# Representations to send
# --------------------------------------------------------------------------------------------------------------
def mapper_body(view: Mapping[str, Any], current: Optional[Mapping[str, Any]] = None) -> Json:
    """Keycloak replaces a mapper's config on PUT: keep the keys we do not manage."""
    config = dict((current or {}).get("config") or {})
    config.update(view["config"])
    body: Json = {"name": view["name"], "protocol": view["protocol"], "protocolMapper": view["protocolMapper"],
                  "config": config}
    if current and current.get("id"):
        body["id"] = current["id"]
    return body


def scope_body(view: Mapping[str, Any], current_rep: Optional[Mapping[str, Any]] = None) -> Json:
    body: Json = {}
    if current_rep:
        body = {k: copy.deepcopy(v) for k, v in current_rep.items() if k != "protocolMappers"}
    body["name"] = view["name"]
    body["protocol"] = view["protocol"]  # always: a scope without protocol is never linked to OIDC clients
    if "description" in view:
        body["description"] = view["description"]
    attributes = dict(body.get("attributes") or {})
    attributes.update(view["attributes"])
    body["attributes"] = attributes
    if not current_rep and view["mappers"]:
        body["protocolMappers"] = [mapper_body(m) for _n, m in sorted(view["mappers"].items())]
    return body


CLIENT_REP_DROP = ("protocolMappers", "defaultClientScopes", "optionalClientScopes", "access")


def client_body(view: Mapping[str, Any], current_rep: Optional[Mapping[str, Any]] = None) -> Json:
    """The full managed representation: a client PUT drops service accounts unless the flag is in the body."""
    body: Json = {}
    if current_rep:
        body = {k: copy.deepcopy(v) for k, v in current_rep.items() if k not in CLIENT_REP_DROP}
    body["clientId"] = view["clientId"]
    body["protocol"] = OIDC
    for _option, field, _default in CLIENT_FIELDS:
        if field in view:
            body[field] = copy.deepcopy(view[field])
    attributes = dict(body.get("attributes") or {})
    attributes.update(view["attributes"])
    body["attributes"] = attributes
    if "secret" in view:
        body["secret"] = view["secret"]
    if not current_rep:
        for field in ("defaultClientScopes", "optionalClientScopes"):
            if field in view:
                body[field] = list(view[field])
        if view["mappers"]:
            body["protocolMappers"] = [mapper_body(m) for _n, m in sorted(view["mappers"].items())]
    return body


def user_body(view: Mapping[str, Any], current_rep: Optional[Mapping[str, Any]] = None) -> Json:
    body: Json = {}
    if current_rep:
        body = {k: copy.deepcopy(v) for k, v in current_rep.items() if k not in ("access",)}
    body["username"] = view["username"]
    for _option, field, _default in USER_FIELDS:
        if field in view:
            body[field] = copy.deepcopy(view[field])
    if not current_rep and "password" in view:
        body["credentials"] = [{"type": "password", "value": view["password"],
                                "temporary": view["passwordTemporary"]}]
    return body


# --------------------------------------------------------------------------------------------------------------
# Masking and human-readable views
# --------------------------------------------------------------------------------------------------------------
def mask(value: Any) -> Optional[str]:
    return None if value in (None, "") else MASK


def _describe(changes: Mapping[str, Tuple[Any, Any]], secret_fields: Iterable[str] = ("secret",)) -> str:
    hidden = set(secret_fields)
    parts = []
    for field, (before, after) in sorted(changes.items()):
        if field in hidden:
            parts.append("%s changed (hidden)" % field)
        else:
            parts.append("%s: %r -> %r" % (field, before, after))
    return ", ".join(parts)


def _mapper_display(view: Mapping[str, Any], keys: Optional[Iterable[str]] = None) -> Json:
    config = view.get("config") or {}
    if keys is not None:
        config = {k: config.get(k) for k in keys}
    return {"protocolMapper": view.get("protocolMapper"), "config": dict(sorted(config.items()))}


def display_view(view: Mapping[str, Any], desired: Mapping[str, Any]) -> Json:
    """What --diff shows of one object: the fields the description manages, secrets masked."""
    shown: Json = {}
    for field in sorted(desired):
        if field in ("id", "mappers", "absent_mappers", "passwordTemporary"):
            continue
        if field == "attributes":
            have = view.get("attributes") or {}
            shown["attributes"] = {k: have.get(k) for k in sorted(desired["attributes"])}
        elif field in ("secret", "password"):
            value = view.get(field)
            shown[field] = value if str(value or "").startswith(MASK) else mask(value)
        else:
            shown[field] = copy.deepcopy(view.get(field))
    if desired.get("mappers") or desired.get("absent_mappers"):
        mappers = view.get("mappers") or {}
        names = sorted(set(desired.get("mappers", {})) | set(desired.get("absent_mappers", [])))
        shown["protocolMappers"] = {
            n: _mapper_display(mappers[n], desired.get("mappers", {}).get(n, {}).get("config", {}))
            for n in names if n in mappers}
    return shown


def _after_view(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any]) -> Json:
    merged: Json = copy.deepcopy(dict(current or {}))
    for field, value in desired.items():
        if field == "attributes":
            attributes = dict(merged.get("attributes") or {})
            attributes.update(value)
            merged["attributes"] = attributes
        elif field == "mappers":
            mappers = dict(merged.get("mappers") or {})
            for name, mapper in value.items():
                have = mappers.get(name) or {}
                config = dict(have.get("config") or {})
                config.update(mapper["config"])
                mappers[name] = dict(mapper, config=config)
            for name in desired.get("absent_mappers", []):
                mappers.pop(name, None)
            merged["mappers"] = mappers
        else:
            merged[field] = copy.deepcopy(value)
    if current and "secret" in desired and current.get("secret") != desired["secret"]:
        merged["secret"] = MASK + " (changed)"
    return merged


# --------------------------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------------------------
def _entries(description: Mapping[str, Any], key: str) -> List[Mapping[str, Any]]:
    return list(description.get(key) or [])


def role_universe(description: Mapping[str, Any]) -> Set[str]:
    """Roles whose members the module reads: roles described as present and roles referenced."""
    names = {r["name"] for r in _entries(description, "roles") if is_present(r)}
    for client in _entries(description, "clients"):
        if is_present(client):
            names |= set(client.get("service_account_roles") or [])
    for user in _entries(description, "users"):
        if is_present(user):
            names |= set(user.get("realm_roles") or [])
    return names


def plan(description: Mapping[str, Any], snapshot: Mapping[str, Any]) -> Json:
    """Compare a validated description with a snapshot; return the actions and the before/after views."""
    realm_name = description["realm"]
    purge = bool(description.get("purge"))
    actions: List[Action] = []
    before: Json = {}
    after: Json = {}
    realm_rep = snapshot.get("realm")

    if (description.get("state") or "present") == "absent":
        if realm_rep is not None:
            actions.append({"op": "delete_realm", "summary": "delete realm %s" % realm_name})
            before["realm"] = {"realm": realm_name, "exists": True}
            after["realm"] = {"realm": realm_name, "exists": False}
        return {"actions": actions, "before": before, "after": after}

    # realm settings ----------------------------------------------------------------------------------------------
    settings = desired_settings(description.get("settings"))
    if realm_rep is None:
        actions.append({"op": "create_realm", "body": dict(settings, realm=realm_name),
                        "summary": "create realm %s" % realm_name})
        before["settings"] = None
        after["settings"] = dict(settings)
    else:
        changes = changed_fields(settings, realm_rep, skip=())
        before["settings"] = display_view(realm_rep, settings)
        after["settings"] = display_view(_after_view(realm_rep, settings), settings)
        if changes:
            actions.append({"op": "update_realm", "body": dict(settings, realm=realm_name),
                            "summary": "update realm %s: %s" % (realm_name, _describe(changes))})

    role_members: Mapping[str, Iterable[str]] = snapshot.get("role_members") or {}
    deletions: List[Action] = []

    # roles ----------------------------------------------------------------------------------------------------------
    current_roles = {r["name"]: r for r in snapshot.get("roles") or []}
    before["roles"], after["roles"] = {}, {}
    described_roles = set()
    for entry in _entries(description, "roles"):
        name = entry["name"]
        described_roles.add(name)
        have = current_roles.get(name)
        if not is_present(entry):
            if have is not None:
                deletions.append({"op": "delete_role", "name": name, "summary": "delete role %s" % name})
                before["roles"][name] = {"description": have.get("description")}
            continue
        view = desired_role(entry)
        after["roles"][name] = {k: v for k, v in view.items() if k != "name"}
        if have is None:
            actions.append({"op": "create_role", "name": name, "body": dict(view),
                            "summary": "create role %s" % name})
            continue
        before["roles"][name] = {k: have.get(k) for k in view if k != "name"}
        changes = changed_fields(view, have)
        if changes:
            body = {"name": name, "description": view.get("description", have.get("description"))}
            actions.append({"op": "update_role", "name": name, "body": body,
                            "summary": "update role %s: %s" % (name, _describe(changes))})
    if purge:
        for name in sorted(set(current_roles) - described_roles - builtin_roles(realm_name)):
            deletions.append({"op": "delete_role", "name": name, "summary": "delete role %s (purge)" % name})
            before["roles"][name] = {"description": current_roles[name].get("description")}

    # client scopes ----------------------------------------------------------------------------------------------
    current_scope_reps = {s["name"]: s for s in snapshot.get("client_scopes") or []}
    before["client_scopes"], after["client_scopes"] = {}, {}
    described_scopes = set()
    for entry in _entries(description, "client_scopes"):
        name = entry["name"]
        described_scopes.add(name)
        rep = current_scope_reps.get(name)
        if not is_present(entry):
            if rep is not None:
                deletions.append({"op": "delete_scope", "name": name, "id": rep.get("id"),
                                  "summary": "delete client scope %s" % name})
                before["client_scopes"][name] = {"exists": True}
            continue
        view = desired_scope(entry)
        if rep is None:
            actions.append({"op": "create_scope", "name": name, "body": scope_body(view),
                            "summary": "create client scope %s" % name})
            after["client_scopes"][name] = display_view(_after_view(None, view), view)
            continue
        have = current_scope(rep)
        before["client_scopes"][name] = display_view(have, view)
        after["client_scopes"][name] = display_view(_after_view(have, view), view)
        changes = changed_fields(view, have)
        if changes:
            actions.append({"op": "update_scope", "name": name, "id": rep.get("id"),
                            "body": scope_body(view, rep),
                            "summary": "update client scope %s: %s" % (name, _describe(changes))})
        actions.extend(_mapper_actions("client-scopes", "client scope", name, rep.get("id"), view, have))
    if purge:
        for name in sorted(set(current_scope_reps) - described_scopes - BUILTIN_SCOPES):
            deletions.append({"op": "delete_scope", "name": name, "id": current_scope_reps[name].get("id"),
                              "summary": "delete client scope %s (purge)" % name})
            before["client_scopes"][name] = {"exists": True}

    # clients --------------------------------------------------------------------------------------------------------
    current_client_reps = {c["clientId"]: c for c in snapshot.get("clients") or []}
    scope_ids = {n: r.get("id") for n, r in current_scope_reps.items()}
    before["clients"], after["clients"] = {}, {}
    described_clients = set()
    grants: List[Action] = []
    for entry in _entries(description, "clients"):
        client_id = entry["client_id"]
        described_clients.add(client_id)
        rep = current_client_reps.get(client_id)
        if not is_present(entry):
            if rep is not None:
                deletions.append({"op": "delete_client", "client_id": client_id, "id": rep.get("id"),
                                  "summary": "delete client %s" % client_id})
                before["clients"][client_id] = {"exists": True}
            continue
        view = desired_client(entry)
        have = current_client(rep, role_members) if rep is not None else None
        after["clients"][client_id] = display_view(_after_view(have, view), view)
        if rep is None:
            fill = []
            if ("defaultClientScopes" in view) != ("optionalClientScopes" in view):
                fill = ["default" if "defaultClientScopes" not in view else "optional"]
            actions.append({"op": "create_client", "client_id": client_id, "body": client_body(view),
                            "fill_scopes": fill, "summary": "create client %s" % client_id})
            current_roles_of = set()  # type: Set[str]
        else:
            before["clients"][client_id] = display_view(have, view)
            changes = changed_fields(view, have)
            if changes:
                actions.append({"op": "update_client", "client_id": client_id, "id": rep.get("id"),
                                "body": client_body(view, rep),
                                "summary": "update client %s: %s" % (client_id, _describe(changes))})
            actions.extend(_link_actions(client_id, rep.get("id"), view, have, scope_ids))
            actions.extend(_mapper_actions("clients", "client", client_id, rep.get("id"), view, have))
            current_roles_of = set(have["serviceAccountRoles"])
        if "serviceAccountRoles" in view and view.get("serviceAccountsEnabled"):
            grants.extend(_role_actions("service_account", client_id, rep.get("id") if rep else None,
                                        set(view["serviceAccountRoles"]), current_roles_of,
                                        role_universe(description)))
    if purge:
        protected = builtin_clients(realm_name, current_client_reps)
        for client_id in sorted(set(current_client_reps) - described_clients - protected):
            deletions.append({"op": "delete_client", "client_id": client_id,
                              "id": current_client_reps[client_id].get("id"),
                              "summary": "delete client %s (purge)" % client_id})
            before["clients"][client_id] = {"exists": True}

    # users ----------------------------------------------------------------------------------------------------------
    current_user_reps = {u["username"]: u for u in snapshot.get("users") or []}
    before["users"], after["users"] = {}, {}
    described_users = set()
    for entry in _entries(description, "users"):
        username = entry["username"].lower()
        described_users.add(username)
        rep = current_user_reps.get(username)
        if not is_present(entry):
            if rep is not None:
                deletions.append({"op": "delete_user", "username": username, "id": rep.get("id"),
                                  "summary": "delete user %s" % username})
                before["users"][username] = {"exists": True}
            continue
        view = desired_user(entry)
        have = current_user(rep, role_members) if rep is not None else None
        shown = dict(view)
        if rep is not None:
            shown.pop("password", None)  # an initial password only: never compared, never re-sent
        after["users"][username] = display_view(_after_view(have, shown), shown)
        if rep is None:
            actions.append({"op": "create_user", "username": username, "body": user_body(view),
                            "summary": "create user %s" % username})
            current_roles_of = set()
        else:
            before["users"][username] = display_view(have, shown)
            changes = changed_fields(view, have)
            if changes:
                actions.append({"op": "update_user", "username": username, "id": rep.get("id"),
                                "body": user_body(view, rep),
                                "summary": "update user %s: %s" % (username, _describe(changes))})
            current_roles_of = set(have["realmRoles"])
        if "realmRoles" in view:
            grants.extend(_role_actions("user", username, rep.get("id") if rep else None,
                                        set(view["realmRoles"]), current_roles_of, role_universe(description)))
    if purge:
        for username in sorted(set(current_user_reps) - described_users):
            deletions.append({"op": "delete_user", "username": username, "id": current_user_reps[username].get("id"),
                              "summary": "delete user %s (purge)" % username})
            before["users"][username] = {"exists": True}

    order = {"delete_user": 0, "delete_client": 1, "delete_scope": 2, "delete_role": 3}
    deletions.sort(key=lambda a: order[a["op"]])
    actions.extend(grants)
    actions.extend(deletions)
    return {"actions": actions, "before": before, "after": after}


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


# --------------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------------
def end_state(description: Mapping[str, Any], snapshot: Mapping[str, Any], actions: Sequence[Action],
              created: Mapping[str, Mapping[str, Optional[str]]]) -> Json:
    """Realm summary after the actions: names of roles, scopes, users; ``clients`` maps clientId -> id."""
    realm_name = description["realm"]
    ops = {a["op"] for a in actions}
    if "delete_realm" in ops or (snapshot.get("realm") is None and "create_realm" not in ops):
        return {"realm": realm_name, "exists": False}
    settings = desired_settings(description.get("settings"))
    rep = dict(snapshot.get("realm") or {})
    rep.update(settings)

    def names(kind: str, key: str, create_op: str, delete_op: str, field: str) -> List[str]:
        current = {r[key] for r in snapshot.get(kind) or []}
        current |= {a[field] for a in actions if a["op"] == create_op}
        current -= {a[field] for a in actions if a["op"] == delete_op}
        return sorted(current)

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
        "roles": names("roles", "name", "create_role", "delete_role", "name"),
        "client_scopes": names("client_scopes", "name", "create_scope", "delete_scope", "name"),
        "clients": dict(sorted(clients.items())),
        "users": names("users", "username", "create_user", "delete_user", "username"),
    }


def confidential_clients(description: Mapping[str, Any]) -> List[Mapping[str, Any]]:
    return [c for c in _entries(description, "clients") if is_present(c) and not c.get("public_client")]


def known_secret(rep: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The secret a client listing shows, unless Keycloak masked it."""
    secret = (rep or {}).get("secret")
    if not secret or secret == KEYCLOAK_MASK:
        return None
    return secret
