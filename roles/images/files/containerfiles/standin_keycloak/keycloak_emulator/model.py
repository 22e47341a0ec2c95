"""Keycloak 24 object model: realms, roles, client scopes, clients, users, and the rules Keycloak applies to them.

Every method works on the JSON-serialisable state document (see storage.py) and raises ApiError with the
status and body Keycloak 24 answers with. Representations returned are fresh copies.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
import string
import time
import uuid
from typing import Any, Dict, Iterable, List, Optional, Tuple

from . import tokens

OIDC = "openid-connect"
SAML = "saml"
SERVICE_ACCOUNT_PREFIX = "service-account-"
PBKDF2_ITERATIONS = 27500

Json = Dict[str, Any]


class ApiError(Exception):
    """An HTTP error answer: status and JSON body."""

    def __init__(self, status: int, body: Optional[Json] = None) -> None:
        super().__init__("%s %s" % (status, body))
        self.status = status
        self.body = body


def not_found(message: str) -> ApiError:
    return ApiError(404, {"error": message, "error_description": "For more on this error consult the server log."})


def conflict(message: str) -> ApiError:
    return ApiError(409, {"errorMessage": message})


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"errorMessage": message})


def new_id() -> str:
    return str(uuid.uuid4())


def now_ms() -> int:
    return int(time.time() * 1000)


def generate_secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def hash_password(password: str) -> Json:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)
    return {"algorithm": "pbkdf2-sha256", "iterations": PBKDF2_ITERATIONS, "salt": salt.hex(), "hash": digest.hex()}


def check_password(credential: Json, password: str) -> bool:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(credential["salt"]),
                                 credential["iterations"])
    return hmac.compare_digest(digest.hex(), credential["hash"])


def stringify(value: Any) -> Optional[str]:
    """Keycloak keeps attribute and mapper config values as strings."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------------------------------------------
# Defaults Keycloak 24 fills in
# --------------------------------------------------------------------------------------------------------------

REALM_DEFAULTS: Json = {
    "notBefore": 0,
    "defaultSignatureAlgorithm": "RS256",
    "revokeRefreshToken": False,
    "refreshTokenMaxReuse": 0,
    "accessTokenLifespan": 300,
    "accessTokenLifespanForImplicitFlow": 900,
    "ssoSessionIdleTimeout": 1800,
    "ssoSessionMaxLifespan": 36000,
    "ssoSessionIdleTimeoutRememberMe": 0,
    "ssoSessionMaxLifespanRememberMe": 0,
    "offlineSessionIdleTimeout": 2592000,
    "offlineSessionMaxLifespanEnabled": False,
    "offlineSessionMaxLifespan": 5184000,
    "clientSessionIdleTimeout": 0,
    "clientSessionMaxLifespan": 0,
    "clientOfflineSessionIdleTimeout": 0,
    "clientOfflineSessionMaxLifespan": 0,
    "accessCodeLifespan": 60,
    "accessCodeLifespanUserAction": 300,
    "accessCodeLifespanLogin": 1800,
    "actionTokenGeneratedByAdminLifespan": 43200,
    "actionTokenGeneratedByUserLifespan": 300,
    "oauth2DeviceCodeLifespan": 600,
    "oauth2DevicePollingInterval": 5,
    "enabled": False,
    "sslRequired": "external",
    "registrationAllowed": False,
    "registrationEmailAsUsername": False,
    "rememberMe": False,
    "verifyEmail": False,
    "loginWithEmailAllowed": True,
    "duplicateEmailsAllowed": False,
    "resetPasswordAllowed": False,
    "editUsernameAllowed": False,
    "bruteForceProtected": False,
    "permanentLockout": False,
    "maxTemporaryLockouts": 0,
    "maxFailureWaitSeconds": 900,
    "minimumQuickLoginWaitSeconds": 60,
    "waitIncrementSeconds": 60,
    "quickLoginCheckMilliSeconds": 1000,
    "maxDeltaTimeSeconds": 43200,
    "failureFactor": 30,
    "requiredCredentials": ["password"],
    "otpPolicyType": "totp",
    "otpPolicyAlgorithm": "HmacSHA1",
    "otpPolicyInitialCounter": 0,
    "otpPolicyDigits": 6,
    "otpPolicyLookAheadWindow": 1,
    "otpPolicyPeriod": 30,
    "otpPolicyCodeReusable": False,
    "otpSupportedApplications": ["totpAppFreeOTPName", "totpAppGoogleName", "totpAppMicrosoftAuthenticatorName"],
    "localizationTexts": {},
    "browserSecurityHeaders": {
        "contentSecurityPolicyReportOnly": "",
        "xContentTypeOptions": "nosniff",
        "referrerPolicy": "no-referrer",
        "xRobotsTag": "none",
        "xFrameOptions": "SAMEORIGIN",
        "contentSecurityPolicy": "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
        "xXSSProtection": "1; mode=block",
        "strictTransportSecurity": "max-age=31536000; includeSubDomains",
    },
    "smtpServer": {},
    "eventsEnabled": False,
    "eventsListeners": ["jboss-logging"],
    "enabledEventTypes": [],
    "adminEventsEnabled": False,
    "adminEventsDetailsEnabled": False,
    "identityProviders": [],
    "identityProviderMappers": [],
    "internationalizationEnabled": False,
    "supportedLocales": [],
    "browserFlow": "browser",
    "registrationFlow": "registration",
    "directGrantFlow": "direct grant",
    "resetCredentialsFlow": "reset credentials",
    "clientAuthenticationFlow": "clients",
    "dockerAuthenticationFlow": "docker auth",
    "firstBrokerLoginFlow": "first broker login",
    "attributes": {
        "cibaBackchannelTokenDeliveryMode": "poll",
        "cibaExpiresIn": "120",
        "cibaAuthRequestedUserHint": "login_hint",
        "oauth2DeviceCodeLifespan": "600",
        "oauth2DevicePollingInterval": "5",
        "parRequestUriLifespan": "60",
        "cibaInterval": "5",
        "realmReusableOtpCode": "false",
    },
    "userManagedAccessAllowed": False,
}

# Fields of RealmRepresentation that the emulator stores but never replaces wholesale from a PUT.
REALM_READ_ONLY = {"id", "defaultRole", "roles", "clients", "users", "clientScopes", "groups"}

# The built-in OIDC client scopes of a Keycloak 24 realm: (name, default?, description, include in token scope,
# display on consent screen, consent text, mappers). No ``basic`` scope: it arrived in Keycloak 25.
_USER_ATTR = "oidc-usermodel-attribute-mapper"
_USER_PROP = "oidc-usermodel-property-mapper"


def _claim_mapper(name: str, mapper: str, claim: str, attribute: Optional[str] = None, json_type: str = "String",
                  userinfo: bool = True, extra: Optional[Json] = None) -> Json:
    config: Json = {
        "introspection.token.claim": "true",
        "userinfo.token.claim": stringify(userinfo),
        "id.token.claim": "true",
        "access.token.claim": "true",
        "claim.name": claim,
        "jsonType.label": json_type,
    }
    if attribute is not None:
        config["user.attribute"] = attribute
    config.update(extra or {})
    return {"name": name, "protocol": OIDC, "protocolMapper": mapper, "consentRequired": False, "config": config}


