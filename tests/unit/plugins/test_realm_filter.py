"""realm_errors: the iam role's validation of the realm description, with the keycloak_realm module's own spec."""
import copy
import pathlib
from collections.abc import Mapping

import jinja2
import pytest
import yaml

from ansible_collections.aegis.platform.plugins.filter.realm import realm_errors

ROOT = pathlib.Path(__file__).resolve().parents[3]


def shipped_realm():
    template = (ROOT / "roles" / "iam" / "templates" / "aegis-system-realm.yml.j2").read_text()
    rendered = jinja2.Template(template).render(aegis_endpoints={"secrets": {"api": {"address": "aegis-secrets:8200"}}})
    return yaml.safe_load(rendered)


class NoDeepCopy(Mapping):
    """A mapping like Ansible's lazy containers, whose deep copy would copy every variable of the host."""

    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __deepcopy__(self, memo):
        raise AssertionError("the filter deep-copied its input")


def test_the_shipped_realm_passes():
    assert realm_errors(shipped_realm()) == []


def test_the_input_is_neither_deep_copied_nor_changed():
    realm = shipped_realm()
    before = copy.deepcopy(realm)
    realm["clients"] = tuple(NoDeepCopy(client) for client in realm["clients"])
    assert realm_errors(NoDeepCopy(realm)) == []
    assert [dict(client) for client in realm["clients"]] == before["clients"]


def test_unknown_option_named_as_ansible_names_it():
    errors = realm_errors(NoDeepCopy(dict(shipped_realm(), bogusOption=1)))
    assert len(errors) == 1 and "bogusOption. Supported parameters include" in errors[0]


def test_unknown_client_key_is_named_with_its_path():
    realm = shipped_realm()
    realm["clients"].append({"client_id": "x", "redirect_uri": "y"})
    assert any("clients.redirect_uri" in error for error in realm_errors(realm))


def test_wrong_types_still_fail_after_the_plain_copy():
    realm = shipped_realm()
    realm["clients"][0]["enabled"] = "maybe"
    realm["roles"] = "aegis:admin"
    errors = realm_errors(realm)
    assert any("enabled" in error for error in errors) and any("roles" in error for error in errors)


def test_what_the_spec_cannot_say_is_checked_too():
    realm = shipped_realm()
    realm["clients"].append({"client_id": "y", "default_client_scopes": ["nope"]})
    realm["settings"]["accessTokenLifespan"] = "soon"
    errors = realm_errors(realm)
    assert any("'nope', which is not defined in client_scopes" in error for error in errors)
    assert any(error.startswith("settings.accessTokenLifespan: expected an integer") for error in errors)


@pytest.mark.parametrize("value", [None, "realm: x", ["realm"]])
def test_not_a_mapping(value):
    assert realm_errors(value) == ["the realm description must be a mapping, got %s" % type(value).__name__]


def test_tagged_values_of_ansible_core_2_19_are_validated_as_their_plain_values():
    tags = pytest.importorskip("ansible._internal._datatag._tags")
    origin = tags.Origin(path="/realm.yml", line_num=1)
    realm = shipped_realm()
    realm["realm"] = origin.tag(realm["realm"])
    realm["settings"]["accessTokenLifespan"] = origin.tag(300)
    realm["clients"][0]["client_id"] = origin.tag(realm["clients"][0]["client_id"])
    assert realm_errors(realm) == []
