#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_approle_login
short_description: Log in to OpenBao with an AppRole role ID and secret ID
version_added: 0.2.0
description:
  - Logs in at C(auth/<mount_point>/login) and returns the token OpenBao issued, with its policies and lifetime.
  - Changes no configuration (C(changed) is always false); the token lives until its TTL.
  - A refused login (wrong, destroyed or expired secret ID, unknown role ID, locked-out role ID) fails, unless
    O(fail_on_refusal=false), which returns RV(logged_in=false) instead (to prove that a retired secret ID no
    longer works, or to decide whether a credential must be replaced).
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: A login changes no configuration; it runs the same in check mode, so later reads can use the token.
  diff_mode:
    support: none
options:
  mount_point:
    description:
      - Path of the AppRole auth method, without C(auth/).
    type: str
    default: approle
  role_id:
    description:
      - Role ID of the AppRole role. Never logged.
    type: str
    required: true
  secret_id:
    description:
      - Secret ID to log in with. Never logged.
    type: str
    required: true
  fail_on_refusal:
    description:
      - V(true) fails when OpenBao refuses the login; V(false) returns RV(logged_in=false).
      - Other errors (server unreachable, sealed, nothing mounted at O(mount_point)) always fail.
    type: bool
    default: true
notes:
  - The task B(must) use C(no_log) set to V(true), because RV(token) is a secret.
  - O(token) is not used (a login needs none).
"""

EXAMPLES = r"""
- name: Log in as the deployer (a short-lived token for this run)
  aegis.platform.openbao_approle_login:
    url: "{{ aegis_openbao_url }}"
    role_id: "{{ deployer.role_id }}"
    secret_id: "{{ deployer.secret_id }}"
  register: deployer_login
  no_log: true

- name: The retired secret ID must be refused
  aegis.platform.openbao_approle_login:
    url: "{{ aegis_openbao_url }}"
    role_id: "{{ old.role_id }}"
    secret_id: "{{ old.secret_id }}"
    fail_on_refusal: false
  register: old_login
  failed_when: old_login.logged_in
  no_log: true
"""

RETURN = r"""
logged_in:
  description: Whether OpenBao accepted the login.
  returned: success
  type: bool
  sample: true
token:
  description: The issued token. Secret (use C(no_log) on the task).
  returned: when logged_in
  type: str
accessor:
  description: Accessor of the issued token (not secret; lets you revoke it).
  returned: when logged_in
  type: str
policies:
  description: Policies of the issued token.
  returned: when logged_in
  type: list
  elements: str
  sample: [default, aegis-deployer]
lease_duration:
  description: Seconds the token lives (before renewal).
  returned: when logged_in
  type: int
  sample: 3600
refusal:
  description: OpenBao's reason for refusing the login (no secret in it).
  returned: when not logged_in
  type: str
  sample: invalid role or secret ID
"""

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    run_module,
)

# OpenBao answers a refused AppRole login with 400 (invalid role or secret ID) and a locked-out one with 403.
REFUSED = (400, 403)


def login(client: OpenBaoClient, mount: str, role_id: str, secret_id: str) -> dict[str, t.Any]:
    """The ``auth`` block of a successful login; raises OpenBaoError (status kept) when OpenBao refuses it."""
    answer = client.request("POST", "auth/%s/login" % mount, {"role_id": role_id, "secret_id": secret_id},
                            auth=False)
    auth = (answer or {}).get("auth") or {}
    if not auth.get("client_token"):
        raise OpenBaoError("OpenBao at %s answered the AppRole login at auth/%s/ without a token" % (client.url, mount))
    return auth


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    mount = params["mount_point"].strip("/")
    try:
        auth = login(client, mount, params["role_id"], params["secret_id"])
    except OpenBaoError as exc:
        refused = exc.status in REFUSED and not any("no handler for route" in e for e in exc.errors)
        if not refused:
            raise
        if params["fail_on_refusal"]:
            raise OpenBaoError("OpenBao at %s refused the AppRole login at auth/%s/ (%s); the secret ID was destroyed "
                               "or expired, or the role ID is wrong or locked out" % (
                                   client.url, mount, "; ".join(exc.errors) or "HTTP %s" % exc.status), exc.status)
        return {"changed": False, "logged_in": False, "refusal": "; ".join(exc.errors) or "HTTP %s" % exc.status}
    client.add_secret(auth["client_token"])
    return {"changed": False, "logged_in": True, "token": auth["client_token"], "accessor": auth.get("accessor"),
            "policies": list(auth.get("token_policies") or auth.get("policies") or []),
            "lease_duration": int(auth.get("lease_duration") or 0)}


def main() -> None:
    run_module(dict(
        mount_point=dict(type="str", default="approle"),
        role_id=dict(type="str", required=True, no_log=True),
        secret_id=dict(type="str", required=True, no_log=True),
        fail_on_refusal=dict(type="bool", default=True),
    ), run, secret_params=("role_id", "secret_id"))


if __name__ == "__main__":
    main()
