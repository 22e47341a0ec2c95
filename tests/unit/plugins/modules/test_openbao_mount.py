# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_mount: desired state and the tune plan."""

from __future__ import annotations

import pytest

from ansible_collections.aegis.platform.plugins.module_utils.openbao_mounts import (
    desired_config,
    desired_options,
    plan,
)

CURRENT = {"type": "kv", "description": "", "options": {"version": "2"},
           "config": {"default_lease_ttl": 3600, "force_no_cache": False, "max_lease_ttl": 0,
                      "passthrough_request_headers": ["X-B", "X-A"]}}


def test_desired_config_parses_durations_and_drops_unset_keys():
    assert desired_config({"default_lease_ttl": "1h", "max_lease_ttl": None, "listing_visibility": "unauth"}) == \
        {"default_lease_ttl": 3600, "listing_visibility": "unauth"}
    with pytest.raises(ValueError, match="config.max_lease_ttl: invalid duration"):
        desired_config({"max_lease_ttl": "forever"})


def test_desired_options_are_strings():
    assert desired_options({"version": 2, "flag": True}) == {"version": "2", "flag": "true"}
    assert desired_options(None) is None


def test_plan_is_empty_when_equal_after_normalising():
    assert plan(CURRENT, None, {"version": "2"}, {"default_lease_ttl": 3600, "max_lease_ttl": 0,
                                                  "passthrough_request_headers": ["X-A", "X-B"],
                                                  "listing_visibility": ""}) == {}


def test_plan_has_only_the_differences():
    body = plan(CURRENT, "KV", {"version": "2"}, {"default_lease_ttl": 7200, "max_lease_ttl": 0})
    assert body == {"description": "KV", "default_lease_ttl": 7200}
    assert plan(CURRENT, None, {"version": "1"}, {}) == {"options": {"version": "1"}}
    assert plan(CURRENT, None, None, {"audit_non_hmac_request_keys": ["a"]}) == {"audit_non_hmac_request_keys": ["a"]}
