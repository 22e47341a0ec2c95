# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pod: a change whose new pod cannot start is undone from the record of the pod that ran before.

A small in-memory podman stands in for the real one (the molecule day2 scenario does the same with real podman and
a port held by a process outside the platform)."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.aegis.platform.plugins.module_utils import pod_spec
from ansible_collections.aegis.platform.plugins.modules import pod


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule:
    check_mode = False

    def __init__(self, params):
        self.params = params

    def exit_json(self, **result):
        raise Exit(False, result)

    def fail_json(self, **result):
        raise Exit(True, result)


class FakePodman:
    """Pods and containers with their labels; `pod create` with a port in `held` makes the pod's start fail."""

    def __init__(self, held=(), sick=()):
        self.pods, self.containers, self.held, self.sick, self.calls = {}, {}, set(held), set(sick), []

    def run(self, args, check=True):
        self.calls.append(args)
        rc, out, err = self._answer(list(args))
        if check and rc != 0:
            raise pod.PodError("podman %s failed (rc=%s): %s" % (" ".join(args[:3]), rc, err))
        return rc, out, err

    def create_secret(self, name, value):
        self.calls.append(["secret", "create", name])

    def json(self, args):
        rc, out, dummy = self.run(args, check=False)
        return json.loads(out) if rc == 0 and out else None

    def _answer(self, args):
        if args[:2] == ["pod", "ps"]:
            name = args[-1].split("=", 1)[1].strip("^$")
            found = self.pods.get(name)
            return 0, json.dumps([{"Id": name, "Labels": {pod_spec.SPEC_LABEL: found["digest"]}}] if found else []), ""
        if args[:2] == ["ps", "-a"]:
            name = args[-1].split("=", 1)[1]
            return 0, json.dumps([dict(c, Names=[n], Labels={pod_spec.SPEC_LABEL: c["digest"]}, Id=n)
                                  for n, c in self.containers.items() if c["pod"] == name]), ""
        if args[:2] == ["image", "inspect"]:
            return 0, json.dumps([{"Id": "sha-" + ref} for ref in args[4:]]), ""
        if args[:2] == ["image", "exists"]:
            return 0, "", ""
        if args[:2] == ["pod", "rm"]:
            self.pods.pop(args[-1], None)
            self.containers = {n: c for n, c in self.containers.items() if c["pod"] != args[-1]}
            return 0, "", ""
        if args[:2] == ["pod", "create"]:
            ports = [args[i + 1] for i, word in enumerate(args) if word == "--publish"]
            self.pods[args[3]] = {"digest": args[args.index("--label") + 1].split("=", 1)[1], "ports": ports}
            return 0, "", ""
        if args[0] == "create":
            labels = [args[i + 1] for i, word in enumerate(args) if word == "--label"]
            self.containers[args[2]] = {"pod": args[4], "digest": labels[0].split("=", 1)[1], "State": "created",
                                        "args": args}
            return 0, "", ""
        if args[0] == "start":
            container = self.containers[args[1]]
            if set(self.pods[container["pod"]]["ports"]) & self.held:
                return 125, "", "rootlessport listen tcp 127.0.0.1:7334: bind: address already in use"
            container["State"] = "running"
            return 0, "", ""
        if args[0] == "rm":
            self.containers.pop(args[-1], None)
            return 0, "", ""
        if args[:2] == ["healthcheck", "run"]:
            return (1 if self.sick & set(self.containers[args[2]]["args"]) else 0), "", ""
        return 0, "", ""  # volume exists, secret rm/create, healthcheck run, logs


def params(**overrides):
    args = {"name": "aegis-storage", "network": "net", "publish": ["127.0.0.1:7333:7333"], "record_dir": None,
            "secret_env": {"webdav.TOKEN": "s3cret"}, "wait_timeout": 0,
            "containers": [{"name": "webdav", "image": "weed:1", "command": ["webdav"]}]}
    args.update(overrides)
    result = ArgumentSpecValidator(pod_spec.ARGUMENT_SPEC, required_if=pod_spec.REQUIRED_IF).validate(args)
    assert not result.error_messages
    return result.validated_parameters


def converge(podman, tmp_path, **overrides):
    module = FakeModule(params(record_dir=str(tmp_path), **overrides))
    podman.module = module
    with pytest.raises(Exit) as done:
        pod.converge(module, podman)
    return done.value


def test_a_converged_pod_leaves_a_private_record_of_itself(tmp_path):
    podman = FakePodman()
    assert not converge(podman, tmp_path).failed
    record = tmp_path / "aegis-storage.json"
    assert oct(record.stat().st_mode & 0o777) == "0o600"
    assert json.loads(record.read_text())["params"]["publish"] == ["127.0.0.1:7333:7333"]


def test_a_change_that_cannot_start_restores_the_previous_pod_and_names_the_cause(tmp_path):
    podman = FakePodman(held={"127.0.0.1:7334:7334"})
    converge(podman, tmp_path)
    before = json.loads((tmp_path / "aegis-storage.json").read_text())
    failed = converge(podman, tmp_path, publish=["127.0.0.1:7334:7334"])
    assert failed.failed
    assert "address already in use" in failed.result["msg"] and "previous pod was restored" in failed.result["msg"]
    assert podman.pods["aegis-storage"]["ports"] == ["127.0.0.1:7333:7333"]
    assert podman.containers["aegis-storage-webdav"]["State"] == "running"
    assert "sha-weed:1" in podman.containers["aegis-storage-webdav"]["args"]  # the recorded image ID
    assert json.loads((tmp_path / "aegis-storage.json").read_text()) == before
    assert "s3cret" not in json.dumps(failed.result)
    again = converge(podman, tmp_path)
    assert not again.failed and not again.result["changed"]


def test_a_first_deployment_that_cannot_start_fails_without_restoring(tmp_path):
    podman = FakePodman(held={"127.0.0.1:7333:7333"})
    failed = converge(podman, tmp_path)
    assert failed.failed and "address already in use" in failed.result["msg"] and "restored" not in failed.result["msg"]
    assert not (tmp_path / "aegis-storage.json").exists()


def test_removing_the_pod_removes_its_record(tmp_path):
    podman = FakePodman()
    converge(podman, tmp_path)
    assert converge(podman, tmp_path, state="absent").result["changed"]
    assert "aegis-storage" not in podman.pods and not (tmp_path / "aegis-storage.json").exists()


def test_a_change_whose_container_never_becomes_healthy_is_undone(tmp_path):
    podman = FakePodman(sick={"weed:2"})
    check = {"test": ["weed", "ready"]}
    converge(podman, tmp_path, wait_timeout=1, containers=[{"name": "webdav", "image": "weed:1", "healthcheck": check}])
    failed = converge(podman, tmp_path, wait_timeout=1,
                      containers=[{"name": "webdav", "image": "weed:2", "healthcheck": check}])
    assert failed.failed and "not healthy" in failed.result["msg"] and "previous pod was restored" in failed.result["msg"]
    assert "sha-weed:1" in podman.containers["aegis-storage-webdav"]["args"]
    assert podman.containers["aegis-storage-webdav"]["State"] == "running"
