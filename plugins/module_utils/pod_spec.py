# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the `aegis.platform.pod` module: desired-state digests, podman arguments and the plan.

Every pod and container we create carries a label with a digest of the settings it was created from
(including the image ID and the content of the host files it mounts). A rerun compares digests instead of
re-reading and normalising podman's inspect output, so a no-op costs one `podman ps` and one image lookup.
"""

from __future__ import annotations

import hashlib
import json
import os

SPEC_LABEL = "io.aegis.spec"
SPEC_JSON_LABEL = "io.aegis.spec-json"


def digest(obj: object) -> str:
    """Stable short digest of a JSON-able object."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def content_digest(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def container_name(pod: str, short: str) -> str:
    return "%s-%s" % (pod, short)


def mount_source(mount: str) -> str:
    return mount.split(":", 1)[0]


def is_host_path(source: str) -> bool:
    return source.startswith("/")


def named_volumes(containers: list) -> list:
    """Named volumes the containers mount, in first-use order."""
    seen = []
    for spec in containers:
        for mount in spec.get("mounts") or []:
            source = mount_source(mount)
            if not is_host_path(source) and source not in seen:
                seen.append(source)
    return seen


def pod_settings(params: dict) -> dict:
    """The pod-level settings whose change forces a pod (and so every container) to be recreated."""
    return {
        "network": params["network"],
        "publish": sorted(params.get("publish") or []),
        "labels": params.get("labels") or {},
    }


def container_settings(spec: dict) -> dict:
    """The container settings that end up in its digest; None and empty values are left out."""
    keys = ("image", "command", "entrypoint", "env", "mounts", "user", "workdir", "healthcheck", "restart_policy")
    return {key: spec[key] for key in keys if spec.get(key) not in (None, [], {}, "")}


def file_digests(mounts: list, managed: dict, read_file=None) -> dict:
    """Digest of each host file a container mounts: from the desired content when we manage the file (so check
    mode sees a change before it is written), else from the file on disk when there is one."""
    result = {}
    for mount in mounts or []:
        source = mount_source(mount)
        if not is_host_path(source):
            continue
        if source in managed:
            result[source] = managed[source]
        elif read_file is not None:
            current = read_file(source)
            if current is not None:
                result[source] = content_digest(current)
    return result


def read_text_file(path: str):
    """Content of a regular file, or None (directories and missing paths are not digested)."""
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def container_digest(spec: dict, image_id: str, files: dict) -> str:
    return digest({"settings": container_settings(spec), "image_id": image_id, "files": files})


def healthcheck_args(health: dict) -> list:
    args = ["--health-cmd", json.dumps(health["test"])]
    for key in ("interval", "timeout", "retries", "start_period"):
        if health.get(key) not in (None, ""):
            args += ["--health-%s" % key.replace("_", "-"), str(health[key])]
    return args


def secret_env_by_container(secret_env: dict) -> dict:
    """{"<container>.<VAR>": value} -> {container: {VAR: value}}."""
    grouped = {}
    for key, value in secret_env.items():
        container, separator, variable = key.partition(".")
        grouped.setdefault(container if separator else "", {})[variable or container] = value
    return grouped


def env_secret_name(container: str, variable: str) -> str:
    return "%s-%s" % (container, variable.lower().replace("_", "-"))


def create_container_args(pod: str, spec: dict, spec_digest: str, env_secrets: dict = None) -> list:
    """`podman create` arguments for one container of a pod (without the leading `podman`).
    env_secrets: {VARIABLE: podman secret name} injected as environment variables."""
    name = container_name(pod, spec["name"])
    args = ["create", "--name", name, "--pod", pod,
            "--restart", spec.get("restart_policy") or "always",
            "--label", "%s=%s" % (SPEC_LABEL, spec_digest),
            "--label", "%s=%s" % (SPEC_JSON_LABEL, json.dumps(container_settings(spec), sort_keys=True))]
    for key, value in sorted((spec.get("env") or {}).items()):
        args += ["--env", "%s=%s" % (key, value)]
    for variable, secret in sorted((env_secrets or {}).items()):
        args += ["--secret", "%s,type=env,target=%s" % (secret, variable)]
    for mount in spec.get("mounts") or []:
        args += ["--volume", mount]
    if spec.get("user"):
        args += ["--user", str(spec["user"])]
    if spec.get("workdir"):
        args += ["--workdir", spec["workdir"]]
    if spec.get("entrypoint"):
        args += ["--entrypoint", json.dumps(spec["entrypoint"])]
    if spec.get("healthcheck"):
        args += healthcheck_args(spec["healthcheck"])
    args.append(spec["image"])
    args += [str(word) for word in spec.get("command") or []]
    return args


def create_pod_args(params: dict, pod_digest: str) -> list:
    name = params["name"]
    args = ["pod", "create", "--name", name, "--infra-name", "%s-infra" % name,
            "--network", params["network"], "--label", "%s=%s" % (SPEC_LABEL, pod_digest)]
    for key, value in sorted((params.get("labels") or {}).items()):
        args += ["--label", "%s=%s" % (key, value)]
    for port in params.get("publish") or []:
        args += ["--publish", port]
    return args


def plan(pod_digest: str, observed_pod, desired: dict, observed: dict, force: bool = False) -> dict:
    """Decide what to do.

    desired: {container name: digest}; observed: {container name: {"digest": str, "running": bool}}
    observed_pod: None when the pod is missing, else {"digest": str}.
    Returns {"pod": "create"|"recreate"|None, "containers": {name: "create"|"recreate"|"start"|None},
    "remove": [names of containers in the pod that are no longer wanted]}.
    """
    if observed_pod is None or force or observed_pod.get("digest") != pod_digest:
        pod_action = "create" if observed_pod is None else "recreate"
        return {"pod": pod_action, "containers": {name: "create" for name in desired}, "remove": []}
    actions = {}
    for name, want in desired.items():
        have = observed.get(name)
        if have is None:
            actions[name] = "create"
        elif have.get("digest") != want:
            actions[name] = "recreate"
        elif not have.get("running"):
            actions[name] = "start"
        else:
            actions[name] = None
    remove = sorted(name for name in observed if name not in desired)
    return {"pod": None, "containers": actions, "remove": remove}


def plan_changes(result: dict) -> bool:
    return bool(result["pod"] or result["remove"] or any(result["containers"].values()))
