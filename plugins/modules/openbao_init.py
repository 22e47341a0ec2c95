#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_init
short_description: Initialise and unseal an OpenBao server
version_added: 0.1.0
description:
  - Reads the seal status of an OpenBao server; initialises it when it is not initialised yet (Shamir keys), and
    unseals it when it is sealed.
  - Initialised and unsealed is a no-op (one unauthenticated request).
  - When it initialises the server it returns the unseal keys and the root token. Those values are secrets and
    exist nowhere else, so the task B(must) use C(no_log) set to V(true) and store them right away (e.g. in a 0600 file
    under C(aegis_secrets_dir) or Ansible Vault).
  - A sealed server without O(unseal_keys) fails with a message saying what to do.
  - Needs no token; O(token) is accepted for symmetry with the other modules and ignored.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: Reports whether it would initialise or unseal; makes no request that changes the server.
  diff_mode:
    support: full
    details: Before and after show only C(initialized) and C(sealed), never keys or tokens.
options:
  key_shares:
    description:
      - Number of unseal key shares to create when initialising.
    type: int
    default: 1
  key_threshold:
    description:
      - Number of key shares needed to unseal. Must not exceed O(key_shares).
    type: int
    default: 1
  unseal_keys:
    description:
      - Unseal keys (hex or base64 as returned at initialisation) used when the server is sealed.
      - At least O(key_threshold) of them are needed. Ignored when the server is already unsealed.
    type: list
    elements: str
  active_timeout:
    description:
      - Seconds to wait, after initialising or unsealing, for the server to become active.
    type: int
    default: 30
  read_only:
    description:
      - Only wait for the API (O(connect_retries)) and report whether the server is initialised and sealed, as it is;
        never initialise or unseal (C(changed) is false). For a caller that decides itself, such as a restore that
        initialises empty storage with throw-away keys but unseals kept storage with the deployment's keys.
    type: bool
    default: false
notes:
  - The returned RV(unseal_keys) and RV(root_token) are only present when this run initialised the server. Use
    C(no_log) set to V(true) on the task, and on every task that handles them.
"""

EXAMPLES = r"""
- name: Initialise (first run) and unseal OpenBao
  aegis.platform.openbao_init:
    url: http://127.0.0.1:8200
    unseal_keys: "{{ aegis_openbao_unseal_keys | default(omit) }}"
  register: openbao_init_result
  no_log: true

- name: Keep the keys and the root token (only returned on the first run)
  ansible.builtin.copy:
    dest: "{{ aegis_secrets_dir }}/openbao-init.json"
    content: "{{ {'unseal_keys': openbao_init_result.unseal_keys, 'root_token': openbao_init_result.root_token} | to_json }}"
    mode: "0600"
  delegate_to: localhost
  when: openbao_init_result.unseal_keys is defined
  no_log: true
"""

RETURN = r"""
initialized:
  description: Whether the server is initialised (after this run; in check mode, what it would be; with O(read_only), as found).
  returned: success
  type: bool
  sample: true
sealed:
  description: Whether the server is sealed (after this run; in check mode, what it would be; with O(read_only), as found).
  returned: success
  type: bool
  sample: false
unseal_keys:
  description:
    - Hex unseal key shares. Secret; only returned by the run that initialised the server. Use C(no_log).
  returned: when this run initialised the server (not in check mode)
  type: list
  elements: str
root_token:
  description:
    - The initial root token. Secret; only returned by the run that initialised the server. Use C(no_log).
  returned: when this run initialised the server (not in check mode)
  type: str
"""

from ansible_collections.aegis.platform.plugins.module_utils.openbao import run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_seal import SPEC, run


def main() -> None:
    run_module(SPEC, run)


if __name__ == "__main__":
    main()
