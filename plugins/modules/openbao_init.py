#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_init
short_description: Initialise and unseal an OpenBao server
version_added: 0.1.0
description:
  - Reads the seal status of an OpenBao server; initialises it when it is not initialised yet (Shamir keys), and
    unseals it when it is sealed.
  - Initialised and unsealed is a no-op (one unauthenticated request).
  - When it initialises the server it returns the unseal keys and the root token. Those values are secrets and
    exist nowhere else, so the task B(must) use C(no_log) set to V(true) and store them right away (e.g. in a 0600 file
    under C(aegis_secrets_dir) or Ansible Vault).
  - A sealed server without O(unseal_keys) fails with a message saying what to do.
  - Needs no token; O(token) is accepted for symmetry with the other modules and ignored.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: Reports whether it would initialise or unseal; makes no request that changes the server.
  diff_mode:
    support: full
    details: Before and after show only C(initialized) and C(sealed), never keys or tokens.
options:
  key_shares:
    description:
      - Number of unseal key shares to create when initialising.
    type: int
    default: 1
  key_threshold:
    description:
      - Number of key shares needed to unseal. Must not exceed O(key_shares).
    type: int
    default: 1
  unseal_keys:
    description:
      - Unseal keys (hex or base64 as returned at initialisation) used when the server is sealed.
      - At least O(key_threshold) of them are needed. Ignored when the server is already unsealed.
    type: list
    elements: str
  active_timeout:
    description:
      - Seconds to wait, after initialising or unsealing, for the server to become active.
    type: int
    default: 30
  read_only:
    description:
      - Only wait for the API (O(connect_retries)) and report whether the server is initialised and sealed, as it is;
        never initialise or unseal (C(changed) is false). For a caller that decides itself, such as a restore that
        initialises empty storage with throw-away keys but unseals kept storage with the deployment's keys.
    type: bool
    default: false
notes:
  - The returned RV(unseal_keys) and RV(root_token) are only present when this run initialised the server. Use
    C(no_log) set to V(true) on the task, and on every task that handles them.
"""

EXAMPLES = r"""
- name: Initialise (first run) and unseal OpenBao
  aegis.platform.openbao_init:
    url: http://127.0.0.1:8200
    unseal_keys: "{{ aegis_openbao_unseal_keys | default(omit) }}"
  register: openbao_init_result
  no_log: true

- name: Keep the keys and the root token (only returned on the first run)
  ansible.builtin.copy:
    dest: "{{ aegis_secrets_dir }}/openbao-init.json"
    content: "{{ {'unseal_keys': openbao_init_result.unseal_keys, 'root_token': openbao_init_result.root_token} | to_json }}"
    mode: "0600"
  delegate_to: localhost
  when: openbao_init_result.unseal_keys is defined
  no_log: true
"""

RETURN = r"""
initialized:
  description: Whether the server is initialised (after this run; in check mode, what it would be; with O(read_only), as found).
  returned: success
  type: bool
  sample: true
sealed:
  description: Whether the server is sealed (after this run; in check mode, what it would be; with O(read_only), as found).
  returned: success
  type: bool
  sample: false
unseal_keys:
  description:
    - Hex unseal key shares. Secret; only returned by the run that initialised the server. Use C(no_log).
  returned: when this run initialised the server (not in check mode)
  type: list
  elements: str
root_token:
  description:
    - The initial root token. Secret; only returned by the run that initialised the server. Use C(no_log).
  returned: when this run initialised the server (not in check mode)
  type: str
"""

import time

from ansible_collections.aegis.platform.plugins.module_utils.openbao import (
    OpenBaoClient,
    OpenBaoError,
    run_module,
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
            module.fail_json(msg="initialised, but then: %s" % exc.message, **result)
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


def main() -> None:
    run_module(dict(
        key_shares=dict(type="int", default=1, no_log=False),
        key_threshold=dict(type="int", default=1, no_log=False),
        unseal_keys=dict(type="list", elements="str", no_log=True),
        active_timeout=dict(type="int", default=30),
        read_only=dict(type="bool", default=False),
    ), run)


if __name__ == "__main__":
    main()
