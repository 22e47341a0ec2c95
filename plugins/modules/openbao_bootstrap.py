#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: openbao_bootstrap
short_description: Initialise, unseal and configure OpenBao for a platform in one call
version_added: 0.2.0
description:
  - Brings an OpenBao server to the state a platform needs, reading its state once per object and writing only
    what differs, in this order.
  - Seal. Initialises the server when it is not initialised yet (the unseal keys and root token are returned once)
    and unseals it when it is sealed (O(unseal_keys)).
  - Deployer credential. Logs in with the AppRole credential kept in O(deployer.file) on the target and compares
    its policy with O(deployer.policy). Only when it is missing, no longer logs in or its policy differs, the root
    token (this run's initialisation's, else O(root_token)) creates or repairs it (policy, role, a new secret ID
    replacing the held one) and the file is rewritten (0600). Every later call uses the deployer's token.
  - Platform. KV v2 engine at O(kv_mount), AppRole auth at O(approle_mount), O(policies), O(roles), the secret ID
    of O(secret_id.role_name) (kept while OpenBao holds it, else minted, the replaced one destroyed and the role
    ID's lockout cleared) and O(kv_secrets).
  - O(token) is not used. The root token is O(root_token); every other call uses the deployer's token.
  - The same steps exist as single modules (M(aegis.platform.openbao_init), M(aegis.platform.openbao_mount),
    M(aegis.platform.openbao_policy), M(aegis.platform.openbao_approle_role),
    M(aegis.platform.openbao_approle_secret_id), M(aegis.platform.openbao_approle_login),
    M(aegis.platform.openbao_kv2_secret)) and share their code.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
  - aegis.platform.openbao
attributes:
  check_mode:
    support: full
    details: >-
      Reads and reports what it would change; writes nothing (a login is made to read with the deployer's token).
      An uninitialised or sealed server cannot be read, so the run stops after saying it would initialise or unseal.
  diff_mode:
    support: none
    details: RV(changes) names each object it changed or would change.
options:
  key_shares:
    description: Number of unseal key shares made when initialising.
    type: int
    default: 1
  key_threshold:
    description: Number of key shares needed to unseal.
    type: int
    default: 1
  unseal_keys:
    description: Unseal keys used when the server is sealed.
    type: list
    elements: str
  root_token:
    description:
      - Root token, only used to create or repair the deployer credential; not needed while that credential works.
    type: str
  active_timeout:
    description: Seconds to wait, after initialising or unsealing, for the server to become active.
    type: int
    default: 30
  approle_mount:
    description: Path of the AppRole auth method (the deployer's and O(roles)').
    type: str
    default: approle
  kv_mount:
    description: Path of the KV version 2 engine.
    type: str
    default: secret
  deployer:
    description: The deployer credential.
    type: dict
    required: true
    suboptions:
      file:
        description: File on the target that keeps its role ID and secret ID (JSON, root only, 0600).
        type: path
        required: true
      role_name:
        description: Its AppRole role.
        type: str
        default: aegis-deployer
      policy_name:
        description: Its policy.
        type: str
        default: aegis-deployer
      policy:
        description: Its policy's HCL text; it must let the deployer read this policy and do every later step.
        type: str
        required: true
      token_ttl:
        description: TTL (and maximum TTL) of its tokens.
        type: raw
        default: 1h
  policies:
    description: ACL policies to converge with the deployer's token.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Policy name.
        type: str
        required: true
      policy:
        description: HCL text.
        type: str
        required: true
  roles:
    description: AppRole roles to converge (their policies must exist, e.g. in O(policies)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Role name.
        type: str
        required: true
      token_policies:
        description: Policies of its tokens.
        type: list
        elements: str
      token_ttl:
        description: TTL of its tokens.
        type: raw
      token_max_ttl:
        description: Maximum TTL of its tokens.
        type: raw
      secret_id_ttl:
        description: TTL of its secret IDs (V(0) never expires).
        type: raw
  secret_id:
    description: The secret ID a consumer logs in with.
    type: dict
    suboptions:
      role_name:
        description: Its role.
        type: str
        required: true
      secret_id:
        description: The secret ID held now; kept while OpenBao holds it unexpired.
        type: str
      rotate:
        description: Mint a new one even when the held one is valid (the held one is destroyed).
        type: bool
        default: false
  kv_secrets:
    description: KV v2 secrets written under O(kv_mount) when their data differ.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Path below the mount.
        type: str
        required: true
      data:
        description: Key/value pairs.
        type: dict
        required: true
notes:
  - Use C(no_log) set to V(true) on the task. The result holds the deployer's token and, on the run that
    initialises or mints them, the unseal keys, the root token and a secret ID. A failure keeps the keys of an
    initialisation in its result, so register it with C(failed_when) set to V(false), store them, then fail.
"""

EXAMPLES = r"""
- name: Initialise, unseal and configure OpenBao
  aegis.platform.openbao_bootstrap:
    url: http://127.0.0.1:8200
    unseal_keys: "{{ vault_openbao_unseal_keys | default(omit) }}"
    root_token: "{{ vault_openbao_root_token | default(omit) }}"
    deployer:
      file: /etc/aegis/secrets/openbao-deployer.json
      policy: "{{ lookup('ansible.builtin.file', 'deployer-policy.hcl') }}"
    policies:
      - name: aegis-platform
        policy: "{{ lookup('ansible.builtin.file', 'platform-policy.hcl') }}"
    roles:
      - name: aegis-platform
        token_policies: [aegis-platform]
        token_ttl: 1h
    secret_id:
      role_name: aegis-platform
      secret_id: "{{ held_secret_id | default(omit) }}"
  register: openbao
  no_log: true
  failed_when: false

- name: Stop with OpenBao's answer (messages never carry a secret)
  ansible.builtin.fail:
    msg: "{{ openbao.msg }}"
  when: openbao.msg is defined  # failed_when false also clears the failed flag
"""

RETURN = r"""
changes:
  description: What changed (or would change in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [policy aegis-platform, secret ID of aegis-platform]
initialized:
  description: Whether the server is initialised (in check mode, what it would be).
  returned: always
  type: bool
sealed:
  description: Whether the server is sealed (in check mode, what it would be).
  returned: always
  type: bool
unseal_keys:
  description: The unseal keys. Secret; only from the run that initialised the server, also when it then failed.
  returned: when this run initialised the server
  type: list
  elements: str
root_token:
  description: The root token. Secret; only from the run that initialised the server, also when it then failed.
  returned: when this run initialised the server
  type: str
deployer:
  description: The deployer's token for this run's later calls and its role ID. Secret.
  returned: when the server could be read
  type: dict
  contains:
    token:
      description: Token.
      type: str
    role_id:
      description: Role ID.
      type: str
secret_id:
  description: The result of the O(secret_id) step.
  returned: when O(secret_id) is given and its role exists (or is created)
  type: dict
  contains:
    role_id:
      description: Role ID of O(secret_id.role_name).
      type: str
    secret_id:
      description: The new secret ID. Secret.
      type: str
      returned: when one was minted
    secret_id_created:
      description: Whether a secret ID was minted (would be, in check mode).
      type: bool
needs:
  description: On failure, what the caller must supply (V(unseal_keys) or V(root_token)).
  returned: when it failed for want of it
  type: str
"""

import json
import os
import tempfile

from ansible_collections.aegis.platform.plugins.module_utils import (
    openbao_approle_roles,
    openbao_kv2_write,
    openbao_login,
    openbao_mounts,
    openbao_policies,
    openbao_seal,
    openbao_secret_ids,
)
from ansible_collections.aegis.platform.plugins.module_utils.openbao import OpenBaoError, Step, run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_login import read_credential


def write_credential(path, credential):
    """Replace ``path`` atomically with the credential, readable by its owner only."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".deployer-")  # mkstemp creates it 0600
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(credential, out)
    os.replace(temporary, path)


class Bootstrap:
    """One run: each step appends what it changed to ``changes``."""

    def __init__(self, module, client):
        self.module, self.client, self.params = module, client, module.params
        self.changes = []

    def step(self, util, label, client=None, check_mode=None, **params):
        result = util.run(Step(self.module, util.SPEC, check_mode=check_mode, **params), client or self.client)
        if label and result.get("changed") and check_mode is None:
            self.changes.append(label)
        return result

    def deployer_state(self, stored):
        """(token, role_id, why it needs the root token or None) of the kept credential ``stored``."""
        deployer, mount = self.params["deployer"], self.params["approle_mount"]
        if not stored:
            return None, None, "is missing"
        self.client.add_secret(stored)
        login = self.step(openbao_login, "", check_mode=True, mount_point=mount, role_id=stored.get("role_id"),
                          secret_id=stored["secret_id"], fail_on_refusal=False)
        if not login["logged_in"]:
            return None, stored.get("role_id"), "no longer logs in"
        try:
            policy = self.step(openbao_policies, "", client=self.client.with_token(login["token"]), check_mode=True,
                               name=deployer["policy_name"], policy=deployer["policy"])
        except OpenBaoError:  # an edited policy may no longer let the deployer read it
            policy = {"changed": True}
        if policy["changed"]:
            return login["token"], stored["role_id"], "has a policy that differs from this one"
        return login["token"], stored["role_id"], None

    def repair_deployer(self, root_token, held, logged_in, why):
        """Create or repair the deployer credential with the root token; returns (token, role_id)."""
        deployer, mount = self.params["deployer"], self.params["approle_mount"]
        if not root_token:
            raise OpenBaoError("the deployer credential (%s on this host) %s, and only OpenBao's root token can create "
                               "it (root_token is not set)" % (deployer["file"], why), result={"needs": "root_token"})
        root = self.client.with_token(root_token)
        self.step(openbao_mounts, "auth method %s/" % mount, client=root, kind="auth", path=mount, type="approle")
        self.step(openbao_policies, "policy %s" % deployer["policy_name"], client=root,
                  name=deployer["policy_name"], policy=deployer["policy"])
        self.step(openbao_approle_roles, "role %s" % deployer["role_name"], client=root, mount_point=mount,
                  name=deployer["role_name"], token_policies=[deployer["policy_name"]],
                  token_ttl=deployer["token_ttl"], token_max_ttl=deployer["token_ttl"], secret_id_ttl="0",
                  require_policies_exist=not self.module.check_mode)
        self.changes.append("deployer credential")
        if self.module.check_mode:
            return root_token, None  # --check reads with the root token: nothing is minted
        minted = self.step(openbao_secret_ids, "", client=root, check_mode=False, mount_point=mount,
                           role_name=deployer["role_name"], secret_id=held.get("secret_id"),
                           secret_id_mode="missing" if logged_in else "always", destroy_replaced=True)
        credential = {"role_id": minted["role_id"], "secret_id": minted.get("secret_id", held.get("secret_id"))}
        write_credential(deployer["file"], credential)
        login = self.step(openbao_login, "", check_mode=False, mount_point=mount, **credential)
        return login["token"], credential["role_id"]

    def platform(self, token):
        params, mount = self.params, self.params["approle_mount"]
        client = self.client.with_token(token)
        self.step(openbao_mounts, "KV engine %s/" % params["kv_mount"], client=client, kind="secret",
                  path=params["kv_mount"], type="kv", options={"version": "2"})
        self.step(openbao_mounts, "auth method %s/" % mount, client=client, kind="auth", path=mount, type="approle")
        for policy in params["policies"]:
            self.step(openbao_policies, "policy %s" % policy["name"], client=client, **policy)
        for role in params["roles"]:
            self.step(openbao_approle_roles, "role %s" % role["name"], client=client, mount_point=mount,
                      require_policies_exist=not self.module.check_mode, **role)
        result = {}
        wanted = params["secret_id"]
        if wanted and not (self.module.check_mode and self.role_missing(client, wanted["role_name"])):
            client.add_secret(wanted["secret_id"])
            result = self.step(openbao_secret_ids, "secret ID of %s" % wanted["role_name"], client=client,
                               mount_point=mount, role_name=wanted["role_name"], secret_id=wanted["secret_id"],
                               secret_id_mode="always" if wanted["rotate"] else "missing", destroy_replaced=True)
        for secret in params["kv_secrets"]:
            self.step(openbao_kv2_write, "KV secret %s" % secret["path"], client=client, mount=params["kv_mount"],
                      **secret)
        return result

    def role_missing(self, client, name):
        return client.read("auth/%s/role/%s/role-id" % (self.params["approle_mount"], name)) is None


def run(module, client):
    params = module.params
    client.add_secret(params["unseal_keys"], params["root_token"], params["kv_secrets"])
    boot = Bootstrap(module, client)
    try:
        seal = boot.step(openbao_seal, "", key_shares=params["key_shares"], key_threshold=params["key_threshold"],
                         unseal_keys=params["unseal_keys"], active_timeout=params["active_timeout"])
    except OpenBaoError as exc:
        if "no unseal_keys were given" in exc.message:
            exc.result["needs"] = "unseal_keys"
        raise
    result = {"initialized": seal["initialized"], "sealed": seal["sealed"], "changes": boot.changes}
    if seal["changed"]:
        boot.changes.append("unsealed" if seal["diff"]["before"]["initialized"] else "initialised and unsealed")
    keys = {k: seal[k] for k in ("unseal_keys", "root_token") if k in seal}
    result.update(keys)
    if module.check_mode and seal["changed"]:
        return dict(result, changed=True)  # an uninitialised or sealed server answers nothing else
    try:
        held = read_credential(params["deployer"]["file"])
        token, role_id, why = boot.deployer_state(held)
        if why:
            token, role_id = boot.repair_deployer(keys.get("root_token") or params["root_token"], held,
                                                  why != "no longer logs in" and bool(held), why)
        result["deployer"] = {"token": token, "role_id": role_id}
        secret_id = boot.platform(token)
    except OpenBaoError as exc:
        exc.result.update(result, changes=boot.changes)
        raise
    if secret_id:
        result["secret_id"] = {k: secret_id[k] for k in ("role_id", "secret_id", "secret_id_created") if k in secret_id}
    return dict(result, changed=bool(boot.changes))


SPEC = dict(
    key_shares=dict(type="int", default=1, no_log=False),
    key_threshold=dict(type="int", default=1, no_log=False),
    unseal_keys=dict(type="list", elements="str", no_log=True),
    root_token=dict(type="str", no_log=True),
    active_timeout=dict(type="int", default=30),
    approle_mount=dict(type="str", default="approle"),
    kv_mount=dict(type="str", default="secret"),
    deployer=dict(type="dict", required=True, options=dict(
        file=dict(type="path", required=True),
        role_name=dict(type="str", default="aegis-deployer"),
        policy_name=dict(type="str", default="aegis-deployer"),
        policy=dict(type="str", required=True),
        token_ttl=dict(type="raw", default="1h", no_log=False),
    )),
    policies=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        policy=dict(type="str", required=True),
    )),
    roles=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        token_policies=dict(type="list", elements="str", no_log=False),
        token_ttl=dict(type="raw", no_log=False),
        token_max_ttl=dict(type="raw", no_log=False),
        secret_id_ttl=dict(type="raw", no_log=False),
    )),
    secret_id=dict(type="dict", options=dict(
        role_name=dict(type="str", required=True),
        secret_id=dict(type="str", no_log=True),
        rotate=dict(type="bool", default=False),
    )),
    kv_secrets=dict(type="list", elements="dict", default=[], no_log=False, options=dict(
        path=dict(type="str", required=True),
        data=dict(type="dict", required=True, no_log=True),
    )),
)


def main():
    run_module(SPEC, run)


if __name__ == "__main__":
    main()
