# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_approle_role: validation and comparison of role fields."""

from __future__ import annotations

import pytest

from ansible_collections.aegis.platform.plugins.module_utils.openbao_approle_roles import (
    ROLE_FIELDS,
    desired_fields,
    role_changes,
    role_view,
)

SERVER_ROLE = {"bind_secret_id": True, "local_secret_ids": False, "secret_id_bound_cidrs": [],
               "secret_id_num_uses": 0, "secret_id_ttl": 0, "token_bound_cidrs": ["10.0.0.1"],
               "token_explicit_max_ttl": 0, "token_max_ttl": 14400, "token_no_default_policy": False,
               "token_num_uses": 0, "token_period": 0, "token_policies": ["aegis-platform"],
               "token_strictly_bind_ip": False, "token_ttl": 3600, "token_type": "default"}


def test_every_server_field_is_managed():
    assert set(ROLE_FIELDS) == set(SERVER_ROLE)


def test_desired_fields_parse_durations_and_skip_unset():
    params = dict.fromkeys(ROLE_FIELDS)
    params.update(token_ttl="1h", token_max_ttl=14400, token_policies=["aegis-platform"])
    assert desired_fields(params) == {"token_ttl": 3600, "token_max_ttl": 14400, "token_policies": ["aegis-platform"]}


@pytest.mark.parametrize("field, value, message", [
    ("token_ttl", "1x", "token_ttl: invalid duration"),
    ("secret_id_ttl", "-1h", "secret_id_ttl: invalid duration"),
    ("token_num_uses", -1, "token_num_uses must not be negative"),
])
def test_desired_fields_reject_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        desired_fields({field: value})


def test_equivalent_values_are_no_change():
    desired = {"token_ttl": 3600, "token_max_ttl": 14400, "token_policies": ["AEGIS-platform", "aegis-platform"],
               "token_bound_cidrs": ["10.0.0.1/32"], "token_type": "default", "bind_secret_id": True}
    assert role_changes(desired, SERVER_ROLE) == {}


def test_changes_hold_only_differing_fields_and_everything_for_new_roles():
    desired = {"token_ttl": 1800, "token_max_ttl": 14400, "token_policies": ["aegis-platform", "extra"]}
    assert role_changes(desired, SERVER_ROLE) == {"token_ttl": 1800, "token_policies": ["aegis-platform", "extra"]}
    assert role_changes(desired, None) == desired


def test_role_view_normalises_for_diff():
    assert role_view({"token_ttl": "1h", "token_policies": ["b", "A"], "token_bound_cidrs": ["10.0.0.1"]}) == \
        {"token_ttl": 3600, "token_policies": ["a", "b"], "token_bound_cidrs": ["10.0.0.1/32"]}
