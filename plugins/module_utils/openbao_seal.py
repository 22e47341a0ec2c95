# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Initialise and unseal: the step of ``openbao_init`` and ``openbao_bootstrap``."""

from __future__ import annotations

import time

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
)


def unseal(client: OpenBaoClient, keys: list[str], progress: int) -> dict:
    """Feed keys until unsealed; on any failure reset the unseal progress so no partial state remains."""
    keys = list(dict.fromkeys(k.strip() for k in keys if k and k.strip()))  # a repeated share counts once
    if progress:
        client.request("PUT", "sys/unseal", {"reset": True}, auth=False)
    status: dict = {}
    for index, key in enumerate(keys, 1):
        try:
            status = client.request("PUT", "sys/unseal", {"key": key}, auth=False) or {}
        except OpenBaoError as exc:
            _reset_quietly(client)
            raise OpenBaoError("OpenBao at %s rejected unseal key #%d (%s); pass the keys returned when it was "
                               "initialised" % (client.url, index, "; ".join(exc.errors) or exc.message),
                               exc.status)
        if not status.get("sealed", True):
            return status
    _reset_quietly(client)
    raise OpenBaoError("OpenBao at %s is still sealed after %d distinct unseal key(s): it needs %s of its %s key "
                       "shares; pass at least that many in unseal_keys"
                       % (client.url, len(keys), status.get("t", "?"), status.get("n", "?")))


def _reset_quietly(client: OpenBaoClient) -> None:
    try:
        client.request("PUT", "sys/unseal", {"reset": True}, auth=False)
    except OpenBaoError:
        pass


def wait_active(client: OpenBaoClient, timeout: int) -> None:
    """Poll ``sys/health`` until the node is active (200); bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.request("GET", "sys/health", auth=False)
            return
        except OpenBaoError as exc:
            if exc.status is None or time.monotonic() >= deadline:
                raise OpenBaoError("OpenBao at %s did not become active within %ss after unsealing (%s); check its "
                                   "log" % (client.url, timeout, exc.message), exc.status)
        time.sleep(0.2)


def run(module, client: OpenBaoClient) -> dict:
    params = module.params
    client.add_secret(params["unseal_keys"])
    status = client.seal_status()
    before = {"initialized": bool(status.get("initialized")), "sealed": bool(status.get("sealed", True))}
    if params["read_only"]:
        return dict(before, changed=False)
    after = {"initialized": True, "sealed": False}
    result: dict = {"changed": before != after}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    result.update(after if result["changed"] else before)

    if not before["initialized"]:
        shares, threshold = params["key_shares"], params["key_threshold"]
        if shares < 1 or threshold < 1 or threshold > shares:
            raise OpenBaoError("key_threshold (%d) must be between 1 and key_shares (%d)" % (threshold, shares))
        if params["unseal_keys"]:
            module.warn("OpenBao at %s was not initialised although unseal_keys were given (was its storage wiped?): "
                        "it is initialised anew, so the given keys are useless; store the new keys and root token"
                        % client.url)
        if module.check_mode:
            return result
        answer = client.request("PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold},
                                auth=False) or {}
        keys, root_token = list(answer.get("keys") or []), answer.get("root_token")
        client.add_secret(keys, answer.get("keys_base64"), root_token)
        if not keys or not root_token:
            raise OpenBaoError("OpenBao at %s answered the init request without keys or root token" % client.url)
        # From here on the caller must get the keys, even if unsealing fails.
        result.update(unseal_keys=keys, root_token=root_token)
        try:
            unseal(client, keys[:threshold], 0)
            wait_active(client, params["active_timeout"])
        except OpenBaoError as exc:
            result.update(initialized=True, sealed=True)
            raise OpenBaoError("initialised, but then: %s" % exc.message, exc.status, result=result)
        return result

    if before["sealed"]:
        keys = params["unseal_keys"] or []
        if not keys:
            raise OpenBaoError("OpenBao at %s is sealed and no unseal_keys were given: run "
                               "aegis.platform.openbao_init with unseal_keys (the keys returned when it was "
                               "initialised)" % client.url)
        if module.check_mode:
            return result
        unseal(client, keys, int(status.get("progress") or 0))
        wait_active(client, params["active_timeout"])
    return result


SPEC = dict(
    key_shares=dict(type="int", default=1, no_log=False),
    key_threshold=dict(type="int", default=1, no_log=False),
    unseal_keys=dict(type="list", elements="str", no_log=True),
    active_timeout=dict(type="int", default=30),
    read_only=dict(type="bool", default=False),
)
