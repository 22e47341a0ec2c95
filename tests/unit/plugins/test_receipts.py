import hashlib
import json

from ansible_collections.aegis.platform.plugins.filter.receipts import receipt, receipt_current

SERVER = {"id": "abc", "started_at": 100}


def _probe_with(path, content):
    return {"files": {path: [hashlib.sha256(content.encode()).hexdigest()[:16], "0600", 0]}}


def test_receipt_holds_a_digest_of_the_inputs_never_the_inputs():
    content = receipt({"password": "s3cret-value"}, SERVER)
    assert "s3cret-value" not in content
    assert json.loads(content)["server"] == SERVER


def test_unchanged_inputs_and_server_are_current():
    content = receipt({"a": 1, "b": [1, 2]}, SERVER)
    same = receipt({"b": [1, 2], "a": 1}, dict(SERVER))
    assert receipt_current(_probe_with("/r", content), "/r", same)


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
