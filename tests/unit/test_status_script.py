"""playbooks/files/aegis_status.py: which recorded health results count as fresh."""
import importlib.util
import json
import pathlib
import subprocess

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "playbooks" / "files" / "aegis_status.py"
spec = importlib.util.spec_from_file_location("aegis_status", SCRIPT)
aegis_status = importlib.util.module_from_spec(spec)
spec.loader.exec_module(aegis_status)


def test_podman_times_with_nanoseconds_and_offsets_are_read():
    assert aegis_status.check_time("2026-11-25T15:06:14.802497223Z") == 1795619174.802497
    assert aegis_status.check_time("2026-11-25T16:06:14.5+01:00") == 1795619174.5
    assert aegis_status.check_time("garbage") == 0


def test_only_passes_recorded_after_the_probe_are_used(monkeypatch):
    inspected = [
        {"Name": "fresh-ok", "State": {"Health": {"Log": [{"End": "2026-11-25T15:06:20Z", "ExitCode": 0}]}}},
        {"Name": "fresh-bad", "State": {"Health": {"Log": [{"End": "2026-11-25T15:06:20Z", "ExitCode": 1}]}}},
        {"Name": "stale", "State": {"Health": {"Log": [{"End": "2026-11-25T15:00:00Z", "ExitCode": 0}]}}},
        {"Name": "never", "State": {}},
    ]
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, json.dumps(inspected), ""))
    since = aegis_status.check_time("2026-11-25T15:06:14Z")
    found = aegis_status.recorded_since(["fresh-ok", "fresh-bad", "stale", "never"], since)
    assert found == {"fresh-ok": "healthy"}  # fresh-bad is checked again: the run may have fixed it
    assert aegis_status.recorded_since(["fresh-ok"], None) == {}
