# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the `aegis.platform.pod` module: desired-state digests, podman arguments and the plan.

Every pod and container we create carries a label with a digest of the settings it was created from
(including the image ID and the content of the host files it mounts). A rerun compares digests instead of
re-reading and normalising podman's inspect output, so a no-op costs one `podman ps` and one image lookup.
"""

from __future__ import annotations

import json
import os

from ansible_collections.aegis.platform.plugins.module_utils.digests import SPEC_LABEL, content_digest, digest

SPEC_JSON_LABEL = "io.aegis.spec-json"
# Every container logs to files (podman's k8s-file driver), whatever podman's default is: on hosts with systemd
# that default is journald, which leaves no userdata/ctr.log for Promtail to tail.
LOG_DRIVER = "k8s-file"


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
    settings = {key: spec[key] for key in keys if spec.get(key) not in (None, [], {}, "")}
    settings["log_driver"] = LOG_DRIVER
    return settings


def file_digests(mounts: list, managed: dict) -> dict:
    """Digest of each file the task writes (files, secret_files) that a container mounts, from its desired content
    (so check mode sees a change before it is written). Other host paths (sockets, log directories) are mounted as
    they are and not watched."""
    return {mount_source(mount): managed[mount_source(mount)] for mount in mounts or [] if mount_source(mount) in managed}


def read_text_file(path: str):
    """Content of a regular file, or None."""
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


def create_container_args(pod: str, spec: dict, spec_digest: str, env_secrets: dict = None, image: str = None) -> list:
    """`podman create` arguments for one container of a pod (without the leading `podman`).
    env_secrets: {VARIABLE: podman secret name} injected as environment variables; image: the image to run when
    not spec's reference (a restore runs the image ID it recorded, which the reference may no longer name)."""
    name = container_name(pod, spec["name"])
    args = ["create", "--name", name, "--pod", pod,
            "--restart", spec.get("restart_policy") or "always",
            "--label", "%s=%s" % (SPEC_LABEL, spec_digest),
            "--label", "%s=%s" % (SPEC_JSON_LABEL, json.dumps(container_settings(spec), sort_keys=True))]
    args += ["--log-driver", LOG_DRIVER]
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
    args.append(image or spec["image"])
    args += [str(word) for word in spec.get("command") or []]
    return args


def create_volume_args(volume: str, owner=None) -> list:
    """`podman volume create` arguments; owner: uid (and gid) of the new volume's directory."""
    args = ["volume", "create"]
    if owner is not None:
        args += ["--opt", "o=uid=%d,gid=%d" % (int(owner), int(owner))]
    return args + [volume]


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


def desired_state(params: dict, image_ids: dict):
    """(pod digest, {container name: digest}) of validated module params; image_ids: {reference: ID or None}."""
    managed = {item["path"]: content_digest(item["content"]) for item in params["files"]}
    managed.update({path: content_digest(content) for path, content in params["secret_files"].items()})
    secret_env = secret_env_by_container(params["secret_env"])
    desired = {}
    for spec in params["containers"]:
        files = file_digests(spec.get("mounts"), managed)
        files.update({"env:" + key: content_digest(value) for key, value in secret_env.get(spec["name"], {}).items()})
        desired[container_name(params["name"], spec["name"])] = container_digest(spec, image_ids.get(spec["image"]) or "", files)
    return digest(pod_settings(params)), desired


def wanted_files(params: dict) -> list:
    """(path, content, mode, secret) of every file the task writes."""
    wanted = [(item["path"], item["content"], item["mode"].rjust(4, "0"), False) for item in params["files"]]
    return wanted + [(path, content, "0600", True) for path, content in sorted(params["secret_files"].items())]


def file_differs(params: dict, path: str, content: str, mode: str, seen) -> bool:
    """Whether a written file must be written again. seen: [content digest, mode, uid] of the file on the host (from
    the disk, or from the host probe), None when it is missing; the owner counts only where file_owners names one."""
    if seen is None or seen[0] != content_digest(content) or seen[1] != mode:
        return True
    owners = params["file_owners"]
    return path in owners and seen[2] != int(owners[path])


