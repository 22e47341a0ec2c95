#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_oidc_auth
short_description: Configure an OpenBao OIDC auth method and one of its roles
version_added: 0.1.0
description:
  - Writes C(auth/<mount_point>/config) (discovery URL, client id and secret, default role) and
    C(auth/<mount_point>/role/<role_name>) when they differ from what OpenBao returns. The auth method itself is
    mounted with M(aegis.platform.openbao_mount).
  - OpenBao never returns the client secret, so the configuration is compared on its other fields; set
    O(update_secret=true) to write the secret anyway (after rotating it in the identity provider).
  - OpenBao checks the discovery document when the configuration is written, so the provider must be reachable
    from the OpenBao server.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The client secret is never shown.
options:
  mount_point:
    description: Path the OIDC auth method is mounted at.
    type: str
    default: oidc
  discovery_url:
    description: The provider's issuer URL (OpenBao appends C(/.well-known/openid-configuration)).
    type: str
    required: true
  client_id:
    description: OIDC client id.
    type: str
    required: true
  client_secret:
    description: OIDC client secret.
    type: str
    required: true
  update_secret:
    description: Write the client secret even when every other field matches.
    type: bool
    default: false
  role_name:
    description: Role created and made the default role.
    type: str
    default: default
  allowed_redirect_uris:
    description: Redirect URIs the role allows.
    type: list
    elements: str
    required: true
  user_claim:
    description: Claim that names the user.
    type: str
    default: sub
  groups_claim:
    description: Claim holding the user's groups or roles (empty for none).
    type: str
    default: ""
  token_policies:
    description: Policies of the tokens this role issues.
    type: list
    elements: str
    default: []
  oidc_scopes:
    description: Scopes requested at login.
    type: list
    elements: str
    default: [openid, profile, email]
"""

EXAMPLES = r"""
- name: OIDC login against Keycloak's aegis-system realm
  aegis.platform.openbao_oidc_auth:
    url: http://127.0.0.1:8200
    token: "{{ openbao_deployer_token }}"
    discovery_url: http://aegis-iam:8180/realms/aegis-system
    client_id: aegis-openbao
    client_secret: "{{ client_secrets['aegis-openbao'] }}"
    allowed_redirect_uris: [http://aegis-secrets:8200/ui/vault/auth/oidc/oidc/callback]
    token_policies: [default]
  no_log: true
"""

RETURN = r"""
config_changed:
  description: Whether the auth method's configuration was (or would be) written.
  returned: always
  type: bool
role_changed:
  description: Whether the role was (or would be) written.
  returned: always
  type: bool
"""

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    body_data,
    differences,
    normalize_list,
    run_module,
)


def desired_config(params: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"oidc_discovery_url": params["discovery_url"].rstrip("/"), "oidc_client_id": params["client_id"],
            "default_role": params["role_name"]}


def desired_role(params: dict[str, t.Any]) -> dict[str, t.Any]:
    role = {"role_type": "oidc", "user_claim": params["user_claim"],
            "allowed_redirect_uris": params["allowed_redirect_uris"], "token_policies": params["token_policies"],
            "oidc_scopes": params["oidc_scopes"]}
    if params["groups_claim"]:
        role["groups_claim"] = params["groups_claim"]
    return role


LIST_KEYS = ("allowed_redirect_uris", "token_policies", "oidc_scopes")


def run(module, client) -> dict[str, t.Any]:
    params = module.params
    base = "auth/%s" % params["mount_point"].strip("/")
    current_config = body_data(client.read(base + "/config"))
    config = desired_config(params)
    config_diff = differences(config, current_config, {"oidc_discovery_url": lambda v: (v or "").rstrip("/")})
    config_changed = bool(config_diff) or params["update_secret"] or not current_config
    current_role = body_data(client.read("%s/role/%s" % (base, params["role_name"])))
    role = desired_role(params)
    role_changed = bool(differences(role, current_role, {key: normalize_list for key in LIST_KEYS}))
    if not module.check_mode:
        if config_changed:
            client.write(base + "/config", dict(config, oidc_client_secret=params["client_secret"]))
        if role_changed:
            client.write("%s/role/%s" % (base, params["role_name"]), role)
    result = {"changed": config_changed or role_changed, "config_changed": config_changed, "role_changed": role_changed}
    if module._diff:
        result["diff"] = {"before": {"config": {key: current_config.get(key) for key in config},
                                     "role": {key: current_role.get(key) for key in role}},
                          "after": {"config": config, "role": role}}
    return result


def main() -> None:
    run_module(dict(
        mount_point=dict(type="str", default="oidc"),
        discovery_url=dict(type="str", required=True),
        client_id=dict(type="str", required=True),
        client_secret=dict(type="str", required=True, no_log=True),
        update_secret=dict(type="bool", default=False),
        role_name=dict(type="str", default="default"),
        allowed_redirect_uris=dict(type="list", elements="str", required=True),
        user_claim=dict(type="str", default="sub"),
        groups_claim=dict(type="str", default=""),
        token_policies=dict(type="list", elements="str", default=[], no_log=False),
        oidc_scopes=dict(type="list", elements="str", default=["openid", "profile", "email"]),
    ), run, secret_params=("client_secret",))


if __name__ == "__main__":
    main()
