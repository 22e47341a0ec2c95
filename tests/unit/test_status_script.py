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


def answer(body):
    """podman exec's output as subprocess.run(text=True) gives it: the HTTP answer's CRLFs read as newlines."""
    return lambda *a, **k: subprocess.CompletedProcess(a, 0, "HTTP/1.0 200 OK\nContent-Type: application/json\n\n" + body, "")


def test_a_dependency_report_counts_only_what_is_neither_ok_nor_left_out(monkeypatch):
    report = {"status": "healthy", "dependencies": {"database": "ok", "openbao": "error: approle login: HTTP 400",
                                                    "seal": "not configured"}}
    monkeypatch.setattr(subprocess, "run", answer(json.dumps(report)))
    assert aegis_status.failing_dependencies("aegis-core-runtime", 8088) == {"openbao": "error: approle login: HTTP 400"}
    monkeypatch.setattr(subprocess, "run", answer(json.dumps({"status": "healthy", "dependencies": {"database": "ok"}})))
    assert aegis_status.failing_dependencies("aegis-core-runtime", 8088) == {}
    monkeypatch.setattr(subprocess, "run", answer("<html>no report</html>"))
    assert aegis_status.failing_dependencies("aegis-core-runtime", 8088) is None


def summary(monkeypatch, capsys, reports, *options):
    """main() for one running pod whose healthy container gives these dependency reports, one per read."""
    pods = {"aegis-core": {"Name": "aegis-core", "Status": "Running",
                           "Containers": [{"Names": "aegis-core-runtime", "Status": "running"}]}}
    reports = iter(reports)
    monkeypatch.setattr(aegis_status, "podman_pods", lambda: pods)
    monkeypatch.setattr(aegis_status, "health", lambda name: "healthy")
    monkeypatch.setattr(aegis_status, "failing_dependencies", lambda name, port: next(reports))
    monkeypatch.setattr(aegis_status.time, "sleep", lambda seconds: None)
    monkeypatch.setattr("sys.argv", ["aegis_status.py", "--pod", "aegis-core", "--report", "aegis-core-runtime=8088",
                                     *options])
    aegis_status.main()
    return json.loads(capsys.readouterr().out)


def test_a_healthy_container_reporting_a_broken_dependency_fails_the_summary(monkeypatch, capsys):
    status = summary(monkeypatch, capsys, [{"openbao": "error: approle login: HTTP 400"}])
    assert status["healthy"] is False
    assert status["problems"] == ["aegis-core-runtime reports openbao: error: approle login: HTTP 400"]
    assert any("dependencies: openbao" in line for line in status["lines"])


def test_a_report_that_clears_within_the_wait_passes(monkeypatch, capsys):
    status = summary(monkeypatch, capsys, [{"keycloak": "error: connection refused"}, {}], "--wait", "30")
    assert status["healthy"] is True and status["problems"] == []
