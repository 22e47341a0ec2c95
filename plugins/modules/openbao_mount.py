#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_mount
short_description: Enable, tune or disable an OpenBao secrets engine or auth method
version_added: 0.1.0
description:
  - Enables a secrets engine (O(kind=secret), C(sys/mounts)) or an auth method (O(kind=auth), C(sys/auth)) at
    O(path) when nothing is mounted there.
  - When it exists, compares the given O(description), O(options) and O(config) with the server's (durations in
    seconds, lists as sets) and tunes only what differs. Options and config keys that are not given are left as
    they are.
  - Fails, without changing anything, when O(path) holds an engine of another O(type).
  - A no-op costs one request.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: Computes the same C(changed) without enabling, tuning or disabling anything.
  diff_mode:
    support: full
    details: Before and after show type, description, options and the compared config keys.
options:
  kind:
    description:
      - V(secret) for a secrets engine, V(auth) for an auth method.
    type: str
    choices: [secret, auth]
    default: secret
  path:
    description:
      - Mount path, without C(auth/) for auth methods (C(approle) means C(auth/approle/)).
    type: str
    required: true
  type:
    description:
      - Engine or method type, for example V(kv), V(transit), V(approle), V(oidc).
      - V(kv-v2) is taken as V(kv) with O(options) C(version=2).
      - Required with O(state=present). With O(state=absent), when given, the mount is only removed if it has
        this type (otherwise the module fails).
    type: str
  description:
    description:
      - Human-readable description of the mount.
    type: str
  options:
    description:
      - Engine options, for example C(version=2) for V(kv). Values are compared as strings.
      - A KV engine can be upgraded from version 1 to 2 in place, not downgraded.
    type: dict
  config:
    description:
      - Tunable configuration. Only the keys given are compared and tuned.
    type: dict
    suboptions:
      default_lease_ttl:
        description:
          - Default lease TTL, in seconds or with units (V(1h), V(30m)). V(0) means the system default.
        type: raw
      max_lease_ttl:
        description:
          - Maximum lease TTL, in seconds or with units. V(0) means the system default.
        type: raw
      listing_visibility:
        description:
          - Whether the mount is listed in the unauthenticated UI listing.
        type: str
        choices: ['', unauth, hidden]
      audit_non_hmac_request_keys:
        description:
          - Request keys that audit devices do not HMAC.
        type: list
        elements: str
      audit_non_hmac_response_keys:
        description:
          - Response keys that audit devices do not HMAC.
        type: list
        elements: str
      passthrough_request_headers:
        description:
          - Request headers passed through to the plugin.
        type: list
        elements: str
      allowed_response_headers:
        description:
          - Response headers the plugin may set.
        type: list
        elements: str
      token_type:
        description:
          - Token type issued by an auth method (O(kind=auth) only).
        type: str
        choices: [default-service, default-batch, service, batch]
  state:
    description:
      - V(present) enables and tunes; V(absent) disables the mount, B(destroying all its data).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: KV version 2 at secret/
  aegis.platform.openbao_mount:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    path: secret
    type: kv
    options:
      version: 2
  no_log: true

- name: AppRole auth method with lease limits
  aegis.platform.openbao_mount:
    url: "{{ aegis_openbao_url }}"
    token: "{{ openbao_deployer_token }}"
    kind: auth
    path: approle
    type: approle
    config:
      default_lease_ttl: 1h
      max_lease_ttl: 4h
"""

RETURN = r"""
mount:
  description: The mount after this run (in check mode, what it would be); absent when it does not exist.
  returned: success
  type: dict
  contains:
    type:
      description: Engine or method type.
      type: str
      sample: kv
    description:
      description: Description.
      type: str
      sample: ''
    options:
      description: Engine options as the server reports them (string values).
      type: dict
      sample: {version: '2'}
    config:
      description: Mount configuration as the server reports it (durations in seconds).
      type: dict
      sample: {default_lease_ttl: 0, max_lease_ttl: 0, force_no_cache: false}
    accessor:
      description: Mount accessor (empty until it exists).
      type: str
      sample: kv_89811f16
"""

import re
import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    differences,
    normalize_list,
    parse_duration,
    run_module,
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


def main() -> None:
    run_module(dict(
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
    ), run)


if __name__ == "__main__":
    main()
