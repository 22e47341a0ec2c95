#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_kv2_secret
short_description: Write or delete a secret in an OpenBao KV version 2 engine
version_added: 0.1.0
description:
  - Reads the current version of the secret at O(path) in the KV v2 engine at O(mount) and writes O(data) as a
    new version only when it differs. A no-op costs one request.
  - Values never appear in output or diff; the diff lists the keys, masking values and marking each key as
    added or changed.
  - Before creating a secret, checks that O(mount) is a KV version 2 engine (nothing is written into a KV v1
    engine by mistake).
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
    details: Keys only; every value is shown as C(********), with C((added)) or C((changed)) where it differs.
options:
  mount:
    description:
      - Path of the KV version 2 engine.
    type: str
    default: secret
  path:
    description:
      - Path of the secret inside the engine (without C(data/)), for example C(aegis/keycloak).
    type: str
    required: true
  data:
    description:
      - The whole secret (key/value pairs); it replaces the current version when different. Never logged.
      - Required with O(state=present).
    type: dict
  state:
    description:
      - V(present) writes O(data) when it differs from the current version.
      - V(absent) soft-deletes the current version (recoverable with C(undelete)), or with O(purge=true) removes
        every version and the metadata.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=absent), remove all versions and metadata permanently instead of soft-deleting.
    type: bool
    default: false
notes:
  - Ansible treats every value of O(data) as secret and masks it wherever it appears in the task's output; a very
    short value (such as V(1)) therefore also masks unrelated text and numbers in the result, RV(version) included.
"""

EXAMPLES = r"""
- name: Store the Keycloak client secret of the runtime
  aegis.platform.openbao_kv2_secret:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    path: aegis/keycloak/aegis-orchestrator
    data:
      client_id: aegis-orchestrator
      client_secret: "{{ orchestrator_client_secret }}"
  no_log: true
"""

RETURN = r"""
version:
  description:
    - Version of the secret after this run (null when it does not exist; in check mode the current version).
  returned: success
  type: int
  sample: 3
data_keys:
  description: Keys of the secret after this run (values are never returned).
  returned: success
  type: list
  elements: str
  sample: [client_id, client_secret]
"""

from ansible_collections.aegis.platform.plugins.module_utils.openbao import run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_kv2_write import SPEC, run


def main() -> None:
    run_module(SPEC, run)


if __name__ == "__main__":
    main()
