# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""realm_errors: what the keycloak_realm module would refuse in a realm description, found before any change by
the module's own argument spec and checks."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.aegis.platform.plugins.module_utils.keycloak_realm_schema import (
    InvalidDescription, description_from, realm_argument_spec, validate)


def _plain(value):
    """The value as plain dicts, lists, strings and numbers. The validator deep-copies its input: deep-copying one
    of Ansible's lazy containers copies its templar with every variable of the host (about a second for the realm),
    and a tagged value (ansible-core 2.19) copies its tags."""
    if isinstance(value, Mapping):
        return {_plain(key): _plain(value[key]) for key in value}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def realm_errors(description) -> list:
    """Messages for every problem of the description (a dict with realm, settings, roles, client_scopes, clients,
    users); empty when the module would accept it."""
    if not isinstance(description, Mapping):
        return ["the realm description must be a mapping, got %s" % type(description).__name__]
    result = ArgumentSpecValidator(realm_argument_spec()).validate(_plain(description))
    if result.error_messages:
        return list(result.error_messages)
    try:
        validate(description_from(result.validated_parameters))
    except InvalidDescription as error:
        return error.errors
    return []


class FilterModule:
    def filters(self):
        return {"realm_errors": realm_errors}
