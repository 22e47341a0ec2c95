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

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    kv2_read,
    masked_data_diff,
    run_module,
)


def ensure_kv2(client: OpenBaoClient, mount: str, path: str) -> None:
    """Fail unless ``mount`` is a KV v2 engine (the preflight the ``bao kv`` CLI does)."""
    info = body_data(client.request("GET", "sys/internal/ui/mounts/%s/%s" % (mount, path)))
    if info.get("type") not in ("kv", "generic") or str((info.get("options") or {}).get("version")) != "2":
        raise OpenBaoError("%s/ at %s is a %s engine (options %s), not KV version 2: nothing written; mount KV v2 "
                           "there or choose another mount" % (mount, client.url, info.get("type"), info.get("options")))


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    mount, path = params["mount"].strip("/"), params["path"].strip("/")
    if not path:
        raise OpenBaoError("path must not be empty")
    desired = params["data"]
    client.add_secret(desired)
    current, version = kv2_read(client, mount, path)
    result: dict[str, t.Any] = {"changed": False, "version": version}

    if params["state"] == "absent":
        if params["purge"]:
            exists = client.read("%s/metadata/%s" % (mount, path)) is not None
            target = "%s/metadata/%s" % (mount, path)
        else:
            exists = current is not None
            target = "%s/data/%s" % (mount, path)
        result.update(changed=exists, data_keys=[])
        if module._diff:
            result["diff"] = masked_data_diff(current, None)
        if exists:
            if not module.check_mode:
                client.request("DELETE", target)
                result["version"] = None if params["purge"] else version
        return result

    if desired is None:
        raise OpenBaoError("data is required with state=present")
    result["data_keys"] = sorted(desired)
    if module._diff:
        result["diff"] = masked_data_diff(current, desired)
    if current == desired:
        return result
    result["changed"] = True
    if current is None:
        ensure_kv2(client, mount, path)
    if not module.check_mode:
        written = body_data(client.request("POST", "%s/data/%s" % (mount, path), {"data": desired}))
        result["version"] = written.get("version")
    return result


def main() -> None:
    run_module(dict(
        mount=dict(type="str", default="secret"),
        path=dict(type="str", required=True),
        data=dict(type="dict", no_log=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        purge=dict(type="bool", default=False),
    ), run)


if __name__ == "__main__":
    main()
