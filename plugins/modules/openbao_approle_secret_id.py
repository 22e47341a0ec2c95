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

from ansible_collections.aegis.platform.plugins.module_utils.openbao import run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_secret_ids import SPEC, run


def main() -> None:
    run_module(SPEC, run)


if __name__ == "__main__":
    main()
