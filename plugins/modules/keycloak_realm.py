#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: keycloak_realm
short_description: Converge a whole Keycloak realm from one description
version_added: 0.1.0
description:
  - Makes a Keycloak 24 realm match a description in one task - realm settings, realm roles, client scopes
    with protocol mappers, OpenID Connect clients (confidential with service accounts, public with the device
    grant), links of default and optional client scopes, service-account and user realm role mappings, and
    users with an initial password.
  - Reads the current state with list endpoints (a fixed number of requests per object type, plus one per
    realm role whose members matter), compares normalised views, and writes only the differences. A rerun
    that finds nothing to do makes no write.
  - Objects not in the description are left alone unless O(purge=true). Objects marked C(state=absent) are
    deleted. Keycloak's built-in roles, clients and client scopes are never purged.
  - The whole description is validated before the first request, so unknown keys, duplicate names and
    references to undefined roles or client scopes fail without touching Keycloak.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.keycloak
attributes:
  check_mode:
    support: full
    details: Computes the same changes and diff without writing.
  diff_mode:
    support: full
    details: Shows the managed fields of every described object before and after, secrets masked.
options:
  realm:
    description:
      - Name of the realm.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the realm, V(absent) deletes it with everything in it.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - Delete realm roles, client scopes, clients and users that the description does not mention.
      - Built-in objects (C(offline_access), C(default-roles-<realm>), C(profile), C(account), ...) are kept.
    type: bool
    default: false
  settings:
    description:
      - Realm settings as Keycloak's RealmRepresentation names them (camelCase), for example C(displayName),
        C(accessTokenLifespan), C(ssoSessionIdleTimeout), C(sslRequired), C(registrationAllowed),
        C(bruteForceProtected), C(eventsListeners), C(attributes).
      - Only the settings given are managed. C(enabled) defaults to V(true) (Keycloak creates realms disabled).
      - Unknown settings fail validation. C(smtpServer), identity providers and flows are not managed here.
    type: dict
    default: {}
  roles:
    description:
      - Realm roles.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Role name, for example C(aegis:admin).
        type: str
        required: true
      description:
        description: Role description; managed only when given.
        type: str
      state:
        description: V(absent) deletes the role.
        type: str
        choices: [present, absent]
        default: present
  client_scopes:
    description:
      - Client scopes. The protocol is always sent (Keycloak never links a scope without protocol to OIDC
        clients).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Scope name, for example C(agent:deploy). Letters, digits and C(!#$%&'*+-.^_`|~:) only.
        type: str
        required: true
      description:
        description: Scope description; managed only when given.
        type: str
      protocol:
        description: Protocol of the scope.
        type: str
        choices: [openid-connect, saml]
        default: openid-connect
      include_in_token_scope:
        description: Attribute C(include.in.token.scope); managed only when given.
        type: bool
      display_on_consent_screen:
        description: Attribute C(display.on.consent.screen); managed only when given.
        type: bool
      consent_screen_text:
        description: Attribute C(consent.screen.text); managed only when given.
        type: str
      attributes:
        description: Further attributes; only the keys given are managed. Values are sent as strings.
        type: dict
      protocol_mappers:
        description:
          - Protocol mappers of the scope, by name. Listed mappers are created or updated (config compared on
            the keys given); mappers not listed are kept unless listed with C(state=absent).
        type: list
        elements: dict
        suboptions: &mapper_options
          name:
            description: Mapper name.
            type: str
            required: true
          protocol_mapper:
            description: Mapper type, for example C(oidc-audience-mapper) or C(oidc-usermodel-attribute-mapper).
            type: str
          protocol:
            description: Protocol of the mapper.
            type: str
            default: openid-connect
          config:
            description: Mapper configuration; values are sent as strings (V(true) becomes C("true")).
            type: dict
            default: {}
          state:
            description: V(absent) removes the mapper.
            type: str
            choices: [present, absent]
            default: present
      state:
        description: V(absent) deletes the client scope.
        type: str
        choices: [present, absent]
        default: present
  clients:
    description:
      - OpenID Connect clients. Every update sends the full managed representation (Keycloak drops the
        service account of a client whose update omits C(serviceAccountsEnabled)).
    type: list
    elements: dict
    default: []
    suboptions:
      client_id:
        description: The client's C(clientId).
        type: str
        required: true
      name:
        description: Display name; managed only when given.
        type: str
      description:
        description: Description; managed only when given.
        type: str
      enabled:
        description: Whether the client is enabled.
        type: bool
        default: true
      public_client:
        description: Public client (no secret), for example a CLI using the device grant.
        type: bool
        default: false
      service_accounts_enabled:
        description: Client credentials grant with a service-account user.
        type: bool
        default: false
      standard_flow_enabled:
        description: Authorization code flow.
        type: bool
        default: true
      direct_access_grants_enabled:
        description: Resource owner password grant. Off unless asked for.
        type: bool
        default: false
      implicit_flow_enabled:
        description: Implicit flow.
        type: bool
        default: false
      device_authorization_grant_enabled:
        description: Sets the attribute C(oauth2.device.authorization.grant.enabled); managed only when given.
        type: bool
      redirect_uris:
        description: Valid redirect URIs (compared as a set).
        type: list
        elements: str
        default: []
      web_origins:
        description: Allowed web origins (compared as a set).
        type: list
        elements: str
        default: []
      root_url:
        description: Root URL; managed only when given.
        type: str
      base_url:
        description: Base URL; managed only when given.
        type: str
      admin_url:
        description: Admin URL; managed only when given.
        type: str
      full_scope_allowed:
        description: Full scope allowed; managed only when given.
        type: bool
      consent_required:
        description: Consent required; managed only when given.
        type: bool
      frontchannel_logout:
        description: Front-channel logout; managed only when given.
        type: bool
      attributes:
        description: Client attributes; only the keys given are managed. Values are sent as strings.
        type: dict
      secret:
        description:
          - Secret of a confidential client. When not given, Keycloak generates one on creation and the module
            returns it in RV(client_secrets) without changing it.
        type: str
      default_client_scopes:
        description:
          - Names of the client's default client scopes, exactly (others are unlinked). Managed only when
            given; Keycloak links the realm's default scopes (C(web-origins), C(acr), C(profile), C(roles),
            C(email)) to new clients.
        type: list
        elements: str
      optional_client_scopes:
        description:
          - Names of the client's optional client scopes, exactly. Managed only when given; Keycloak links
            C(address), C(phone), C(offline_access) and C(microprofile-jwt) to new clients.
        type: list
        elements: str
      protocol_mappers:
        description:
          - Protocol mappers of the client, for example an audience mapper. Same rules as for client scopes.
        type: list
        elements: dict
        suboptions: *mapper_options
      service_account_roles:
        description:
          - Realm roles of the client's service-account user. Roles defined in O(roles) but not listed here are
            revoked from it; other roles (C(default-roles-<realm>)) are left alone. Managed only when given.
        type: list
        elements: str
      state:
        description: V(absent) deletes the client.
        type: str
        choices: [present, absent]
        default: present
  users:
    description:
      - Users (not service accounts).
    type: list
    elements: dict
    default: []
    suboptions:
      username:
        description: User name (Keycloak stores it lower-cased).
        type: str
        required: true
      enabled:
        description: Whether the user can log in.
        type: bool
        default: true
      email:
        description: E-mail address; managed only when given.
        type: str
      email_verified:
        description: E-mail verified flag; managed only when given.
        type: bool
      first_name:
        description: First name; managed only when given.
        type: str
      last_name:
        description: Last name; managed only when given.
        type: str
      required_actions:
        description: Required actions, for example C(UPDATE_PASSWORD); managed only when given.
        type: list
        elements: str
      realm_roles:
        description:
          - Realm roles of the user. Roles defined in O(roles) but not listed here are revoked; other roles are
            left alone. Managed only when given.
        type: list
        elements: str
      password:
        description:
          - Initial password, set when the user is created and never compared or changed afterwards.
        type: str
      password_temporary:
        description: Make the initial password temporary (the user must change it at first login).
        type: bool
        default: false
      state:
        description: V(absent) deletes the user.
        type: str
        choices: [present, absent]
        default: present
