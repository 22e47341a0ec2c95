# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppRole secret IDs kept or minted: the step of ``openbao_approle_secret_id`` and ``openbao_bootstrap``."""

from __future__ import annotations

import datetime
import json
import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    body_data,
)

_NO_EXPIRY = "0001-01-01T00:00:00Z"


def needs_new_secret_id(mode: str, valid: bool | None) -> bool:
    """Decision table of ``secret_id_mode`` given whether the held secret ID is valid (None = none held)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    return not valid


def validate_secret_id(client: OpenBaoClient, mount: str, role_name: str, secret_id: str) -> bool:
    """True while OpenBao holds ``secret_id`` for the role, unexpired: a lookup, never a login (a login would use
    one of its uses and, refused, count towards a lockout of the role ID)."""
    found = body_data(client.request("POST", "auth/%s/role/%s/secret-id/lookup" % (mount, role_name),
                                     {"secret_id": secret_id}, missing_ok=True))
    if not found:
        return False
    expires = str(found.get("expiration_time") or _NO_EXPIRY)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return expires == _NO_EXPIRY or expires > now  # RFC 3339 in UTC: text order is time order


def destroy_secret_id(client: OpenBaoClient, mount: str, role_name: str, secret_id: str) -> None:
    """Destroy ``secret_id`` of the role (OpenBao answers 204 also when it is already gone)."""
    client.request("POST", "auth/%s/role/%s/secret-id/destroy" % (mount, role_name), {"secret_id": secret_id})


def clear_lockout(client: OpenBaoClient, mount: str, role_id: str) -> bool:
    """Unlock ``role_id`` on the AppRole mount when OpenBao lists it in sys/locked-users; True when it did."""
    locked = body_data(client.request("GET", "sys/locked-users", missing_ok=True))
    accessor = ((body_data(client.read("sys/auth/" + mount)) or {}).get("accessor"))
    for namespace in locked.get("by_namespace") or []:
        for entry in namespace.get("mount_accessors") or []:
            if entry.get("mount_accessor") == accessor and role_id in (entry.get("alias_identifiers") or []):
                client.request("POST", "sys/locked-users/%s/unlock/%s" % (accessor, role_id), {})
                return True
    return False


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    mount, name = params["mount_point"].strip("/"), params["role_name"].strip()
    mode, held = params["secret_id_mode"], params["secret_id"]
    client.add_secret(held)
    answer = client.read("auth/%s/role/%s/role-id" % (mount, name))
    if answer is None:
        raise OpenBaoError("AppRole role %s does not exist at auth/%s/ on %s: create it first with "
                           "aegis.platform.openbao_approle_role" % (name, mount, client.url))
    role_id = body_data(answer).get("role_id")
    valid: bool | None = None
    if mode == "missing" and held:
        valid = validate_secret_id(client, mount, name, held)
    create = needs_new_secret_id(mode, valid)
    destroy = create and bool(held) and params["destroy_replaced"]
    result: dict[str, t.Any] = {"changed": create, "role_id": role_id, "secret_id_created": create,
                                "secret_id_valid": valid, "secret_id_destroyed": destroy, "unlocked": False}
    if module._diff:
        result["diff"] = {"before": {"secret_id": "******** (valid)" if valid else "none valid"},
                          "after": {"secret_id": ("******** (new, the replaced one destroyed)" if destroy else
                                                  "******** (new)") if create else
                                    ("******** (valid)" if valid else "none valid")}}
    if create and not module.check_mode:
        body: dict[str, t.Any] = {}
        if params["metadata"]:
            body["metadata"] = json.dumps({str(k): str(v) for k, v in params["metadata"].items()})
        created = body_data(client.request("POST", "auth/%s/role/%s/secret-id" % (mount, name), body))
        if not created.get("secret_id"):
            raise OpenBaoError("OpenBao at %s answered the secret-id request of role %s without a secret_id"
                               % (client.url, name))
        result.update(secret_id=created["secret_id"], secret_id_accessor=created.get("secret_id_accessor"))
        if destroy:
            destroy_secret_id(client, mount, name, held)
        if params["unlock"]:
            result["unlocked"] = clear_lockout(client, mount, role_id)
    return result


SPEC = dict(
    role_name=dict(type="str", required=True),
    mount_point=dict(type="str", default="approle"),
    secret_id=dict(type="str", no_log=True),
    secret_id_mode=dict(type="str", choices=["missing", "always", "never"], default="missing", no_log=False),
    metadata=dict(type="dict"),
    unlock=dict(type="bool", default=True),
    destroy_replaced=dict(type="bool", default=False),
)
