import json

from ansible_collections.aegis.platform.plugins.module_utils import digests, pod_spec
from ansible_collections.aegis.platform.plugins.modules import host_probe, pod


def test_files_are_described_as_the_pod_module_compares_them(tmp_path):
    managed = tmp_path / "core" / "aegis-config.yaml"
    managed.parent.mkdir()
    managed.write_text("spec: {}\n")
    managed.chmod(0o640)
    (tmp_path / "link").symlink_to(managed)
    found = host_probe.files_under(str(tmp_path))
    assert list(found) == [str(managed)]
    assert found[str(managed)] == [digests.content_digest("spec: {}\n"), "0640", managed.stat().st_uid]
    assert found[str(managed)] == pod.on_disk(str(managed))[1]
    params = {"file_owners": {}}
    assert not pod_spec.file_differs(params, str(managed), "spec: {}\n", "0640", found[str(managed)])
    assert pod_spec.file_differs(params, str(managed), "spec: {x: 1}\n", "0640", found[str(managed)])


def test_podman_state_keeps_what_the_pod_action_compares(monkeypatch):
    answers = {
        "info": {"store": {"graphRoot": "/var/lib/containers/storage", "graphDriverName": "overlay"}},
        "network": [{"subnets": [{"subnet": "10.89.0.0/24"}]}],
        "image": [{"Id": "i1", "Names": ["localhost/aegis-postgres:15"], "RepoDigests": ["r@sha256:1"], "Size": 9}],
        "pod": [{"Name": "aegis-database", "Labels": {digests.SPEC_LABEL: "p1"}}],
        "ps": [{"Names": ["aegis-database-postgres"], "PodName": "aegis-database", "State": "running", "Id": "c1",
                "StartedAt": 5, "Labels": {digests.SPEC_LABEL: "c1digest"}},
               {"Names": ["aegis-database-infra"], "IsInfra": True, "Id": "x"}],
    }
    monkeypatch.setattr(host_probe, "podman_json", lambda module, *args: answers[args[0]])
    state = host_probe.podman_state(None, "aegis-network")
    assert state["network_subnet"] == "10.89.0.0/24"
    assert state["container_log_dir"] == "/var/lib/containers/storage/overlay-containers"
    assert state["images"] == [{"Id": "i1", "Names": ["localhost/aegis-postgres:15", "r@sha256:1"], "Labels": {}}]
    assert state["pods"] == {"aegis-database": {"digest": "p1"}}
    assert state["containers"] == {"aegis-database-postgres": {"pod": "aegis-database", "digest": "c1digest",
                                                               "running": True, "id": "c1", "started_at": 5}}
    json.dumps(state)


def test_a_missing_network_has_no_subnet(monkeypatch):
    monkeypatch.setattr(host_probe, "podman_json", lambda module, *args: None)
    state = host_probe.podman_state(None, "aegis-network")
    assert state["network_subnet"] is None and state["containers"] == {} and state["images"] == []
    assert state["container_log_dir"] is None


def test_the_container_log_directory_follows_the_storage_driver_and_is_null_when_podman_does_not_say(monkeypatch):
    def answers(store):
        return lambda module, *args: {"store": store} if args[0] == "info" else None

    monkeypatch.setattr(host_probe, "podman_json", answers({"graphRoot": "/srv/podman", "graphDriverName": "vfs"}))
    assert host_probe.podman_state(None, "n")["container_log_dir"] == "/srv/podman/vfs-containers"
    monkeypatch.setattr(host_probe, "podman_json", answers({"graphRoot": "/srv/podman"}))
    assert host_probe.podman_state(None, "n")["container_log_dir"] is None


class FakeModule:
    def __init__(self, rc, out):
        self.answer, self.calls = (rc, out, ""), []

    def run_command(self, args):
        self.calls.append(args)
        return self.answer


def test_podman_json_asks_podman_through_the_module_and_reads_only_a_successful_answer():
    module = FakeModule(0, '[{"Name": "aegis-network"}]')
    assert host_probe.podman_json(module, "network", "inspect", "aegis-network") == [{"Name": "aegis-network"}]
    assert module.calls == [["podman", "network", "inspect", "aegis-network"]]
    assert host_probe.podman_json(FakeModule(125, "error"), "network", "inspect", "x") is None
    assert host_probe.podman_json(FakeModule(0, "  \n"), "ps") is None
