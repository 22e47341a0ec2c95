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
  - With O(secret_id_mode=missing), the given O(secret_id) is looked up with the caller's token
    (C(auth/<mount_point>/role/<role_name>/secret-id/lookup)) and is valid while OpenBao still holds it, unexpired.
    No login is attempted, so the check uses none of a secret ID's uses and never adds to a lockout; a new secret
    ID is only created when none is given or it is no longer valid (destroyed, expired).
  - When a secret ID is created and OpenBao has locked the role's role ID out (the consumer kept logging in with
    the dead secret ID, C(sys/locked-users)), the lockout is cleared (O(unlock)), so the new one works at once.
  - A no-op (given secret ID still valid) costs two requests (role ID, lookup).
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: >-
      Looks the given secret ID up to compute the same C(changed), but never creates or destroys a secret ID
      nor clears a lockout.
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
      - V(missing) creates a new secret ID only when O(secret_id) is not given or is no longer valid.
      - V(always) creates a new secret ID on every run (always changed).
      - V(never) creates none; it only returns the role ID.
    type: str
    choices: [missing, always, never]
    default: missing
  unlock:
    description:
      - When a secret ID is created, clear a lockout of the role's role ID (needs a token allowed to read
        C(sys/locked-users) and to unlock, as root is).
    type: bool
    default: true
  metadata:
    description:
      - Metadata attached to a newly created secret ID (string values; shown in the token's metadata).
    type: dict
  destroy_replaced:
    description:
      - When this run creates a secret ID and O(secret_id) was given, destroy the given one
        (C(auth/<mount_point>/role/<role_name>/secret-id/destroy)), so the secret ID it replaces no longer logs in.
    type: bool
    default: false
notes:
  - The task B(must) use C(no_log) set to V(true), because RV(secret_id) is a secret. It is returned only when this
    run created it; when RV(secret_id_created) is false, keep using the secret ID you passed.
"""

EXAMPLES = r"""
- name: Reuse the stored secret ID while it logs in, mint a new one otherwise
  aegis.platform.openbao_approle_secret_id:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    role_name: aegis-platform
    secret_id: "{{ stored_secret_id | default(omit) }}"
    secret_id_mode: missing
  register: approle_secret
  no_log: true

- name: Write the new credentials for the core pod
  ansible.builtin.copy:
    dest: "{{ aegis_secrets_dir }}/openbao-approle.env"
    content: |
      OPENBAO_ROLE_ID={{ approle_secret.role_id }}
      OPENBAO_SECRET_ID={{ approle_secret.secret_id }}
    mode: "0600"
  when: approle_secret.secret_id_created
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
secret_id_destroyed:
  description: Whether this run destroyed the replaced O(secret_id) (O(destroy_replaced); in check mode, whether it would).
  returned: success
  type: bool
  sample: false
unlocked:
  description: Whether this run cleared a lockout of the role ID.
  returned: success
  type: bool
  sample: false
secret_id_valid:
  description: Whether the given O(secret_id) is still valid; null when none was given or it was not checked.
  returned: success
  type: bool
  sample: true
"""

import datetime
import json
import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    run_module,
)

_NO_EXPIRY = "0001-01-01T00:00:00Z"


def needs_new_secret_id(mode: str, valid: bool | None) -> bool:
    """Decision table of ``secret_id_mode`` given whether the held secret ID is valid (None = none held)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return not valid


def validate_secret_id(client: OpenBaoClient, mount: str, role_name: str, secret_id: str) -> bool:
    """True while OpenBao holds ``secret_id`` for the role, unexpired: a lookup, never a login (a login would use
    one of its uses and, refused, count towards a lockout of the role ID)."""
    found = body_data(client.request("POST", "auth/%s/role/%s/secret-id/lookup" % (mount, role_name),
                                     {"secret_id": secret_id}, missing_ok=True))
    if not found:
        return False
    expires = str(found.get("expiration_time") or _NO_EXPIRY)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return expires == _NO_EXPIRY or expires > now  # RFC 3339 in UTC: text order is time order


def destroy_secret_id(client: OpenBaoClient, mount: str, role_name: str, secret_id: str) -> None:
    """Destroy ``secret_id`` of the role (OpenBao answers 204 also when it is already gone)."""
    client.request("POST", "auth/%s/role/%s/secret-id/destroy" % (mount, role_name), {"secret_id": secret_id})


def clear_lockout(client: OpenBaoClient, mount: str, role_id: str) -> bool:
    """Unlock ``role_id`` on the AppRole mount when OpenBao lists it in sys/locked-users; True when it did."""
    locked = body_data(client.request("GET", "sys/locked-users", missing_ok=True))
    accessor = ((body_data(client.read("sys/auth/" + mount)) or {}).get("accessor"))
    for namespace in locked.get("by_namespace") or []:
        for entry in namespace.get("mount_accessors") or []:
            if entry.get("mount_accessor") == accessor and role_id in (entry.get("alias_identifiers") or []):
                client.request("POST", "sys/locked-users/%s/unlock/%s" % (accessor, role_id), {})
                return True
    return False


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
        valid = validate_secret_id(client, mount, name, held)
    create = needs_new_secret_id(mode, valid)
    destroy = create and bool(held) and params["destroy_replaced"]
    result: dict[str, t.Any] = {"changed": create, "role_id": role_id, "secret_id_created": create,
                                "secret_id_valid": valid, "secret_id_destroyed": destroy, "unlocked": False}
    if module._diff:
        result["diff"] = {"before": {"secret_id": "******** (valid)" if valid else "none valid"},
                          "after": {"secret_id": ("******** (new, the replaced one destroyed)" if destroy else
                                                  "******** (new)") if create else
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
        if destroy:
            destroy_secret_id(client, mount, name, held)
        if params["unlock"]:
            result["unlocked"] = clear_lockout(client, mount, role_id)
    return result


def main() -> None:
    run_module(dict(
        role_name=dict(type="str", required=True),
        mount_point=dict(type="str", default="approle"),
        secret_id=dict(type="str", no_log=True),
        secret_id_mode=dict(type="str", choices=["missing", "always", "never"], default="missing", no_log=False),
        metadata=dict(type="dict"),
        unlock=dict(type="bool", default=True),
        destroy_replaced=dict(type="bool", default=False),
    ), run)


if __name__ == "__main__":
    main()
