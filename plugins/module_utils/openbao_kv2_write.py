# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KV v2 secrets written when they differ: the step of ``openbao_kv2_secret`` and ``openbao_bootstrap``."""

from __future__ import annotations

import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
    kv2_read,
    masked_data_diff,
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


SPEC = dict(
    mount=dict(type="str", default="secret"),
    path=dict(type="str", required=True),
    data=dict(type="dict", no_log=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    purge=dict(type="bool", default=False),
)