def converged_in_probe(params: dict, probe: dict):
    """The containers' {name: {id, started_at}} when a probe of the host (the host_probe module)
    shows the pod exactly as params describe it (pod, containers running with the same digests, no extra
    container, every written file with the same content, mode and owner); else None (the module must run)."""
    if params["state"] != "started" or params["force_recreate"]:
        return None
    name = params["name"]
    image_ids = {}
    for image in probe.get("images") or []:
        for reference in image.get("Names") or []:
            image_ids[reference] = image["Id"]
    if any(spec["image"] not in image_ids for spec in params["containers"]):
        return None
    pod_digest, desired = desired_state(params, image_ids)
    observed = {container: item for container, item in (probe.get("containers") or {}).items() if item.get("pod") == name}
    observed_pod = (probe.get("pods") or {}).get(name)
    if plan_changes(plan(pod_digest, observed_pod, desired, observed)):
        return None
    files = probe.get("files") or {}
    if any(file_differs(params, path, content, mode, files.get(path)) for path, content, mode, dummy in wanted_files(params)):
        return None
    if params.get("record_dir") and not record_current(params, image_ids, files.get(record_path(params["record_dir"], name))):
        return None  # the module writes the record (once after an upgrade from a collection without records)
    return {container: {"id": item.get("id"), "started_at": item.get("started_at")} for container, item in observed.items()}


# The parameters a record keeps: everything that describes the pod (not what this call should do).
RECORD_SKIPS = ("state", "force_recreate", "record_dir")


def record_path(record_dir: str, name: str) -> str:
    return os.path.join(record_dir, name + ".json")


def record_content(params: dict, image_ids: dict) -> str:
    """The record the module keeps (0600) after a pod converged: its description, secrets included, and the IDs of
    the images it runs. A change whose pod cannot start is undone by recreating the pod from it."""
    kept = {key: value for key, value in params.items() if key in ARGUMENT_SPEC and key not in RECORD_SKIPS}
    images = {spec["image"]: image_ids.get(spec["image"]) for spec in params["containers"]}
    return json.dumps({"params": kept, "image_ids": images}, sort_keys=True)


def record_current(params: dict, image_ids: dict, seen) -> bool:
    """Whether the record on the host (seen: [content digest, mode, uid] or None) is the one params would write."""
    return seen is not None and seen[0] == content_digest(record_content(params, image_ids)) and seen[1] == "0600"


ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="started", choices=["started", "absent"]),
    network=dict(type="str"),
    publish=dict(type="list", elements="str", default=[]),
    labels=dict(type="dict", default={}),
    files=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        content=dict(type="str", required=True),
        mode=dict(type="str", default="0644"),
    )),
    secret_files=dict(type="dict", default={}, no_log=True),
    file_owners=dict(type="dict", default={}),
    volume_owners=dict(type="dict", default={}),
    secret_env=dict(type="dict", default={}, no_log=True),
    containers=dict(type="list", elements="dict", default=[], options=dict(
        name=dict(type="str", required=True),
        image=dict(type="str", required=True),
        command=dict(type="list", elements="str"),
        entrypoint=dict(type="list", elements="str"),
        env=dict(type="dict"),
        mounts=dict(type="list", elements="str"),
        user=dict(type="str"),
        workdir=dict(type="str"),
        restart_policy=dict(type="str", default="always"),
        healthcheck=dict(type="dict", options=dict(
            test=dict(type="list", elements="str", required=True),
            interval=dict(type="str"),
            timeout=dict(type="str"),
            retries=dict(type="int"),
            start_period=dict(type="str"),
        )),
    )),
    wait_timeout=dict(type="int", default=180),
    stop_timeout=dict(type="int", default=5),
    force_recreate=dict(type="bool", default=False),
    record_dir=dict(type="path"),
)
REQUIRED_IF = [("state", "started", ["network"])]
