# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppRole login: the step of ``openbao_approle_login`` and ``openbao_bootstrap``."""

from __future__ import annotations

import json
import typing as t

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
)

# OpenBao answers a refused AppRole login with 400 (invalid role or secret ID) and a locked-out one with 403.
REFUSED = (400, 403)


def read_credential(path: str) -> dict[str, t.Any]:
    """The AppRole credential kept in a file (JSON ``{role_id, secret_id}``); {} when missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            stored = json.load(handle)
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) and stored.get("role_id") and stored.get("secret_id") else {}


def login(client: OpenBaoClient, mount: str, role_id: str, secret_id: str) -> dict[str, t.Any]:
    """The ``auth`` block of a successful login; raises OpenBaoError (status kept) when OpenBao refuses it."""
    answer = client.request("POST", "auth/%s/login" % mount, {"role_id": role_id, "secret_id": secret_id},
                            auth=False)
    auth = (answer or {}).get("auth") or {}
    if not auth.get("client_token"):
        raise OpenBaoError("OpenBao at %s answered the AppRole login at auth/%s/ without a token" % (client.url, mount))
    return auth


def run(module, client: OpenBaoClient) -> dict[str, t.Any]:
    params = module.params
    mount = params["mount_point"].strip("/")
    try:
        auth = login(client, mount, params["role_id"], params["secret_id"])
    except OpenBaoError as exc:
        refused = exc.status in REFUSED and not any("no handler for route" in e for e in exc.errors)
        if not refused:
            raise
        if params["fail_on_refusal"]:
            raise OpenBaoError("OpenBao at %s refused the AppRole login at auth/%s/ (%s); the secret ID was destroyed "
                               "or expired, or the role ID is wrong or locked out" % (
                                   client.url, mount, "; ".join(exc.errors) or "HTTP %s" % exc.status), exc.status)
        return {"changed": False, "logged_in": False, "refusal": "; ".join(exc.errors) or "HTTP %s" % exc.status}
    client.add_secret(auth["client_token"])
    return {"changed": False, "logged_in": True, "token": auth["client_token"], "accessor": auth.get("accessor"),
            "policies": list(auth.get("token_policies") or auth.get("policies") or []),
            "lease_duration": int(auth.get("lease_duration") or 0)}


SPEC = dict(
    mount_point=dict(type="str", default="approle"),
    role_id=dict(type="str", required=True, no_log=True),
    secret_id=dict(type="str", required=True, no_log=True),
    fail_on_refusal=dict(type="bool", default=True),
)
# Parameters whose values the client masks in any error text.
SECRET_PARAMS = ("role_id", "secret_id")