BUILTIN_OIDC_SCOPES: List[Tuple[str, bool, str, bool, bool, str, List[Json]]] = [
    ("profile", True, "OpenID Connect built-in scope: profile", True, True, "${profileScopeConsentText}", [
        {"name": "full name", "protocol": OIDC, "protocolMapper": "oidc-full-name-mapper", "consentRequired": False,
         "config": {"id.token.claim": "true", "introspection.token.claim": "true", "access.token.claim": "true",
                    "userinfo.token.claim": "true"}},
        _claim_mapper("family name", _USER_PROP, "family_name", "lastName"),
        _claim_mapper("given name", _USER_PROP, "given_name", "firstName"),
        _claim_mapper("username", _USER_PROP, "preferred_username", "username"),
        _claim_mapper("locale", _USER_ATTR, "locale", "locale"),
        _claim_mapper("updated at", _USER_ATTR, "updated_at", "updatedAt", "long"),
    ]),
    ("email", True, "OpenID Connect built-in scope: email", True, True, "${emailScopeConsentText}", [
        _claim_mapper("email", _USER_PROP, "email", "email"),
        _claim_mapper("email verified", _USER_PROP, "email_verified", "emailVerified", "boolean"),
    ]),
    ("address", False, "OpenID Connect built-in scope: address", True, True, "${addressScopeConsentText}", [
        {"name": "address", "protocol": OIDC, "protocolMapper": "oidc-address-mapper", "consentRequired": False,
         "config": {"user.attribute.formatted": "formatted", "user.attribute.country": "country",
                    "introspection.token.claim": "true", "user.attribute.postal_code": "postal_code",
                    "userinfo.token.claim": "true", "user.attribute.street": "street", "id.token.claim": "true",
                    "user.attribute.region": "region", "access.token.claim": "true",
                    "user.attribute.locality": "locality"}},
    ]),
    ("phone", False, "OpenID Connect built-in scope: phone", True, True, "${phoneScopeConsentText}", [
        _claim_mapper("phone number", _USER_ATTR, "phone_number", "phoneNumber"),
        _claim_mapper("phone number verified", _USER_ATTR, "phone_number_verified", "phoneNumberVerified",
                      "boolean"),
    ]),
    ("offline_access", False, "OpenID Connect built-in scope: offline_access", True, True,
     "${offlineAccessScopeConsentText}", []),
    ("roles", True, "OpenID Connect scope for add user roles to the access token", False, True,
     "${rolesScopeConsentText}", [
         {"name": "realm roles", "protocol": OIDC, "protocolMapper": "oidc-usermodel-realm-role-mapper",
          "consentRequired": False,
          "config": {"introspection.token.claim": "true", "multivalued": "true", "user.attribute": "foo",
                     "access.token.claim": "true", "claim.name": "realm_access.roles", "jsonType.label": "String"}},
         {"name": "client roles", "protocol": OIDC, "protocolMapper": "oidc-usermodel-client-role-mapper",
          "consentRequired": False,
          "config": {"introspection.token.claim": "true", "multivalued": "true", "user.attribute": "foo",
                     "access.token.claim": "true", "claim.name": "resource_access.${client_id}.roles",
                     "jsonType.label": "String"}},
         {"name": "audience resolve", "protocol": OIDC, "protocolMapper": "oidc-audience-resolve-mapper",
          "consentRequired": False, "config": {"introspection.token.claim": "true", "access.token.claim": "true"}},
     ]),
    ("web-origins", True, "OpenID Connect scope for add allowed web origins to the access token", False, False, "",
     [{"name": "allowed web origins", "protocol": OIDC, "protocolMapper": "oidc-allowed-origins-mapper",
       "consentRequired": False, "config": {"introspection.token.claim": "true", "access.token.claim": "true"}}]),
    ("microprofile-jwt", False, "Microprofile - JWT built-in scope", True, False, "", [
        _claim_mapper("upn", _USER_PROP, "upn", "username"),
        {"name": "groups", "protocol": OIDC, "protocolMapper": "oidc-usermodel-realm-role-mapper",
         "consentRequired": False,
         "config": {"introspection.token.claim": "true", "multivalued": "true", "user.attribute": "foo",
                    "id.token.claim": "true", "access.token.claim": "true", "claim.name": "groups",
                    "jsonType.label": "String"}},
    ]),
    ("acr", True, "OpenID Connect scope for add acr (authentication context class reference) to the token", False,
     False, "", [
         {"name": "acr loa level", "protocol": OIDC, "protocolMapper": "oidc-acr-mapper", "consentRequired": False,
          "config": {"id.token.claim": "true", "introspection.token.claim": "true", "access.token.claim": "true"}},
     ]),
]

BUILTIN_CLIENTS: List[Json] = [
    {"clientId": "account", "name": "${client_account}", "publicClient": True, "baseUrl": "/realms/{realm}/account/",
     "rootUrl": "${authBaseUrl}", "redirectUris": ["/realms/{realm}/account/*"]},
    {"clientId": "account-console", "name": "${client_account-console}", "publicClient": True,
     "baseUrl": "/realms/{realm}/account/", "rootUrl": "${authBaseUrl}",
     "redirectUris": ["/realms/{realm}/account/*"], "attributes": {"pkce.code.challenge.method": "S256"}},
    {"clientId": "admin-cli", "name": "${client_admin-cli}", "publicClient": True, "standardFlowEnabled": False,
     "directAccessGrantsEnabled": True, "fullScopeAllowed": False},
    {"clientId": "broker", "name": "${client_broker}", "bearerOnly": True, "fullScopeAllowed": False},
    {"clientId": "realm-management", "name": "${client_realm-management}", "bearerOnly": True,
     "fullScopeAllowed": False},
    {"clientId": "security-admin-console", "name": "${client_security-admin-console}", "publicClient": True,
     "baseUrl": "/admin/{realm}/console/", "rootUrl": "${authAdminUrl}",
     "redirectUris": ["/admin/{realm}/console/*"], "webOrigins": ["+"],
     "attributes": {"pkce.code.challenge.method": "S256"}},
]

CLIENT_FIELDS_BOOL = ("enabled", "alwaysDisplayInConsole", "surrogateAuthRequired", "bearerOnly", "consentRequired",
                      "standardFlowEnabled", "implicitFlowEnabled", "directAccessGrantsEnabled",
                      "serviceAccountsEnabled", "publicClient", "frontchannelLogout", "fullScopeAllowed")
CLIENT_FIELDS_STR = ("name", "description", "rootUrl", "adminUrl", "baseUrl", "clientAuthenticatorType",
                     "protocol", "secret", "registrationAccessToken")
CLIENT_FIELDS_INT = ("notBefore", "nodeReRegistrationTimeout")

CLIENT_SCOPE_NAME = re.compile(r"^[\w!#$%&'*+\-.^`|~:]+$")

SERVICE_ACCOUNT_MAPPERS: List[Json] = [
    {"name": "Client ID", "note": "client_id"},
    {"name": "Client Host", "note": "clientHost"},
    {"name": "Client IP Address", "note": "clientAddress"},
]


