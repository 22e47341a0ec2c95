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

from ansible_collections.aegis.platform.plugins.module_utils.openbao import run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_login import SECRET_PARAMS, SPEC, run


def main() -> None:
    run_module(SPEC, run, secret_params=SECRET_PARAMS)


if __name__ == "__main__":
    main()
