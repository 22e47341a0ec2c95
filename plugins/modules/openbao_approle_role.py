#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_approle_role
short_description: Manage an OpenBao AppRole role
version_added: 0.1.0
description:
  - Creates or updates the AppRole role O(name) under the AppRole auth method at O(mount_point), or deletes it.
  - Only the options that are given are compared and written; the others keep their server values. Durations
    are compared in seconds (V(1h) equals V(3600)), policy and CIDR lists as sets.
  - Every duration is validated before any request, so an invalid one changes nothing.
  - The role ID is part of the role's login credential and is not returned, so that the result (shown with C(-v))
    holds nothing secret; M(aegis.platform.openbao_approle_secret_id) returns it with the secret ID (run that one
    with C(no_log)). Secret IDs are handled there too.
  - A no-op costs one request (the role), plus one with O(require_policies_exist=true).
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: Computes the same C(changed) without writing.
  diff_mode:
    support: full
    details: Before and after hold the role's fields (durations in seconds).
options:
  name:
    description:
      - Role name.
    type: str
    required: true
    aliases: [role_name]
  mount_point:
    description:
      - Path of the AppRole auth method, without C(auth/).
    type: str
    default: approle
  state:
    description:
      - V(present) creates or updates, V(absent) deletes the role (and its secret IDs).
    type: str
    choices: [present, absent]
    default: present
  require_policies_exist:
    description:
      - Fail, before writing anything, when a policy in O(token_policies) does not exist on the server.
    type: bool
    default: false
  bind_secret_id:
    description:
      - Require a secret ID at login.
    type: bool
  secret_id_bound_cidrs:
    description:
      - CIDR blocks (or addresses) allowed to log in with a secret ID of this role.
    type: list
    elements: str
  secret_id_num_uses:
    description:
      - Number of logins a secret ID allows; V(0) means unlimited.
    type: int
  secret_id_ttl:
    description:
      - Lifetime of secret IDs (seconds or units such as V(24h)); V(0) means no expiry.
    type: raw
  local_secret_ids:
    description:
      - Secret IDs are local to the cluster (not replicated). Can only be set when the role is created; a
        different value on an existing role fails.
    type: bool
  token_ttl:
    description:
      - TTL of issued tokens (seconds or units such as V(1h)).
    type: raw
  token_max_ttl:
    description:
      - Maximum lifetime of issued tokens, renewals included.
    type: raw
  token_explicit_max_ttl:
    description:
      - Hard maximum lifetime of issued tokens, which even periodic tokens cannot pass.
    type: raw
  token_period:
    description:
      - Makes issued tokens periodic with this renewal period.
    type: raw
  token_policies:
    description:
      - Policies attached to issued tokens.
    type: list
    elements: str
  token_no_default_policy:
    description:
      - Do not add the C(default) policy to issued tokens.
    type: bool
  token_bound_cidrs:
    description:
      - CIDR blocks (or addresses) allowed to use issued tokens.
    type: list
    elements: str
  token_num_uses:
    description:
      - Number of uses of an issued token; V(0) means unlimited.
    type: int
  token_type:
    description:
      - Type of issued tokens.
    type: str
    choices: [default, service, batch, default-service, default-batch]
  token_strictly_bind_ip:
    description:
      - Bind issued tokens to the login's source IP address (OpenBao).
    type: bool
"""

EXAMPLES = r"""
- name: Role of the AEGIS runtime
  aegis.platform.openbao_approle_role:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    name: aegis-platform
    token_policies: [aegis-platform]
    token_ttl: 1h
    token_max_ttl: 4h
    require_policies_exist: true
  register: approle_role
  no_log: true
"""

RETURN = r"""
role:
  description: The role's fields after this run (in check mode, what they would be); durations in seconds.
  returned: success
  type: dict
  sample: {token_ttl: 3600, token_max_ttl: 14400, token_policies: [aegis-platform], bind_secret_id: true}
"""

from ansible_collections.aegis.platform.plugins.module_utils.openbao import run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_approle_roles import SPEC, run


def main() -> None:
    run_module(SPEC, run)


if __name__ == "__main__":
    main()
