#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_policy
short_description: Manage an OpenBao ACL policy
version_added: 0.1.0
description:
  - Creates or updates the ACL policy O(name) with the HCL text O(policy), or removes it.
  - The texts are compared after unifying line endings and dropping trailing whitespace and blank lines, so
    formatting-only differences do not cause a write. A no-op costs one request.
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
    details: Before and after hold the policy text.
options:
  name:
    description:
      - Policy name. OpenBao stores policy names in lower case.
    type: str
    required: true
  policy:
    description:
      - Policy text (HCL). Required with O(state=present).
    type: str
  state:
    description:
      - V(present) creates or updates, V(absent) deletes.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Policy of the AEGIS runtime
  aegis.platform.openbao_policy:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    name: aegis-platform
    policy: |
      path "secret/data/aegis/*" {
        capabilities = ["create", "read", "update", "delete", "list"]
      }
      path "secret/metadata/aegis/*" {
        capabilities = ["read", "list", "delete"]
      }
  no_log: true
"""

RETURN = r"""
name:
  description: Policy name as stored (lower case).
  returned: success
  type: str
  sample: aegis-platform
policy:
  description: Policy text after this run (in check mode, what it would be); null when absent.
  returned: success
  type: str
"""

from ansible_collections.aegis.platform.plugins.module_utils.openbao import run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_policies import SPEC, run


def main() -> None:
    run_module(SPEC, run)


if __name__ == "__main__":
    main()
