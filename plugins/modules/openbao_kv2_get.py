#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_kv2_get
short_description: Read a secret from an OpenBao KV version 2 engine
version_added: 0.2.0
description:
  - Reads the current version of the secret at O(path) in the KV v2 engine at O(mount). One request; nothing is
    written, so it runs in check mode too.
  - The result carries the secret's values; use C(no_log) on the task.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: A read; it runs the same in check mode.
  diff_mode:
    support: none
options:
  mount:
    description:
      - Path of the KV version 2 engine.
    type: str
    default: secret
  path:
    description:
      - Path of the secret inside the engine (without C(data/)), for example C(aegis/keycloak/aegis-orchestrator).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the runtime's Keycloak client secret
  aegis.platform.openbao_kv2_get:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    path: aegis/keycloak/aegis-orchestrator
  register: client
  no_log: true
"""

RETURN = r"""
data:
  description: The secret's key/value pairs; null when there is no current version.
  returned: success
  type: dict
  sample: {"client_id": "aegis-orchestrator", "client_secret": "..."}
version:
  description: Version of the secret (null when it does not exist).
  returned: success
  type: int
  sample: 3
"""

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import OpenBaoClient, OpenBaoError, kv2_read, run_module


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    path = module.params["path"].strip("/")
    if not path:
        raise OpenBaoError("path must not be empty")
    data, version = kv2_read(client, module.params["mount"].strip("/"), path)
    return {"changed": False, "data": data, "version": version}


def main() -> None:
    run_module(dict(mount=dict(type="str", default="secret"), path=dict(type="str", required=True)), run)


if __name__ == "__main__":
    main()
