# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparable views of realm objects: *desired* views from the description's entries, *current* views from
Keycloak's representations, the comparison of the two, the representations to send, and what ``--diff`` shows
(secrets masked). Views use Keycloak's field names (camelCase); nothing here talks to a server.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_schema import (
    DEVICE_GRANT_ATTRIBUTE,
    OIDC,
    SETTINGS_TYPES,
    coerce,
    given,
    is_present,
    stringify,
)

Json = Dict[str, Any]

MASK = "********"
SERVICE_ACCOUNT_PREFIX = "service-account-"

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
            return (desired or "") == (current or "")
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


def role_body(view: Mapping[str, Any], current_rep: Optional[Mapping[str, Any]] = None) -> Json:
    """A role PUT replaces the description: keep Keycloak's when the description manages none."""
    if current_rep is None:
        return dict(view)
    return {"name": view["name"], "description": view.get("description", current_rep.get("description"))}


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


def describe_changes(changes: Mapping[str, Tuple[Any, Any]], secret_fields: Iterable[str] = ("secret",)) -> str:
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


def after_view(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any]) -> Json:
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
