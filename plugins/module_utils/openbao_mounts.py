# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secret engine and auth method mounts: the step of ``openbao_mount`` and ``openbao_bootstrap``."""

from __future__ import annotations

import re
import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    differences,
    normalize_list,
    parse_duration,
)

DURATION_KEYS = ("default_lease_ttl", "max_lease_ttl")
LIST_KEYS = ("audit_non_hmac_request_keys", "audit_non_hmac_response_keys", "passthrough_request_headers",
             "allowed_response_headers")
_MISSING = re.compile(r"no (secret engine mount|auth engine) at", re.I)


def desired_config(config: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """Given config keys with durations as seconds; raises ValueError for bad durations (before any request)."""
    out: dict[str, t.Any] = {}
    for key, value in (config or {}).items():
        if value is None:
            continue
        out[key] = parse_duration(value, "config.%s" % key) if key in DURATION_KEYS else value
    return out


def desired_options(options: dict[str, t.Any] | None) -> dict[str, str] | None:
    if options is None:
        return None
    return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in options.items()}


def config_normalizers() -> dict[str, t.Callable[[t.Any], t.Any]]:
    norms: dict[str, t.Callable[[t.Any], t.Any]] = {key: normalize_list for key in LIST_KEYS}
    norms.update({key: lambda v: int(v or 0) for key in DURATION_KEYS})
    norms["listing_visibility"] = lambda v: v or ""
    norms["token_type"] = lambda v: v or "default-service"
    return norms


def plan(current: dict[str, t.Any], description: str | None,
         options: dict[str, str] | None, config: dict[str, t.Any]) -> dict[str, t.Any]:
    """Tune body (only what differs) for an existing mount ``current`` (its ``data`` as the server answers)."""
    body: dict[str, t.Any] = {}
    if description is not None and description != (current.get("description") or ""):
        body["description"] = description
    if options:
        have = {str(k): str(v) for k, v in (current.get("options") or {}).items()}
        if any(have.get(k) != v for k, v in options.items()):
            body["options"] = options
    body.update(differences(config, dict(current.get("config") or {}), config_normalizers()))
    return body


def summary(data: dict[str, t.Any], config_keys: t.Iterable[str]) -> dict[str, t.Any]:
    config = dict(data.get("config") or {})
    norms = config_normalizers()
    return {
        "type": data.get("type"),
        "description": data.get("description") or "",
        "options": dict(data.get("options") or {}),
        "config": {k: norms[k](config.get(k)) for k in config_keys},
        "accessor": data.get("accessor", ""),
    }


def read_mount(client: OpenBaoClient, base: str, path: str) -> dict[str, t.Any] | None:
    try:
        return body_data(client.request("GET", "%s/%s" % (base, path)))
    except OpenBaoError as exc:
        if exc.status in (400, 404) and any(_MISSING.search(e) for e in exc.errors):
            return None
        raise


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    kind, path = params["kind"], params["path"].strip("/")
    if not path:
        raise OpenBaoError("path must not be empty")
    base = "sys/mounts" if kind == "secret" else "sys/auth"
    where = "auth/%s" % path if kind == "auth" else path
    want_type, options = params["type"], desired_options(params["options"])
    if want_type == "kv-v2":
        want_type, options = "kv", dict(options or {}, version="2")
    try:
        config = desired_config(params["config"])
    except ValueError as exc:
        raise OpenBaoError(str(exc))
    if "token_type" in config and kind != "auth":
        raise OpenBaoError("config.token_type only applies to auth methods (kind=auth)")
    config_keys = sorted(config)

    current = read_mount(client, base, path)
    before = summary(current, config_keys) if current is not None else None
    result: dict[str, t.Any] = {"changed": False}

    if params["state"] == "absent":
        if current is None:
            result["mount"] = None
        else:
            if want_type and current.get("type") != want_type:
                raise OpenBaoError("%s/ holds a %s mount, not %s: nothing removed; check path and type"
                                   % (where, current.get("type"), want_type))
            result.update(changed=True, mount=None)
            if not module.check_mode:
                client.request("DELETE", "%s/%s" % (base, path))
        if module._diff:
            result["diff"] = {"before": before or {}, "after": {}}
        return result

    if not want_type:
        raise OpenBaoError("type is required with state=present (e.g. kv, approle)")
    if current is None:
        body: dict[str, t.Any] = {"type": want_type}
        if params["description"] is not None:
            body["description"] = params["description"]
        if options:
            body["options"] = options
        if config:
            body["config"] = {k: "%ds" % v if k in DURATION_KEYS else v for k, v in config.items()}
        after = {"type": want_type, "description": params["description"] or "", "options": options or {},
                 "config": {k: config_normalizers()[k](config[k]) for k in config_keys}, "accessor": ""}
        result.update(changed=True)
        if not module.check_mode:
            client.request("POST", "%s/%s" % (base, path), body)
            created = read_mount(client, base, path)
            after = summary(created or {}, config_keys)
    else:
        if current.get("type") != want_type:
            raise OpenBaoError("%s/ already holds a %s mount, not %s: nothing changed; choose another path or remove "
                               "it first (state=absent)" % (where, current.get("type"), want_type))
        tune = plan(current, params["description"], options, config)
        after = dict(before or {})
        if tune:
            result["changed"] = True
            after = {
                "type": want_type,
                "description": tune.get("description", after["description"]),
                "options": dict(after["options"], **tune.get("options", {})),
                "config": dict(after["config"], **{k: config_normalizers()[k](tune[k])
                                                   for k in config_keys if k in tune}),
                "accessor": after["accessor"],
            }
            if not module.check_mode:
                send = {k: ("%ds" % v if k in DURATION_KEYS else v) for k, v in tune.items()}
                client.request("POST", "%s/%s/tune" % (base, path), send)
    result["mount"] = after
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after}
    return result


SPEC = dict(
    kind=dict(type="str", choices=["secret", "auth"], default="secret"),
    path=dict(type="str", required=True),
    type=dict(type="str"),
    description=dict(type="str"),
    options=dict(type="dict"),
    config=dict(type="dict", options=dict(
        default_lease_ttl=dict(type="raw"),
        max_lease_ttl=dict(type="raw"),
        listing_visibility=dict(type="str", choices=["", "unauth", "hidden"]),
        audit_non_hmac_request_keys=dict(type="list", elements="str", no_log=False),
        audit_non_hmac_response_keys=dict(type="list", elements="str", no_log=False),
        passthrough_request_headers=dict(type="list", elements="str", no_log=False),
        allowed_response_headers=dict(type="list", elements="str"),
        token_type=dict(type="str", choices=["default-service", "default-batch", "service", "batch"]),
    )),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)
