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
  - With O(approle_file) it logs in first with an AppRole credential kept in a file on the target (as the secrets
    role keeps the deployer credential), so the token never passes through the controller.
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
  approle_file:
    description:
      - File on the target holding a JSON object with C(role_id) and C(secret_id); log in with it instead of
        O(token).
    type: path
  approle_mount:
    description:
      - Path of the AppRole auth method O(approle_file) logs in at.
    type: str
    default: approle
"""

EXAMPLES = r"""
- name: Read the runtime's Keycloak client secret
  aegis.platform.openbao_kv2_get:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    path: aegis/keycloak/aegis-orchestrator
  register: client
  no_log: true

- name: Read a secret with the credential kept on the OpenBao host
  aegis.platform.openbao_kv2_get:
    url: http://127.0.0.1:8200
    approle_file: /etc/aegis/secrets/openbao-deployer.json
    path: deployment/generated
  register: kept
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
from ansible_collections.aegis.platform.plugins.module_utils.openbao_login import login, read_credential


def approle_client(client: OpenBaoClient, path: str, mount: str) -> OpenBaoClient:
    """``client`` with the token of a login with the credential kept in ``path``."""
    credential = read_credential(path)
    if not credential:
        raise OpenBaoError("no AppRole credential to log in with in %s (missing or not role_id/secret_id JSON)" % path)
    client.add_secret(credential)
    token = login(client, mount.strip("/"), credential["role_id"], credential["secret_id"])["client_token"]
    return client.with_token(token)


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    path = module.params["path"].strip("/")
    if not path:
        raise OpenBaoError("path must not be empty")
    if module.params["approle_file"]:
        client = approle_client(client, module.params["approle_file"], module.params["approle_mount"])
    data, version = kv2_read(client, module.params["mount"].strip("/"), path)
    return {"changed": False, "data": data, "version": version}


def main() -> None:
    run_module(dict(mount=dict(type="str", default="secret"), path=dict(type="str", required=True),
                    approle_file=dict(type="path"), approle_mount=dict(type="str", default="approle")), run)


if __name__ == "__main__":
    main()
