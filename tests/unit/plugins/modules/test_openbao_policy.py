# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""openbao_policy: comparison of policy texts."""

from __future__ import annotations

from ansible_collections.aegis.platform.plugins.module_utils.openbao_policies import policy_changed

POLICY = 'path "secret/data/aegis/*" {\n  capabilities = ["read"]\n}\n'


def test_formatting_differences_are_not_changes():
    assert policy_changed(POLICY, POLICY.rstrip("\n")) is False
    assert policy_changed(POLICY, "\n" + POLICY.replace("\n", "  \r\n") + "\n\n") is False


def test_content_differences_are_changes():
    assert policy_changed(POLICY, POLICY.replace("read", "list")) is True
    assert policy_changed(POLICY, POLICY.replace("  cap", "cap")) is True


def test_presence():
    assert policy_changed(None, POLICY) is True
    assert policy_changed(POLICY, None) is True
    assert policy_changed(None, None) is False
