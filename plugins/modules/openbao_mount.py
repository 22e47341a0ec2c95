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

from ansible_collections.aegis.platform.plugins.module_utils.openbao import run_module
from ansible_collections.aegis.platform.plugins.module_utils.openbao_mounts import SPEC, run


def main() -> None:
    run_module(SPEC, run)


if __name__ == "__main__":
    main()