def _mapper_for_note(name: str, note: str) -> Json:
    return {"id": new_id(), "name": name, "protocol": OIDC, "protocolMapper": "oidc-usersessionmodel-note-mapper",
            "consentRequired": False,
            "config": {"user.session.note": note, "introspection.token.claim": "true", "id.token.claim": "true",
                       "access.token.claim": "true", "claim.name": note, "jsonType.label": "String"}}


def _page(items: List[Any], first: Optional[int], maximum: Optional[int]) -> List[Any]:
    start = max(first or 0, 0)
    if maximum is None or maximum < 0:
        return items[start:]
    return items[start:start + maximum]


class Keycloak:
    """The emulated server state and the operations of the Admin REST API."""

    def __init__(self, state: Optional[Json] = None) -> None:
        self.state: Json = state if state is not None else {"format": 1, "realms": {}}

    # ----------------------------------------------------------------------------------------------------------
    # bootstrap
    # ----------------------------------------------------------------------------------------------------------
    def bootstrap_master(self, admin_user: str, admin_password: str) -> None:
        """What Keycloak does on first start with KEYCLOAK_ADMIN / KEYCLOAK_ADMIN_PASSWORD set."""
        if "master" in self.state["realms"]:
            return
        self.create_realm({"realm": "master", "displayName": "Keycloak", "enabled": True,
                           "accessTokenLifespan": 60})
        realm = self.realm("master")
        for name in ("admin", "create-realm"):
            self._add_role(realm, {"name": name, "description": "${role_%s}" % name})
        user_id = self.create_user("master", {"username": admin_user, "enabled": True,
                                              "credentials": [{"type": "password", "value": admin_password}]})
        user = realm["users"][user_id]
        for name in ("admin", "create-realm"):
            user["roles"].append(self._role_by_name(realm, name)["id"])

    # ----------------------------------------------------------------------------------------------------------
    # realms
    # ----------------------------------------------------------------------------------------------------------
    def realm(self, name: str) -> Json:
        realm = self.state["realms"].get(name)
        if realm is None:
            raise not_found("Realm not found.")
        return realm

    def realm_names(self) -> List[str]:
        return sorted(self.state["realms"])

    def create_realm(self, rep: Json) -> str:
        name = rep.get("realm")
        if not name or not isinstance(name, str):
            raise bad_request("Realm name cannot be empty")
        if name in self.state["realms"]:
            raise conflict("Conflict detected. See logs for details")
        realm_id = rep.get("id") or new_id()
        stored = copy.deepcopy(REALM_DEFAULTS)
        for key, value in rep.items():
            if key in REALM_READ_ONLY or value is None:
                continue
            if key == "attributes":
                stored["attributes"].update({k: stringify(v) for k, v in value.items() if v is not None})
            else:
                stored[key] = copy.deepcopy(value)
        stored["id"] = realm_id
        stored["realm"] = name
        realm: Json = {"rep": stored, "key": tokens.new_realm_key(name), "roles": {}, "scopes": {},
                       "default_scopes": {"default": [], "optional": []}, "clients": {}, "users": {}}
        self.state["realms"][name] = realm
        # default roles: offline_access, uma_authorization and the composite default-roles-<realm>
        offline = self._add_role(realm, {"name": "offline_access", "description": "${role_offline-access}"})
        uma = self._add_role(realm, {"name": "uma_authorization", "description": "${role_uma_authorization}"})
        default = self._add_role(realm, {"name": "default-roles-%s" % name.lower(),
                                         "description": "${role_default-roles}"})
        default["composite"] = True
        default["composites"] = [offline["id"], uma["id"]]
        stored["defaultRole"] = {"id": default["id"], "name": default["name"],
                                 "description": default["description"], "composite": True, "clientRole": False,
                                 "containerId": realm_id}
        for scope_name, is_default, description, in_token, consent, text, mappers in BUILTIN_OIDC_SCOPES:
            attributes = {"include.in.token.scope": stringify(in_token), "display.on.consent.screen": stringify(consent)}
            if text:
                attributes["consent.screen.text"] = text
            scope_id = self._add_scope(realm, {"name": scope_name, "description": description, "protocol": OIDC,
                                               "attributes": attributes,
                                               "protocolMappers": copy.deepcopy(mappers)})
            realm["default_scopes"]["default" if is_default else "optional"].append(scope_id)
        self._add_scope(realm, {"name": "role_list", "description": "SAML role list", "protocol": SAML,
                                "attributes": {"consent.screen.text": "${samlRoleListScopeConsentText}",
                                               "display.on.consent.screen": "true"},
                                "protocolMappers": [{"name": "role list", "protocol": SAML,
                                                     "protocolMapper": "saml-role-list-mapper",
                                                     "consentRequired": False,
                                                     "config": {"single": "false",
                                                                "attribute.nameformat": "Basic",
                                                                "attribute.name": "Role"}}]})
        realm["default_scopes"]["default"].append(self._scope_by_name(realm, "role_list")["id"])
        for template in BUILTIN_CLIENTS:
            client = {k: (v.replace("{realm}", name) if isinstance(v, str) else
                          [x.replace("{realm}", name) for x in v] if isinstance(v, list) else copy.deepcopy(v))
                      for k, v in template.items()}
            client["protocol"] = OIDC
            self.create_client(name, client, builtin=True)
        return realm_id

    def realm_rep(self, name: str) -> Json:
        return copy.deepcopy(self.realm(name)["rep"])

    def update_realm(self, name: str, rep: Json) -> None:
        realm = self.realm(name)
        stored = realm["rep"]
        new_name = rep.get("realm")
        if new_name and new_name != name:
            if new_name in self.state["realms"]:
                raise conflict("Realm with same name exists")
            self.state["realms"][new_name] = self.state["realms"].pop(name)
            stored["realm"] = new_name
        for key, value in rep.items():
            if key in REALM_READ_ONLY or key == "realm" or value is None:
                continue
            if key == "attributes":
                for attr, attr_value in value.items():
                    if attr_value is None:
                        stored["attributes"].pop(attr, None)
                    else:
                        stored["attributes"][attr] = stringify(attr_value)
            else:
                stored[key] = copy.deepcopy(value)

    def delete_realm(self, name: str) -> None:
        self.realm(name)
        if name == "master":
            raise bad_request("Can't delete master realm")
        del self.state["realms"][name]

    # ----------------------------------------------------------------------------------------------------------
    # roles
    # ----------------------------------------------------------------------------------------------------------
    def _role_by_name(self, realm: Json, name: str) -> Json:
        for role in realm["roles"].values():
            if role["name"] == name:
                return role
        raise not_found("Could not find role")

    def _add_role(self, realm: Json, rep: Json) -> Json:
        name = rep.get("name")
        if not name:
            raise bad_request("Role name is missing")
        if any(r["name"] == name for r in realm["roles"].values()):
            raise conflict("Role with name %s already exists" % name)
        role = {"id": rep.get("id") or new_id(), "name": name, "description": rep.get("description"),
                "composite": False, "clientRole": False, "containerId": realm["rep"]["id"],
                "attributes": {k: list(v) for k, v in (rep.get("attributes") or {}).items()}, "composites": []}
        realm["roles"][role["id"]] = role
        return role

    @staticmethod
    def _role_rep(role: Json, brief: bool = False) -> Json:
        rep = {"id": role["id"], "name": role["name"]}
        if role.get("description") is not None:
            rep["description"] = role["description"]
        rep.update({"composite": role["composite"], "clientRole": False, "containerId": role["containerId"]})
        if not brief:
            rep["attributes"] = copy.deepcopy(role.get("attributes", {}))
        return rep

    def list_roles(self, realm_name: str, search: Optional[str] = None, first: Optional[int] = None,
                   maximum: Optional[int] = None, brief: bool = True) -> List[Json]:
        realm = self.realm(realm_name)
        roles = sorted(realm["roles"].values(), key=lambda r: r["name"])
        if search:
            roles = [r for r in roles if search.lower() in r["name"].lower()]
        if first is not None or maximum is not None:
            roles = _page(roles, first, maximum)
        return [self._role_rep(r, brief) for r in roles]

    def create_role(self, realm_name: str, rep: Json) -> str:
        return self._add_role(self.realm(realm_name), rep)["name"]

    def get_role(self, realm_name: str, name: str) -> Json:
        return self._role_rep(self._role_by_name(self.realm(realm_name), name))

    def update_role(self, realm_name: str, name: str, rep: Json) -> None:
        realm = self.realm(realm_name)
        role = self._role_by_name(realm, name)
        new_name = rep.get("name")
        if not new_name:
            raise bad_request("Role name is missing")
        if new_name != name and any(r["name"] == new_name for r in realm["roles"].values()):
            raise conflict("Role with name %s already exists" % new_name)
        role["name"] = new_name
        role["description"] = rep.get("description")
        if rep.get("attributes") is not None:
            role["attributes"] = {k: list(v) for k, v in rep["attributes"].items()}

    def delete_role(self, realm_name: str, name: str) -> None:
        realm = self.realm(realm_name)
        role = self._role_by_name(realm, name)
        if role["id"] == realm["rep"]["defaultRole"]["id"]:
            raise bad_request("It is not possible to delete a default role")
        del realm["roles"][role["id"]]
        for user in realm["users"].values():
            if role["id"] in user["roles"]:
                user["roles"].remove(role["id"])
        for other in realm["roles"].values():
            if role["id"] in other["composites"]:
                other["composites"].remove(role["id"])

    def role_members(self, realm_name: str, name: str, first: Optional[int], maximum: Optional[int],
                     brief: bool = True) -> List[Json]:
        realm = self.realm(realm_name)
        role = self._role_by_name(realm, name)
        users = sorted((u for u in realm["users"].values() if role["id"] in u["roles"]),
                       key=lambda u: u["username"])
        users = _page(users, 0 if first is None else first, 100 if maximum is None else maximum)
        return [self._user_rep(realm, u, brief) for u in users]

    # ----------------------------------------------------------------------------------------------------------
    # client scopes
    # ----------------------------------------------------------------------------------------------------------
    def _scope_by_name(self, realm: Json, name: str) -> Optional[Json]:
        for scope in realm["scopes"].values():
            if scope["name"] == name:
                return scope
        return None

    def _scope(self, realm: Json, scope_id: str) -> Json:
        scope = realm["scopes"].get(scope_id)
        if scope is None:
            raise not_found("Could not find client scope")
        return scope

    @staticmethod
    def _new_mapper(rep: Json, existing: Iterable[Json]) -> Json:
        name = rep.get("name")
        if not name:
            raise bad_request("Protocol mapper name is missing")
        if not rep.get("protocolMapper"):
            raise bad_request("Protocol mapper type is missing")
        if any(m["name"] == name for m in existing):
            raise conflict("Protocol mapper exists with same name")
        return {"id": rep.get("id") or new_id(), "name": name, "protocol": rep.get("protocol"),
                "protocolMapper": rep["protocolMapper"], "consentRequired": False,
                "config": {k: stringify(v) for k, v in (rep.get("config") or {}).items() if v is not None}}

    def _add_scope(self, realm: Json, rep: Json) -> str:
        name = rep.get("name")
        if not name or not CLIENT_SCOPE_NAME.match(name):
            raise bad_request('Unexpected name "%s" for ClientScope' % name)
        if self._scope_by_name(realm, name) is not None:
            raise conflict("Client Scope %s already exists" % name)
        scope = {"id": rep.get("id") or new_id(), "name": name, "description": rep.get("description"),
                 "protocol": rep.get("protocol"),
                 "attributes": {k: stringify(v) for k, v in (rep.get("attributes") or {}).items() if v is not None},
                 "protocolMappers": []}
        for mapper in rep.get("protocolMappers") or []:
            scope["protocolMappers"].append(self._new_mapper(mapper, scope["protocolMappers"]))
        realm["scopes"][scope["id"]] = scope
        return scope["id"]

    @staticmethod
    def _mapper_rep(mapper: Json) -> Json:
        rep = {"id": mapper["id"], "name": mapper["name"]}
        if mapper.get("protocol") is not None:
            rep["protocol"] = mapper["protocol"]
        rep.update({"protocolMapper": mapper["protocolMapper"], "consentRequired": False,
                    "config": dict(mapper["config"])})
        return rep

    def _scope_rep(self, scope: Json) -> Json:
        rep: Json = {"id": scope["id"], "name": scope["name"]}
        if scope.get("description") is not None:
            rep["description"] = scope["description"]
        if scope.get("protocol") is not None:
            rep["protocol"] = scope["protocol"]
        rep["attributes"] = dict(scope["attributes"])
        if scope["protocolMappers"]:
            rep["protocolMappers"] = [self._mapper_rep(m) for m in scope["protocolMappers"]]
        return rep

    def list_scopes(self, realm_name: str) -> List[Json]:
        realm = self.realm(realm_name)
        return [self._scope_rep(s) for s in sorted(realm["scopes"].values(), key=lambda s: s["name"])]

    def create_scope(self, realm_name: str, rep: Json) -> str:
        return self._add_scope(self.realm(realm_name), rep)

    def get_scope(self, realm_name: str, scope_id: str) -> Json:
        return self._scope_rep(self._scope(self.realm(realm_name), scope_id))

    def update_scope(self, realm_name: str, scope_id: str, rep: Json) -> None:
        realm = self.realm(realm_name)
        scope = self._scope(realm, scope_id)
        name = rep.get("name")
        if name is not None and name != scope["name"]:
            if not CLIENT_SCOPE_NAME.match(name):
                raise bad_request('Unexpected name "%s" for ClientScope' % name)
            if self._scope_by_name(realm, name) is not None:
                raise conflict("Client Scope %s already exists" % name)
            scope["name"] = name
        for key in ("description", "protocol"):
            if rep.get(key) is not None:
                scope[key] = rep[key]
        for key, value in (rep.get("attributes") or {}).items():
            if value is None or value == "":
                scope["attributes"].pop(key, None)
            else:
                scope["attributes"][key] = stringify(value)

    def delete_scope(self, realm_name: str, scope_id: str) -> None:
        realm = self.realm(realm_name)
        self._scope(realm, scope_id)
        del realm["scopes"][scope_id]
        for kind in ("default", "optional"):
            if scope_id in realm["default_scopes"][kind]:
                realm["default_scopes"][kind].remove(scope_id)
        for client in realm["clients"].values():
            for kind in ("default", "optional"):
                if scope_id in client["scopes"][kind]:
                    client["scopes"][kind].remove(scope_id)

    def realm_default_scopes(self, realm_name: str, kind: str) -> List[Json]:
        realm = self.realm(realm_name)
        return [{"id": s, "name": realm["scopes"][s]["name"]} for s in realm["default_scopes"][kind]]

    def add_realm_default_scope(self, realm_name: str, kind: str, scope_id: str) -> None:
        realm = self.realm(realm_name)
        self._scope(realm, scope_id)
        other = "optional" if kind == "default" else "default"
        if scope_id in realm["default_scopes"][other]:
            realm["default_scopes"][other].remove(scope_id)
        if scope_id not in realm["default_scopes"][kind]:
            realm["default_scopes"][kind].append(scope_id)

    def remove_realm_default_scope(self, realm_name: str, kind: str, scope_id: str) -> None:
        realm = self.realm(realm_name)
        self._scope(realm, scope_id)
        if scope_id in realm["default_scopes"][kind]:
            realm["default_scopes"][kind].remove(scope_id)

    # protocol mappers (shared by clients and client scopes) -----------------------------------------------------
    def _mapper_owner(self, realm_name: str, owner: str, owner_id: str) -> Json:
        realm = self.realm(realm_name)
        return self._client(realm, owner_id) if owner == "clients" else self._scope(realm, owner_id)

    def list_mappers(self, realm_name: str, owner: str, owner_id: str) -> List[Json]:
        return [self._mapper_rep(m) for m in self._mapper_owner(realm_name, owner, owner_id)["protocolMappers"]]

    def create_mapper(self, realm_name: str, owner: str, owner_id: str, rep: Json) -> str:
        target = self._mapper_owner(realm_name, owner, owner_id)
        mapper = self._new_mapper(rep, target["protocolMappers"])
        target["protocolMappers"].append(mapper)
        return mapper["id"]

    def _find_mapper(self, target: Json, mapper_id: str) -> Json:
        for mapper in target["protocolMappers"]:
            if mapper["id"] == mapper_id:
                return mapper
        raise not_found("Model not found")

    def get_mapper(self, realm_name: str, owner: str, owner_id: str, mapper_id: str) -> Json:
        return self._mapper_rep(self._find_mapper(self._mapper_owner(realm_name, owner, owner_id), mapper_id))

    def update_mapper(self, realm_name: str, owner: str, owner_id: str, mapper_id: str, rep: Json) -> None:
        target = self._mapper_owner(realm_name, owner, owner_id)
        mapper = self._find_mapper(target, mapper_id)
        name = rep.get("name") or mapper["name"]
        if name != mapper["name"] and any(m["name"] == name for m in target["protocolMappers"]):
            raise conflict("Protocol mapper exists with same name")
        # Keycloak rebuilds the model from the representation: config is replaced, not merged
        mapper.update({"name": name, "protocol": rep.get("protocol", mapper.get("protocol")),
                       "protocolMapper": rep.get("protocolMapper") or mapper["protocolMapper"],
                       "config": {k: stringify(v) for k, v in (rep.get("config") or {}).items() if v is not None}})

    def delete_mapper(self, realm_name: str, owner: str, owner_id: str, mapper_id: str) -> None:
        target = self._mapper_owner(realm_name, owner, owner_id)
        target["protocolMappers"].remove(self._find_mapper(target, mapper_id))

    # ----------------------------------------------------------------------------------------------------------
    # clients
    # ----------------------------------------------------------------------------------------------------------
    def _client(self, realm: Json, client_id: str) -> Json:
        client = realm["clients"].get(client_id)
        if client is None:
            raise not_found("Could not find client")
        return client

    def _client_by_client_id(self, realm: Json, client_id: str) -> Optional[Json]:
        for client in realm["clients"].values():
            if client["clientId"] == client_id:
                return client
        return None

    def _linked_scopes(self, realm: Json, client: Json, kind: str) -> List[Json]:
        """Linked scopes that Keycloak shows: only those of the client's protocol (OIDC when unset)."""
        protocol = client.get("protocol") or OIDC
        scopes = [realm["scopes"][s] for s in client["scopes"][kind] if s in realm["scopes"]]
        return [s for s in scopes if s.get("protocol") == protocol]

    def _client_rep(self, realm: Json, client: Json) -> Json:
        rep: Json = {"id": client["id"], "clientId": client["clientId"]}
        for key in ("name", "description", "rootUrl", "adminUrl", "baseUrl"):
            if client.get(key) is not None:
                rep[key] = client[key]
        rep.update({
            "surrogateAuthRequired": client["surrogateAuthRequired"],
            "enabled": client["enabled"],
            "alwaysDisplayInConsole": client["alwaysDisplayInConsole"],
            "clientAuthenticatorType": client["clientAuthenticatorType"],
        })
        if not (client["publicClient"] or client["bearerOnly"]) and client.get("secret") is not None:
            rep["secret"] = client["secret"]
        rep.update({
            "redirectUris": list(client["redirectUris"]),
            "webOrigins": list(client["webOrigins"]),
            "notBefore": client["notBefore"],
            "bearerOnly": client["bearerOnly"],
            "consentRequired": client["consentRequired"],
            "standardFlowEnabled": client["standardFlowEnabled"],
            "implicitFlowEnabled": client["implicitFlowEnabled"],
            "directAccessGrantsEnabled": client["directAccessGrantsEnabled"],
            "serviceAccountsEnabled": client["serviceAccountsEnabled"],
            "publicClient": client["publicClient"],
            "frontchannelLogout": client["frontchannelLogout"],
        })
        if client.get("protocol") is not None:
            rep["protocol"] = client["protocol"]
        rep.update({
            "attributes": dict(client["attributes"]),
            "authenticationFlowBindingOverrides": dict(client["authenticationFlowBindingOverrides"]),
            "fullScopeAllowed": client["fullScopeAllowed"],
            "nodeReRegistrationTimeout": client["nodeReRegistrationTimeout"],
        })
        if client["protocolMappers"]:
            rep["protocolMappers"] = [self._mapper_rep(m) for m in client["protocolMappers"]]
        rep["defaultClientScopes"] = [s["name"] for s in self._linked_scopes(realm, client, "default")]
        rep["optionalClientScopes"] = [s["name"] for s in self._linked_scopes(realm, client, "optional")]
        rep["access"] = {"view": True, "configure": True, "manage": True}
        return rep

    def list_clients(self, realm_name: str, client_id: Optional[str] = None, search: bool = False,
                     first: Optional[int] = None, maximum: Optional[int] = None) -> List[Json]:
        realm = self.realm(realm_name)
        clients = sorted(realm["clients"].values(), key=lambda c: c["clientId"])
        if client_id:
            if search:
                clients = [c for c in clients if client_id.lower() in c["clientId"].lower()]
            else:
                clients = [c for c in clients if c["clientId"] == client_id]
        if first is not None or maximum is not None:
            clients = _page(clients, first, maximum)
        return [self._client_rep(realm, c) for c in clients]

    def get_client(self, realm_name: str, client_id: str) -> Json:
        realm = self.realm(realm_name)
        return self._client_rep(realm, self._client(realm, client_id))

    def create_client(self, realm_name: str, rep: Json, builtin: bool = False) -> str:
        realm = self.realm(realm_name)
        client_id = rep.get("clientId")
        if not client_id:
            raise bad_request("Client id is missing")
        if self._client_by_client_id(realm, client_id) is not None:
            raise conflict("Client %s already exists" % client_id)
        client: Json = {
            "id": rep.get("id") or new_id(), "clientId": client_id, "enabled": True,
            "alwaysDisplayInConsole": False, "surrogateAuthRequired": False,
            "clientAuthenticatorType": "client-secret", "redirectUris": [], "webOrigins": [], "notBefore": 0,
            "bearerOnly": False, "consentRequired": False, "standardFlowEnabled": True,
            "implicitFlowEnabled": False, "directAccessGrantsEnabled": False, "serviceAccountsEnabled": False,
            "publicClient": False, "frontchannelLogout": False, "protocol": None, "attributes": {},
            "authenticationFlowBindingOverrides": {}, "fullScopeAllowed": True, "nodeReRegistrationTimeout": -1,
            "protocolMappers": [], "scopes": {"default": [], "optional": []}, "secret": None,
        }
        self._apply_client_fields(client, rep)
        if rep.get("fullScopeAllowed") is None:
            client["fullScopeAllowed"] = not client["consentRequired"]
        if rep.get("protocol") is not None:
            self._setup_protocol_defaults(client, rep)
        if not (client["publicClient"] or client["bearerOnly"]) and not client.get("secret"):
            client["secret"] = generate_secret()
        for mapper in rep.get("protocolMappers") or []:
            client["protocolMappers"].append(self._new_mapper(mapper, client["protocolMappers"]))
        realm["clients"][client["id"]] = client
        if rep.get("defaultClientScopes") is None and rep.get("optionalClientScopes") is None:
            protocol = client["protocol"] or OIDC
            for kind in ("default", "optional"):
                client["scopes"][kind] = [s for s in realm["default_scopes"][kind]
                                          if realm["scopes"][s].get("protocol") == protocol]
        else:
            # as Keycloak does: the lists given replace the realm defaults entirely (a missing one means none)
            for kind, key in (("default", "defaultClientScopes"), ("optional", "optionalClientScopes")):
                for name in rep.get(key) or []:
                    scope = self._scope_by_name(realm, name)
                    if scope is not None and scope["id"] not in client["scopes"]["default"] + \
                            client["scopes"]["optional"]:
                        client["scopes"][kind].append(scope["id"])
        if client["serviceAccountsEnabled"]:
            self._enable_service_account(realm, client)
        return client["id"]

    @staticmethod
    def _apply_client_fields(client: Json, rep: Json) -> None:
        for key in CLIENT_FIELDS_BOOL + CLIENT_FIELDS_STR + CLIENT_FIELDS_INT:
            if rep.get(key) is not None:
                client[key] = rep[key]
        for key in ("redirectUris", "webOrigins"):
            if rep.get(key) is not None:
                client[key] = sorted(set(rep[key]))  # Keycloak keeps these as sets: order is not kept
        if rep.get("authenticationFlowBindingOverrides") is not None:
            client["authenticationFlowBindingOverrides"] = dict(rep["authenticationFlowBindingOverrides"])
        for key, value in (rep.get("attributes") or {}).items():
            if value is None or value == "":
                client["attributes"].pop(key, None)
            else:
                client["attributes"][key] = stringify(value)

    @staticmethod
    def _setup_protocol_defaults(client: Json, rep: Json) -> None:
        """OIDCLoginProtocolFactory.setupClientDefaults: only when the representation names a protocol."""
        if rep.get("protocol") != OIDC:
            return
        if rep.get("rootUrl") and not rep.get("redirectUris"):
            root = rep["rootUrl"]
            client["redirectUris"] = [root + ("*" if root.endswith("/") else "/*")]
        if rep.get("bearerOnly") is None and rep.get("publicClient") is None:
            client["publicClient"] = True
        if rep.get("bearerOnly") is None:
            client["bearerOnly"] = False
        if rep.get("adminUrl") is None and rep.get("rootUrl") is not None:
            client["adminUrl"] = rep["rootUrl"]
        if rep.get("standardFlowEnabled") is None:
            client["standardFlowEnabled"] = True
        if rep.get("directAccessGrantsEnabled") is None:
            client["directAccessGrantsEnabled"] = True
        if rep.get("implicitFlowEnabled") is None:
            client["implicitFlowEnabled"] = False
        if rep.get("frontchannelLogout") is None:
            client["frontchannelLogout"] = True
        if "backchannel.logout.url" not in client["attributes"]:
            client["attributes"].setdefault("backchannel.logout.session.required", "true")
            client["attributes"].setdefault("backchannel.logout.revoke.offline.tokens", "false")

    def _service_account_user(self, realm: Json, client: Json) -> Optional[Json]:
        for user in realm["users"].values():
            if user.get("serviceAccountClientLink") == client["id"]:
                return user
        return None

    def _enable_service_account(self, realm: Json, client: Json) -> Json:
        """ClientManager.enableServiceAccount: the user (new id each time) and the three session-note mappers."""
        client["serviceAccountsEnabled"] = True
        user = self._service_account_user(realm, client)
        if user is None:
            user = self._new_user(realm, {"username": SERVICE_ACCOUNT_PREFIX + client["clientId"], "enabled": True})
            user["serviceAccountClientLink"] = client["id"]
        for spec in SERVICE_ACCOUNT_MAPPERS:
            if not any(m["name"] == spec["name"] for m in client["protocolMappers"]):
                client["protocolMappers"].append(_mapper_for_note(spec["name"], spec["note"]))
        return user

    def update_client(self, realm_name: str, client_id: str, rep: Json) -> None:
        realm = self.realm(realm_name)
        client = self._client(realm, client_id)
        new_client_id = rep.get("clientId")
        if new_client_id and new_client_id != client["clientId"]:
            if self._client_by_client_id(realm, new_client_id) is not None:
                raise conflict("Client %s already exists" % new_client_id)
        # ClientResource.updateClientFromRep: anything but an explicit true removes the service-account user
        # (and with it its role mappings); the flag itself only changes when the field is present.
        account = self._service_account_user(realm, client)
        if rep.get("serviceAccountsEnabled") is True:
            if account is None:
                self._enable_service_account(realm, client)
        elif account is not None:
            del realm["users"][account["id"]]
        if new_client_id and new_client_id != client["clientId"]:
            client["clientId"] = new_client_id
            account = self._service_account_user(realm, client)
            if account is not None:
                account["username"] = (SERVICE_ACCOUNT_PREFIX + new_client_id).lower()
        self._apply_client_fields(client, rep)
        if client["publicClient"] or client["bearerOnly"]:
            pass
        elif not client.get("secret"):
            client["secret"] = generate_secret()

    def delete_client(self, realm_name: str, client_id: str) -> None:
        realm = self.realm(realm_name)
        client = self._client(realm, client_id)
        account = self._service_account_user(realm, client)
        if account is not None:
            del realm["users"][account["id"]]
        del realm["clients"][client["id"]]

    def client_secret(self, realm_name: str, client_id: str, regenerate: bool = False) -> Json:
        realm = self.realm(realm_name)
        client = self._client(realm, client_id)
        if regenerate:
            if client["publicClient"] or client["bearerOnly"]:
                raise bad_request("Client is public or bearer only")
            client["secret"] = generate_secret()
        return {"type": "secret", "value": client.get("secret")}

    def service_account_user(self, realm_name: str, client_id: str) -> Json:
        realm = self.realm(realm_name)
        client = self._client(realm, client_id)
        user = self._service_account_user(realm, client)
        if user is None:
            if not client["serviceAccountsEnabled"]:
                raise bad_request("Service account not enabled for the client '%s'" % client["clientId"])
            user = self._enable_service_account(realm, client)  # created on read, with a new id
        return self._user_rep(realm, user, brief=False)

    def client_scope_links(self, realm_name: str, client_id: str, kind: str) -> List[Json]:
        realm = self.realm(realm_name)
        client = self._client(realm, client_id)
        return [{"id": s["id"], "name": s["name"]} for s in self._linked_scopes(realm, client, kind)]

    def link_client_scope(self, realm_name: str, client_id: str, kind: str, scope_id: str) -> None:
        realm = self.realm(realm_name)
        client = self._client(realm, client_id)
        scope = realm["scopes"].get(scope_id)
        if scope is None:
            raise not_found("Client scope not found")
        other = "optional" if kind == "default" else "default"
        if scope_id in client["scopes"][other]:
            raise conflict("Client scope %s is already linked to the client as %s scope" % (scope["name"], other))
        if scope_id not in client["scopes"][kind]:
            client["scopes"][kind].append(scope_id)

    def unlink_client_scope(self, realm_name: str, client_id: str, kind: str, scope_id: str) -> None:
        realm = self.realm(realm_name)
        client = self._client(realm, client_id)
        if scope_id not in realm["scopes"]:
            raise not_found("Client scope not found")
        if scope_id in client["scopes"][kind]:
            client["scopes"][kind].remove(scope_id)

    # ----------------------------------------------------------------------------------------------------------
    # users
    # ----------------------------------------------------------------------------------------------------------
    def _user(self, realm: Json, user_id: str) -> Json:
        user = realm["users"].get(user_id)
        if user is None:
            raise not_found("User not found")
        return user

    def _new_user(self, realm: Json, rep: Json) -> Json:
        username = (rep.get("username") or "").strip().lower()
        if not username:
            raise bad_request("User name is missing")
        if any(u["username"] == username for u in realm["users"].values()):
            raise conflict("User exists with same username")
        email = (rep.get("email") or "").strip().lower() or None
        if email and not realm["rep"].get("duplicateEmailsAllowed"):
            if any(u.get("email") == email for u in realm["users"].values()):
                raise conflict("User exists with same email")
        user: Json = {
            "id": rep.get("id") or new_id(), "createdTimestamp": now_ms(), "username": username,
            "enabled": bool(rep.get("enabled", False)), "totp": False,
            "emailVerified": bool(rep.get("emailVerified", False)), "firstName": rep.get("firstName"),
            "lastName": rep.get("lastName"), "email": email,
            "attributes": {k: list(v) if isinstance(v, list) else [v] for k, v in (rep.get("attributes") or {}).items()},
            "requiredActions": list(rep.get("requiredActions") or []), "notBefore": 0, "credentials": [],
            "roles": [realm["rep"]["defaultRole"]["id"]],
        }
        realm["users"][user["id"]] = user
        return user

    def _user_rep(self, realm: Json, user: Json, brief: bool = False) -> Json:
        rep: Json = {"id": user["id"], "createdTimestamp": user["createdTimestamp"], "username": user["username"],
                     "enabled": user["enabled"], "totp": user["totp"], "emailVerified": user["emailVerified"]}
        for key in ("firstName", "lastName", "email"):
            if user.get(key) is not None:
                rep[key] = user[key]
        if user.get("serviceAccountClientLink"):
            rep["serviceAccountClientLink"] = user["serviceAccountClientLink"]
        if not brief and user["attributes"]:
            rep["attributes"] = copy.deepcopy(user["attributes"])
        rep.update({"disableableCredentialTypes": [], "requiredActions": list(user["requiredActions"]),
                    "notBefore": user["notBefore"],
                    "access": {"manageGroupMembership": True, "view": True, "mapRoles": True, "impersonate": True,
                               "manage": True}})
        return rep

    def list_users(self, realm_name: str, query: Dict[str, str]) -> List[Json]:
        realm = self.realm(realm_name)
        users = sorted((u for u in realm["users"].values() if not u.get("serviceAccountClientLink")),
                       key=lambda u: u["username"])
        exact = query.get("exact", "false").lower() == "true"

        def matches(value: Optional[str], wanted: str) -> bool:
            if value is None:
                return False
            return value.lower() == wanted.lower() if exact else wanted.lower() in value.lower()

        for field in ("username", "email", "firstName", "lastName"):
            if query.get(field):
                users = [u for u in users if matches(u.get(field), query[field])]
        if query.get("search"):
            term = query["search"].strip("*").lower()
            users = [u for u in users if any(term in (u.get(f) or "").lower()
                                             for f in ("username", "email", "firstName", "lastName"))]
        if query.get("enabled"):
            users = [u for u in users if u["enabled"] == (query["enabled"].lower() == "true")]
        first = int(query["first"]) if query.get("first") else 0
        maximum = int(query["max"]) if query.get("max") else 100
        brief = query.get("briefRepresentation", "false").lower() == "true"
        return [self._user_rep(realm, u, brief) for u in _page(users, first, maximum)]

    def count_users(self, realm_name: str) -> int:
        realm = self.realm(realm_name)
        return sum(1 for u in realm["users"].values() if not u.get("serviceAccountClientLink"))

    def create_user(self, realm_name: str, rep: Json) -> str:
        realm = self.realm(realm_name)
        user = self._new_user(realm, rep)
        for credential in rep.get("credentials") or []:
            self._set_password(user, credential)
        return user["id"]

    def get_user(self, realm_name: str, user_id: str) -> Json:
        realm = self.realm(realm_name)
        return self._user_rep(realm, self._user(realm, user_id))

    def update_user(self, realm_name: str, user_id: str, rep: Json) -> None:
        realm = self.realm(realm_name)
        user = self._user(realm, user_id)
        username = rep.get("username")
        if username and username.lower() != user["username"]:
            if user.get("serviceAccountClientLink"):
                raise bad_request("error-user-attribute-read-only")
            if any(u["username"] == username.lower() for u in realm["users"].values()):
                raise conflict("User exists with same username")
            user["username"] = username.lower()
        if rep.get("email") is not None:
            email = rep["email"].strip().lower() or None
            if email and email != user.get("email") and not realm["rep"].get("duplicateEmailsAllowed"):
                if any(u.get("email") == email for u in realm["users"].values()):
                    raise conflict("User exists with same email")
            user["email"] = email
        for key in ("firstName", "lastName"):
            if rep.get(key) is not None:
                user[key] = rep[key] or None
        for key in ("enabled", "emailVerified"):
            if rep.get(key) is not None:
                user[key] = bool(rep[key])
        if rep.get("requiredActions") is not None:
            user["requiredActions"] = list(rep["requiredActions"])
        if rep.get("attributes") is not None:
            user["attributes"] = {k: list(v) if isinstance(v, list) else [v] for k, v in rep["attributes"].items()}

    def delete_user(self, realm_name: str, user_id: str) -> None:
        realm = self.realm(realm_name)
        user = self._user(realm, user_id)
        if user.get("serviceAccountClientLink"):
            raise bad_request("Cannot delete a service account user")
        del realm["users"][user_id]

    @staticmethod
    def _set_password(user: Json, credential: Json) -> None:
        if credential.get("type", "password") != "password":
            raise bad_request("Unsupported credential type")
        if not credential.get("value"):
            raise bad_request("Password value is missing")
        user["credentials"] = [dict(hash_password(credential["value"]), type="password",
                                    createdDate=now_ms())]
        if credential.get("temporary"):
            if "UPDATE_PASSWORD" not in user["requiredActions"]:
                user["requiredActions"].append("UPDATE_PASSWORD")

    def reset_password(self, realm_name: str, user_id: str, rep: Json) -> None:
        realm = self.realm(realm_name)
        self._set_password(self._user(realm, user_id), rep)

    # role mappings -------------------------------------------------------------------------------------------
    def _expand(self, realm: Json, role_ids: Iterable[str]) -> List[Json]:
        seen: Dict[str, Json] = {}
        stack = list(role_ids)
        while stack:
            role_id = stack.pop()
            role = realm["roles"].get(role_id)
            if role is None or role_id in seen:
                continue
            seen[role_id] = role
            stack.extend(role.get("composites", []))
        return sorted(seen.values(), key=lambda r: r["name"])

    def user_realm_roles(self, realm_name: str, user_id: str, composite: bool = False) -> List[Json]:
        realm = self.realm(realm_name)
        user = self._user(realm, user_id)
        if composite:
            roles = self._expand(realm, user["roles"])
        else:
            roles = sorted((realm["roles"][r] for r in user["roles"] if r in realm["roles"]), key=lambda r: r["name"])
        return [self._role_rep(r) for r in roles]

    def _roles_from_body(self, realm: Json, body: Any) -> List[Json]:
        if not isinstance(body, list):
            raise bad_request("Expected a list of roles")
        roles = []
        for item in body:
            role = realm["roles"].get((item or {}).get("id"))
            if role is None:
                raise not_found("Role not found")
            roles.append(role)
        return roles

    def add_user_realm_roles(self, realm_name: str, user_id: str, body: Any) -> None:
        realm = self.realm(realm_name)
        user = self._user(realm, user_id)
        for role in self._roles_from_body(realm, body):
            if role["id"] not in user["roles"]:
                user["roles"].append(role["id"])

    def remove_user_realm_roles(self, realm_name: str, user_id: str, body: Any) -> None:
        realm = self.realm(realm_name)
        user = self._user(realm, user_id)
        for role in self._roles_from_body(realm, body):
            if role["id"] in user["roles"]:
                user["roles"].remove(role["id"])

    # ----------------------------------------------------------------------------------------------------------
    # authentication (token endpoint)
    # ----------------------------------------------------------------------------------------------------------
    def authenticate_client(self, realm: Json, client_id: Optional[str], client_secret: Optional[str]) -> Json:
        client = self._client_by_client_id(realm, client_id or "")
        if client is None or not client["enabled"]:
            raise ApiError(401, {"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"})
        if client["bearerOnly"]:
            raise ApiError(400, {"error": "invalid_client", "error_description": "Bearer-only not allowed"})
        if not client["publicClient"]:
            if not client_secret or not hmac.compare_digest(client_secret, client.get("secret") or ""):
                raise ApiError(401, {"error": "unauthorized_client",
                                     "error_description": "Invalid client or Invalid client credentials"})
        return client

    def password_login(self, realm: Json, client: Json, username: str, password: str) -> Json:
        if not client["directAccessGrantsEnabled"]:
            raise ApiError(400, {"error": "unauthorized_client",
                                 "error_description": "Client not allowed for direct access grants"})
        wanted = (username or "").lower()
        user = next((u for u in realm["users"].values()
                     if (u["username"] == wanted or (u.get("email") and u["email"] == wanted))
                     and not u.get("serviceAccountClientLink")), None)
        if user is None or not user["credentials"] or not check_password(user["credentials"][0], password or ""):
            raise ApiError(401, {"error": "invalid_grant", "error_description": "Invalid user credentials"})
        if not user["enabled"]:
            raise ApiError(400, {"error": "invalid_grant", "error_description": "Account disabled"})
        if user["requiredActions"]:
            raise ApiError(400, {"error": "invalid_grant", "error_description": "Account is not fully set up"})
        return user

    def service_account_login(self, realm: Json, client: Json) -> Json:
        if client["publicClient"]:
            raise ApiError(401, {"error": "unauthorized_client",
                                 "error_description": "Public client not allowed to retrieve service account"})
        if not client["serviceAccountsEnabled"]:
            raise ApiError(401, {"error": "unauthorized_client",
                                 "error_description": "Client not enabled to retrieve service account"})
        user = self._service_account_user(realm, client)
        if user is None:
            user = self._enable_service_account(realm, client)
        return user

    def token_claims(self, realm: Json, client: Json, user: Json, issuer: str, lifespan: int) -> Json:
        issued = int(time.time())
        roles = sorted(r["name"] for r in self._expand(realm, user["roles"]))
        scopes = [s["name"] for s in self._linked_scopes(realm, client, "default")
                  if s["attributes"].get("include.in.token.scope", "true") == "true"]
        audiences = set()
        for mapper in client["protocolMappers"]:
            if mapper["protocolMapper"] == "oidc-audience-mapper" and mapper["config"].get("included.client.audience"):
                audiences.add(mapper["config"]["included.client.audience"])
        claims: Json = {
            "exp": issued + lifespan, "iat": issued, "jti": new_id(), "iss": issuer,
            "sub": user["id"], "typ": "Bearer", "azp": client["clientId"], "session_state": new_id(),
            "acr": "1", "realm_access": {"roles": roles}, "scope": " ".join(["openid"] + sorted(scopes)),
            "email_verified": user["emailVerified"], "preferred_username": user["username"],
        }
        audiences.add("account")
        claims["aud"] = sorted(audiences) if len(audiences) > 1 else audiences.pop()
        if user.get("serviceAccountClientLink"):
            claims["client_id"] = client["clientId"]
        for key, claim in (("email", "email"), ("firstName", "given_name"), ("lastName", "family_name")):
            if user.get(key):
                claims[claim] = user[key]
        return claims

    def user_for_claims(self, realm: Json, claims: Json) -> Optional[Json]:
        return realm["users"].get(claims.get("sub", ""))
