# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppRole roles: the step of ``openbao_approle_role`` and ``openbao_bootstrap``."""

from __future__ import annotations

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    differences,
    normalize_list,
    parse_duration,
)

DURATION_FIELDS = ("secret_id_ttl", "token_ttl", "token_max_ttl", "token_explicit_max_ttl", "token_period")
INT_FIELDS = ("secret_id_num_uses", "token_num_uses")
BOOL_FIELDS = ("bind_secret_id", "local_secret_ids", "token_no_default_policy", "token_strictly_bind_ip")
CIDR_FIELDS = ("secret_id_bound_cidrs", "token_bound_cidrs")
ROLE_FIELDS = DURATION_FIELDS + INT_FIELDS + BOOL_FIELDS + CIDR_FIELDS + ("token_policies", "token_type")


def desired_fields(params: dict[str, t.Any]) -> dict[str, t.Any]:
    """The role fields given, durations as seconds. Raises ValueError (naming the option) for bad input."""
    out: dict[str, t.Any] = {}
    for field in ROLE_FIELDS:
        value = params.get(field)
        if value is None:
            continue
        if field in DURATION_FIELDS:
            value = parse_duration(value, field)
        elif field in INT_FIELDS and value < 0:
            raise ValueError("%s must not be negative" % field)
        out[field] = value
    return out


def role_normalizers() -> dict[str, t.Callable[[t.Any], t.Any]]:
    norms: dict[str, t.Callable[[t.Any], t.Any]] = {}
    for field in DURATION_FIELDS:
        norms[field] = lambda v, f=field: parse_duration(v or 0, f)
    for field in INT_FIELDS:
        norms[field] = lambda v: int(v or 0)
    for field in BOOL_FIELDS:
        norms[field] = bool
    for field in CIDR_FIELDS:
        norms[field] = lambda v: normalize_list(v, cidr=True)
    norms["token_policies"] = lambda v: normalize_list(v, lower=True)
    norms["token_type"] = lambda v: v or "default"
    return norms


def role_changes(desired: dict[str, t.Any], current: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """Fields to send: all of ``desired`` for a new role, the differing ones for an existing one."""
    if current is None:
        return dict(desired)
    return differences(desired, current, role_normalizers())


def role_view(fields: dict[str, t.Any]) -> dict[str, t.Any]:
    """Role fields normalised for display and diff."""
    norms = role_normalizers()
    return {k: norms[k](fields.get(k)) for k in ROLE_FIELDS if k in fields}


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    mount, name = params["mount_point"].strip("/"), params["name"].strip()
    if not name:
        raise OpenBaoError("name must not be empty")
    try:
        desired = desired_fields(params)
    except ValueError as exc:
        raise OpenBaoError("%s (role %s unchanged)" % (exc, name))
    path = "auth/%s/role/%s" % (mount, name)
    answer = client.read(path)
    current = body_data(answer) if answer is not None else None
    result: dict[str, t.Any] = {"changed": False}

    if params["state"] == "absent":
        result["role"] = None
        if current is not None:
            result["changed"] = True
            if not module.check_mode:
                client.request("DELETE", path)
        if module._diff:
            result["diff"] = {"before": role_view(current or {}), "after": {}}
        return result

    if params["require_policies_exist"] and desired.get("token_policies"):
        existing = set(k.lower() for k in client.list_keys("sys/policies/acl"))
        missing = [p for p in desired["token_policies"] if p.lower() not in existing]
        if missing:
            raise OpenBaoError("policies %s of role %s do not exist at %s: create them first (e.g. with "
                               "aegis.platform.openbao_policy); role %s unchanged"
                               % (", ".join(missing), name, client.url, name))
    if current is not None and "local_secret_ids" in desired \
            and bool(desired["local_secret_ids"]) != bool(current.get("local_secret_ids")):
        raise OpenBaoError("local_secret_ids can only be set when role %s is created: delete the role "
                           "(state=absent) and create it again to change it; role unchanged" % name)

    changes = role_changes(desired, current)
    before = role_view(current) if current is not None else {}
    after = role_view(desired) if current is None else dict(before, **role_view(changes))
    result.update(changed=current is None or bool(changes), role=after)
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    if result["changed"] and not module.check_mode:
        client.request("POST", path, changes)
    if current is None and not module.check_mode:
        result["role"] = role_view(body_data(client.read(path)))
    return result


SPEC = dict(
    name=dict(type="str", required=True, aliases=["role_name"]),
    mount_point=dict(type="str", default="approle"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    require_policies_exist=dict(type="bool", default=False),
    bind_secret_id=dict(type="bool", no_log=False),
    secret_id_bound_cidrs=dict(type="list", elements="str", no_log=False),
    secret_id_num_uses=dict(type="int", no_log=False),
    secret_id_ttl=dict(type="raw", no_log=False),
    local_secret_ids=dict(type="bool", no_log=False),
    token_ttl=dict(type="raw", no_log=False),
    token_max_ttl=dict(type="raw", no_log=False),
    token_explicit_max_ttl=dict(type="raw", no_log=False),
    token_period=dict(type="raw", no_log=False),
    token_policies=dict(type="list", elements="str", no_log=False),
    token_no_default_policy=dict(type="bool", no_log=False),
    token_bound_cidrs=dict(type="list", elements="str", no_log=False),
    token_num_uses=dict(type="int", no_log=False),
    token_type=dict(type="str", choices=["default", "service", "batch", "default-service", "default-batch"],
                    no_log=False),
    token_strictly_bind_ip=dict(type="bool", no_log=False),
)