notes:
  - Written for Keycloak 24 (no C(basic) client scope, which arrived in Keycloak 25). Only OpenID Connect
    clients are managed; client roles, groups, identity providers and authentication flows are not.
  - RV(client_secrets) holds secrets - register the result with C(no_log=true) on the task, and store the
    secrets somewhere safe (OpenBao KV), not in plain files.
  - User attributes are not managed - Keycloak 24's user profile drops attributes it does not declare.
seealso:
  - name: Keycloak 24 Admin REST API
    description: The representations and endpoints this module uses.
    link: https://www.keycloak.org/docs-api/24.0.5/rest-api/index.html
"""

EXAMPLES = r"""
- name: Converge the aegis-system realm
  aegis.platform.keycloak_realm:
    auth_keycloak_url: http://aegis-iam:8180
    auth_username: admin
    auth_password: "{{ aegis_keycloak_admin_password }}"
    realm: aegis-system
    settings:
      displayName: AEGIS system
      accessTokenLifespan: 300
      ssoSessionIdleTimeout: 1800
      oauth2DeviceCodeLifespan: 600
    roles:
      - name: "aegis:admin"
        description: AEGIS aegis:admin role
      - name: "aegis:operator"
        description: AEGIS aegis:operator role
      - name: "aegis:readonly"
        description: AEGIS aegis:readonly role
    # Upstream defines about sixty resource:action scopes; build the list from a variable in real use.
    client_scopes:
      - name: "agent:deploy"
        description: "Fine-grained scope: agent:deploy"
        include_in_token_scope: true
        display_on_consent_screen: false
      - name: "agent:read"
        description: "Fine-grained scope: agent:read"
        include_in_token_scope: true
        display_on_consent_screen: false
      - name: "workflow:run"
        description: "Fine-grained scope: workflow:run"
        include_in_token_scope: true
        display_on_consent_screen: false
      - name: "execution:read"
        description: "Fine-grained scope: execution:read"
        include_in_token_scope: true
        display_on_consent_screen: false
    clients:
      - client_id: aegis-orchestrator
        description: AEGIS orchestrator runtime (service account)
        service_accounts_enabled: true
        standard_flow_enabled: false
        service_account_roles: ["aegis:admin"]
      - client_id: aegis-temporal-worker
        description: Temporal worker calling the orchestrator
        service_accounts_enabled: true
        standard_flow_enabled: false
        service_account_roles: ["aegis:operator"]
        protocol_mappers:
          - name: aegis-orchestrator-audience
            protocol_mapper: oidc-audience-mapper
            config:
              included.client.audience: aegis-orchestrator
              id.token.claim: false
              access.token.claim: true
      - client_id: aegis-openbao
        description: OpenBao OIDC login
        standard_flow_enabled: true
        redirect_uris:
          - http://aegis-secrets:8200/ui/vault/auth/oidc/oidc/callback
          - http://localhost:8250/oidc/callback
      - client_id: aegis-cli
        description: AEGIS CLI (device authorization grant)
        public_client: true
        standard_flow_enabled: false
        device_authorization_grant_enabled: true
        default_client_scopes: [web-origins, acr, profile, roles, email]
        optional_client_scopes:
          - offline_access
          - "agent:deploy"
          - "agent:read"
          - "workflow:run"
          - "execution:read"
    users:
      - username: aegis-admin
        email: admin@aegis.example
        email_verified: true
        realm_roles: ["aegis:admin"]
        password: "{{ aegis_keycloak_initial_admin_password }}"
        password_temporary: true
  register: aegis_realm
  no_log: true  # the result holds client_secrets

