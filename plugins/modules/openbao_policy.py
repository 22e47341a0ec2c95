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

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    normalize_policy_text,
    run_module,
)


def policy_changed(current: str | None, desired: str | None) -> bool:
    """True when the two policy texts differ beyond formatting (None means "no policy")."""
    if current is None or desired is None:
        return current is not desired
    return normalize_policy_text(current) != normalize_policy_text(desired)


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    name = params["name"].strip().lower()
    if not name:
        raise OpenBaoError("name must not be empty")
    present = params["state"] == "present"
    if present and not (params["policy"] or "").strip():
        raise OpenBaoError("policy (the HCL text) is required with state=present")
    path = "sys/policies/acl/%s" % name
    answer = client.read(path)
    current = body_data(answer).get("policy") if answer is not None else None
    desired = params["policy"] if present else None
    changed = policy_changed(current, desired)
    result: dict[str, t.Any] = {"changed": changed, "name": name, "policy": desired if changed else current}
    if module._diff:
        result["diff"] = {"before": (current or "") + ("\n" if current and not current.endswith("\n") else ""),
                          "after": (desired or "") + ("\n" if desired and not desired.endswith("\n") else ""),
                          "before_header": path, "after_header": path}
    if changed and not module.check_mode:
        if present:
            client.request("PUT", path, {"policy": desired})
        else:
            client.request("DELETE", path)
    return result


def main() -> None:
    run_module(dict(
        name=dict(type="str", required=True),
        policy=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ), run)


if __name__ == "__main__":
    main()
