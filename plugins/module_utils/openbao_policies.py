# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACL policies: the step of ``openbao_policy`` and ``openbao_bootstrap``."""

from __future__ import annotations

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    normalize_policy_text,
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


SPEC = dict(
    name=dict(type="str", required=True),
    policy=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)