- name: Store the generated client secrets in OpenBao
  ansible.builtin.debug:
    msg: "store {{ aegis_realm.client_secrets | length }} client secrets"

- name: Preview what would change, secrets masked
  aegis.platform.keycloak_realm:
    auth_keycloak_url: http://aegis-iam:8180
    auth_username: admin
    auth_password: "{{ aegis_keycloak_admin_password }}"
    realm: aegis-system
    clients:
      - client_id: aegis-openbao
        redirect_uris: [http://aegis-secrets:8200/ui/vault/auth/oidc/oidc/callback]
  check_mode: true
  diff: true

- name: Remove a retired client and delete everything not described
  aegis.platform.keycloak_realm:
    auth_keycloak_url: http://aegis-iam:8180
    auth_client_id: aegis-admin
    auth_client_secret: "{{ aegis_keycloak_admin_client_secret }}"
    realm: aegis-system
    purge: true
    clients:
      - client_id: legacy-dashboard
        state: absent

- name: Delete a realm
  aegis.platform.keycloak_realm:
    auth_keycloak_url: http://aegis-iam:8180
    auth_username: admin
    auth_password: "{{ aegis_keycloak_admin_password }}"
    realm: scratch
    state: absent
"""

RETURN = r"""
changes:
  description: One line per write made (or, in check mode, that would be made).
  returned: always
  type: list
  elements: str
  sample: ["create client scope agent:deploy", "grant aegis:admin to service account of client aegis-orchestrator"]
end_state:
  description:
    - The realm after the task - names of realm roles, client scopes and users, and C(clients) mapping each
      clientId to Keycloak's internal id (null for clients only planned in check mode).
  returned: always
  type: dict
  sample:
    realm: aegis-system
    exists: true
    enabled: true
    displayName: AEGIS system
    roles: ["aegis:admin", "aegis:operator", "aegis:readonly", "default-roles-aegis-system", "offline_access"]
    client_scopes: ["acr", "agent:deploy", "email", "profile", "roles", "web-origins"]
    clients: {"aegis-cli": "0b6e1a6e-6c3b-4a4e-9d39-1c8f1d0d7c11", "admin-cli": "5d9d..."}
    users: ["aegis-admin"]
client_secrets:
  description:
    - Secret of every confidential client in the description, by clientId. Use C(no_log=true) on the task.
    - Missing for clients that check mode only plans to create. Secrets given with the C(secret) option come
      back masked by Ansible (they are no_log values); you already have them.
  returned: when the realm is present
  type: dict
  sample: {"aegis-orchestrator": "kP3...", "aegis-temporal-worker": "Zq9..."}
requests:
  description: HTTP requests made - C(auth) (token), C(reads), C(writes) and C(total).
  returned: always
  type: dict
  sample: {"auth": 1, "reads": 8, "writes": 0, "total": 9}
"""

from typing import List

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegis.platform.plugins.module_utils.keycloak import (
    KeycloakError,
    client_from_params,
    keycloak_argument_spec,
)
from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_client import converge
from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_schema import (
    InvalidDescription,
    description_from,
    realm_argument_spec,
    validate,
)


def main() -> None:
    spec = keycloak_argument_spec()
    spec.update(realm_argument_spec())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_together=[["auth_username", "auth_password"]],
                           required_one_of=[["auth_username", "auth_client_secret"]])
    description = description_from(module.params)
    try:
        validate(description)
    except InvalidDescription as err:
        no_requests = {"auth": 0, "reads": 0, "writes": 0, "total": 0}
        module.fail_json(msg=str(err), errors=err.errors, changes=[], requests=no_requests)
    api = client_from_params(module.params)
    done: List[str] = []
    try:
        result = converge(api, description, done, check_mode=module.check_mode, diff=module._diff)
    except KeycloakError as err:
        module.fail_json(msg=str(err), status=err.status, changed=bool(done), changes=done,
                         requests=api.request_counts)
    result["requests"] = api.request_counts
    module.exit_json(**result)


if __name__ == "__main__":
    main()
