#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_approle_secret_id
short_description: Keep a working secret ID for an OpenBao AppRole role
version_added: 0.1.0
description:
  - Reads the role ID of AppRole role O(role_name) and, depending on O(secret_id_mode), checks the secret ID the
    caller already holds and mints a new one.
  - With O(secret_id_mode=missing), the given O(secret_id) is validated by a real login
    (C(POST auth/<mount_point>/login)) and the token obtained is revoked at once; a new secret ID is only created
    when none is given or it does not log in. When the login is refused only because the controller is outside
    the role's C(secret_id_bound_cidrs), the secret ID is checked with C(secret-id/lookup) instead.
  - A validating login counts as one use of a secret ID whose role sets C(secret_id_num_uses).
  - A no-op (given secret ID still logs in) costs three requests (role ID, login, token revocation).
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: >-
      Validates the given secret ID (a login whose token is revoked at once) to compute the same C(changed),
      but never creates a secret ID.
  diff_mode:
    support: full
    details: Before and after say whether a valid secret ID is held; never show it.
options:
  role_name:
    description:
      - Name of the AppRole role.
    type: str
    required: true
  mount_point:
    description:
      - Path of the AppRole auth method, without C(auth/).
    type: str
    default: approle
  secret_id:
    description:
      - The secret ID the caller holds (for example read from its stored env file). Never logged.
    type: str
  secret_id_mode:
    description:
      - V(missing) creates a new secret ID only when O(secret_id) is not given or does not log in.
      - V(always) creates a new secret ID on every run (always changed).
      - V(never) creates none; it only returns the role ID.
    type: str
    choices: [missing, always, never]
    default: missing
  metadata:
    description:
      - Metadata attached to a newly created secret ID (string values; shown in the token's metadata).
    type: dict
notes:
  - The task B(must) use C(no_log) set to V(true), because RV(secret_id) is a secret. It is returned only when this
    run created it; when RV(secret_id_created) is false, keep using the secret ID you passed.
"""

EXAMPLES = r"""
- name: Reuse the stored secret ID while it logs in, mint a new one otherwise
  aegis.platform.openbao_approle_secret_id:
    url: "{{ aegis_openbao_url }}"
    token: "{{ __aegis_openbao_root_token }}"
    role_name: aegis-platform
    secret_id: "{{ __aegis_stored_secret_id | default(omit) }}"
    secret_id_mode: missing
  register: __aegis_openbao_secret_id
  no_log: true

- name: Write the new credentials for the core pod
  ansible.builtin.copy:
    dest: "{{ aegis_secrets_dir }}/openbao-approle.env"
    content: |
      OPENBAO_ROLE_ID={{ __aegis_openbao_secret_id.role_id }}
      OPENBAO_SECRET_ID={{ __aegis_openbao_secret_id.secret_id }}
    mode: "0600"
  when: __aegis_openbao_secret_id.secret_id_created
  no_log: true
"""

RETURN = r"""
role_id:
  description: The role's role ID.
  returned: success
  type: str
  sample: 3c1b5370-15e2-cd79-46b7-dbba62269dc5
secret_id:
  description:
    - The new secret ID. Secret (use C(no_log) on the task); only returned when RV(secret_id_created) is true.
  returned: when a secret ID was created
  type: str
secret_id_accessor:
  description: Accessor of the new secret ID (not secret; lets you revoke it later).
  returned: when a secret ID was created
  type: str
secret_id_created:
  description: Whether this run created a secret ID (in check mode, whether it would).
  returned: success
  type: bool
  sample: false
secret_id_valid:
  description: Whether the given O(secret_id) logs in; null when none was given or it was not checked.
  returned: success
  type: bool
  sample: true
"""

import json
import re
import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    run_module,
)

_CIDR_REFUSAL = re.compile(r"unauthorized by CIDR restrictions", re.I)
_INVALID = re.compile(r"invalid role or secret id|invalid secret id|secret id .*(expired|not found)", re.I)


def needs_new_secret_id(mode: str, valid: bool | None) -> bool:
    """Decision table of ``secret_id_mode`` given whether the held secret ID logs in (None = none held)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return not valid


def validate_secret_id(client: OpenBaoClient, mount: str, role_name: str, role_id: str, secret_id: str) -> bool:
    """True when ``secret_id`` logs in with ``role_id``; the token of that login is revoked at once."""
    try:
        answer = client.request("POST", "auth/%s/login" % mount, {"role_id": role_id, "secret_id": secret_id},
                                auth=False) or {}
    except OpenBaoError as exc:
        if exc.status == 400 and any(_CIDR_REFUSAL.search(e) for e in exc.errors):
            found = client.request("POST", "auth/%s/role/%s/secret-id/lookup" % (mount, role_name),
                                   {"secret_id": secret_id}, missing_ok=True)
            return bool(body_data(found))
        if exc.status == 400 and (any(_INVALID.search(e) for e in exc.errors) or not exc.errors):
            return False
        raise OpenBaoError("checking the given secret_id by a login to auth/%s failed: %s" % (mount, exc.message),
                           exc.status)
    token = ((answer.get("auth") or {}).get("client_token"))
    if token:
        client.add_secret(token)
        try:
            client.request("POST", "auth/token/revoke-self", {}, token=token)
        except OpenBaoError:
            pass  # best effort: the token expires with the role's token_ttl anyway
    return True


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    mount, name = params["mount_point"].strip("/"), params["role_name"].strip()
    mode, held = params["secret_id_mode"], params["secret_id"]
    client.add_secret(held)
    answer = client.read("auth/%s/role/%s/role-id" % (mount, name))
    if answer is None:
        raise OpenBaoError("AppRole role %s does not exist at auth/%s/ on %s: create it first with "
                           "aegis.platform.openbao_approle_role" % (name, mount, client.url))
    role_id = body_data(answer).get("role_id")
    valid: bool | None = None
    if mode == "missing" and held:
        valid = validate_secret_id(client, mount, name, role_id, held)
    create = needs_new_secret_id(mode, valid)
    result: dict[str, t.Any] = {"changed": create, "role_id": role_id, "secret_id_created": create,
                                "secret_id_valid": valid}
    if module._diff:
        result["diff"] = {"before": {"secret_id": "******** (valid)" if valid else "none valid"},
                          "after": {"secret_id": "******** (new)" if create else
                                    ("******** (valid)" if valid else "none valid")}}
    if create and not module.check_mode:
        body: dict[str, t.Any] = {}
        if params["metadata"]:
            body["metadata"] = json.dumps({str(k): str(v) for k, v in params["metadata"].items()})
        created = body_data(client.request("POST", "auth/%s/role/%s/secret-id" % (mount, name), body))
        if not created.get("secret_id"):
            raise OpenBaoError("OpenBao at %s answered the secret-id request of role %s without a secret_id"
                               % (client.url, name))
        result.update(secret_id=created["secret_id"], secret_id_accessor=created.get("secret_id_accessor"))
    return result


def main() -> None:
    run_module(dict(
        role_name=dict(type="str", required=True),
        mount_point=dict(type="str", default="approle"),
        secret_id=dict(type="str", no_log=True),
        secret_id_mode=dict(type="str", choices=["missing", "always", "never"], default="missing", no_log=False),
        metadata=dict(type="dict"),
    ), run)


if __name__ == "__main__":
    main()
