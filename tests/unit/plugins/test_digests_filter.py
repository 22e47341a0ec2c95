import hashlib
import json

from ansible_collections.aegis.platform.plugins.filter.digests import receipt, receipt_current
from ansible_collections.aegis.platform.plugins.module_utils.digests import content_digest

SERVER = {"id": "abc", "started_at": 100}


def _probe_with(path, content):
    return {"files": {path: [content_digest(content), "0600", 0]}}


def test_receipt_holds_a_digest_of_the_inputs_never_the_inputs():
    content = receipt({"password": "s3cret-value"}, SERVER)
    assert "s3cret-value" not in content
    assert json.loads(content)["server"] == SERVER


def test_unchanged_inputs_and_server_are_current():
    content = receipt({"a": 1, "b": [1, 2]}, SERVER)
    same = receipt({"b": [1, 2], "a": 1}, dict(SERVER))
    assert receipt_current(_probe_with("/r", content), "/r", same)


def test_a_receipt_handed_over_as_a_dict_is_the_same_receipt():
    content = receipt({"a": 1, "b": [1, 2]}, SERVER)
    assert receipt_current(_probe_with("/r", content), "/r", json.loads(content))
    assert not receipt_current(_probe_with("/r", content), "/r", json.loads(receipt({"a": 2}, SERVER)))


def test_changed_input_restarted_or_recreated_server_is_not_current():
    probe = _probe_with("/r", receipt({"a": 1}, SERVER))
    assert not receipt_current(probe, "/r", receipt({"a": 2}, SERVER))
    assert not receipt_current(probe, "/r", receipt({"a": 1}, {"id": "abc", "started_at": 101}))
    assert not receipt_current(probe, "/r", receipt({"a": 1}, {"id": "new", "started_at": 100}))


def test_missing_receipt_probe_or_server_is_not_current():
    content = receipt({"a": 1}, SERVER)
    assert not receipt_current({"files": {}}, "/r", content)
    assert not receipt_current(None, "/r", content)
    empty_server = receipt({"a": 1}, {})
    assert not receipt_current(_probe_with("/r", empty_server), "/r", empty_server)


def test_templates_get_the_same_short_digest_as_the_modules():
    from ansible_collections.aegis.platform.plugins.filter.digests import FilterModule
    from ansible_collections.aegis.platform.plugins.module_utils.digests import content_digest
    assert FilterModule().filters()["content_digest"]("bookworm/minbase/2") == content_digest("bookworm/minbase/2")
    assert len(content_digest("x")) == 16 == len(hashlib.sha256(b"x").hexdigest()[:16])
