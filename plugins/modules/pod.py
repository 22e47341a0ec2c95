#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: pod
short_description: Converge one Podman pod from a description (files, volumes, pod, containers, health)
version_added: "0.1.0"
description:
  - Converges a whole pod in one call. It writes the pod's config and secret files, creates its named volumes,
    creates the pod on a network with its published ports, creates and starts its containers, and waits until
    every container with a health check reports healthy.
  - Each pod and container carries a label with a digest of the settings it was created from, the image ID and
    the content of the host files it mounts. A rerun reads podman's state once and recreates only what differs.
    A changed config file therefore restarts exactly the containers that mount it.
  - Health checks do not run on a timer where systemd is not PID 1, so readiness is checked with
    C(podman healthcheck run), for the containers this run created or started.
  - Images are never pulled here; the C(aegis.platform.images) role provides them.
author:
  - AEGIS platform engineers (@aegis-platform)
options:
  name:
    description: Pod name; containers are named C(<name>-<container name>).
    type: str
    required: true
  state:
    description:
      - C(started) converges the pod and its containers and waits for health.
      - C(absent) removes the pod and its containers; volumes and files are kept.
    type: str
    choices: [started, absent]
    default: started
  network:
    description: Podman network the pod joins. Required when O(state=started).
    type: str
  publish:
    description: Published ports, in C(podman --publish) form (C(127.0.0.1:5432:5432/tcp)).
    type: list
    elements: str
    default: []
  labels:
    description: Labels set on the pod.
    type: dict
    default: {}
  files:
    description: Host files the containers mount (config). Written before containers start; diff shows them.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute host path.
        type: path
        required: true
      content:
        description: File content.
        type: str
        required: true
      mode:
        description: File mode.
        type: str
        default: "0644"
  secret_files:
    description:
      - Host files holding secrets, as a mapping of absolute path to content. Written with mode 0600, never shown
        in logs or diffs.
    type: dict
    default: {}
  secret_env:
    description:
      - Secret environment variables, as a mapping of C(<container name>.<VARIABLE>) to value, for images that
        only read a secret from the environment (a C(DATABASE_URL) with a password). Each becomes a podman secret
        (type env), so the value is in no command line, label or log; a changed value recreates the container.
    type: dict
    default: {}
  file_owners:
    description:
      - Numeric owner of managed files, as a mapping of path to uid, for files a container reads as a non-root user
        (the group is set to the same id).
    type: dict
    default: {}
  containers:
    description: The containers of the pod.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Container name inside the pod.
        type: str
        required: true
      image:
        description: Image reference (must already be present).
        type: str
        required: true
      command:
        description: Command arguments.
        type: list
        elements: str
      entrypoint:
        description: Entrypoint (exec form).
        type: list
        elements: str
      env:
        description: Environment variables. No secrets here; mount them from O(secret_files).
        type: dict
      mounts:
        description: Volume mounts, C(source:destination[:options]); a source that is not an absolute path is a named volume.
        type: list
        elements: str
      user:
        description: User to run as.
        type: str
      workdir:
        description: Working directory.
        type: str
      restart_policy:
        description: Podman restart policy.
        type: str
        default: always
      healthcheck:
        description: Health check.
        type: dict
        suboptions:
          test:
            description: Command in exec form.
            type: list
            elements: str
            required: true
          interval:
            description: Interval (C(10s)).
            type: str
          timeout:
            description: Timeout of one probe.
            type: str
          retries:
            description: Failures before unhealthy.
            type: int
          start_period:
            description: Grace period after start.
            type: str
  wait_timeout:
    description: Seconds to wait for all containers to be healthy; C(0) skips the wait.
    type: int
    default: 180
  stop_timeout:
    description: Seconds podman waits for a container to stop before killing it when it is replaced.
    type: int
    default: 5
  force_recreate:
    description: Recreate the pod even when nothing changed (rotation, handlers).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Database pod
  aegis.platform.pod:
    name: aegis-database
    network: aegis-network
    publish: ["127.0.0.1:5432:5432"]
    secret_files:
      /etc/aegis/database/postgres-password: "{{ database_password }}"
    containers:
      - name: postgres
        image: localhost/aegis-postgres:15
        env:
          POSTGRES_USER: aegis
          POSTGRES_PASSWORD_FILE: /run/secrets/postgres-password
        mounts:
          - aegis-postgres-data:/var/lib/postgresql/data
          - /etc/aegis/database/postgres-password:/run/secrets/postgres-password:ro
        healthcheck:
          test: [pg_isready, -U, aegis, -h, 127.0.0.1]
          interval: 10s
"""

RETURN = r"""
actions:
  description: What was done (or would be done in check mode), one line per object.
  returned: always
  type: list
  elements: str
  sample: ["file /etc/aegis/database/pg_hba.conf updated", "container aegis-database-postgres recreate"]
containers:
  description: Per container, its state and health after the run.
  returned: when state is started
  type: dict
  sample: {"aegis-database-postgres": {"health": "healthy", "state": "running"}}
"""

import os
import tempfile
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegis.platform.plugins.module_utils import pod_spec


class Podman:
    """The few podman calls the module makes; every failure ends the module with podman's own message."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self.binary = module.get_bin_path("podman", required=True)

    def run(self, args: list, check: bool = True):
        rc, out, err = self.module.run_command([self.binary] + args)
        if check and rc != 0:
            self.module.fail_json(msg="podman %s failed (rc=%s): %s" % (" ".join(args[:2]), rc, err.strip() or out.strip()))
        return rc, out, err

    def json(self, args: list):
        rc, out, dummy = self.run(args, check=False)
        if rc != 0 or not out.strip():
            return None
        return self.module.from_json(out)


def observe(podman: Podman, name: str):
    """One read of the pod and its containers: (pod or None, {container: {digest, running, id}})."""
    pods = podman.json(["pod", "ps", "--format", "json", "--filter", "name=^%s$" % name]) or []
    if not pods:
        return None, {}
    pod = pods[0]
    containers = podman.json(["ps", "-a", "--format", "json", "--filter", "pod=%s" % pod["Id"]]) or []
    observed = {}
    for item in containers:
        if item.get("IsInfra"):
            continue
        labels = item.get("Labels") or {}
        observed[item["Names"][0]] = {"digest": labels.get(pod_spec.SPEC_LABEL), "running": item.get("State") == "running",
                                      "settings": labels.get(pod_spec.SPEC_JSON_LABEL)}
    return {"digest": (pod.get("Labels") or {}).get(pod_spec.SPEC_LABEL)}, observed


def image_ids(podman: Podman, images: list) -> dict:
    """Image ID of each reference (None when missing): one podman call unless one is missing."""
    wanted = sorted(set(images))
    if not wanted:
        return {}
    found = podman.json(["image", "inspect", "--format", "json"] + wanted)
    if found and len(found) == len(wanted):
        return {image: item["Id"] for image, item in zip(wanted, found)}
    return {image: (podman.json(["image", "inspect", "--format", "json", image]) or [{}])[0].get("Id") for image in wanted}


def files_to_write(files: list, secret_files: dict, owners: dict) -> list:
    """(path, content, mode, secret, current) of every managed file whose content, mode or owner differs on disk."""
    wanted = [(item["path"], item["content"], item["mode"], False) for item in files]
    wanted += [(path, content, "0600", True) for path, content in sorted(secret_files.items())]
    pending = []
    for path, content, mode, secret in wanted:
        current = pod_spec.read_text_file(path)
        stat = os.stat(path) if current is not None else None
        current_mode = "%04o" % (stat.st_mode & 0o7777) if stat else None
        owner_differs = stat is not None and path in owners and stat.st_uid != int(owners[path])
        if current != content or current_mode != mode.rjust(4, "0") or owner_differs:
            pending.append((path, content, mode, secret, current))
    return pending


def write_file(path: str, content: str, mode: str, owner, secret: bool):
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700 if secret else 0o755, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".aegis-")
    try:
        os.fchmod(handle, int(mode, 8))
        if owner is not None:
            os.fchown(handle, int(owner), int(owner))
        os.write(handle, content.encode("utf-8"))
    finally:
        os.close(handle)
    os.rename(temp, path)


def create_env_secrets(podman: Podman, container: str, values: dict) -> dict:
    """(Re)create one podman secret per secret variable of a container; returns {VARIABLE: secret name}."""
    names = {}
    for variable, value in sorted(values.items()):
        secret = pod_spec.env_secret_name(container, variable)
        podman.run(["secret", "rm", secret], check=False)
        rc, out, err = podman.module.run_command([podman.binary, "secret", "create", secret, "-"], data=value, binary_data=True)
        if rc != 0:
            podman.module.fail_json(msg="podman secret create %s failed: %s" % (secret, err.strip()))
        names[variable] = secret
    return names


def wait_healthy(podman: Podman, names: list, timeout: int) -> dict:
    """Run each container's health check until it passes; all containers in parallel."""
    results = {}

    def probe(container):
        deadline = time.monotonic() + timeout
        while True:
            rc, out, err = podman.run(["healthcheck", "run", container], check=False)
            if rc == 0:
                results[container] = {"health": "healthy"}
                return
            if time.monotonic() > deadline:
                results[container] = {"health": "unhealthy", "output": (out + err).strip()[-500:]}
                return
            time.sleep(0.5)

    threads = [threading.Thread(target=probe, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main():
    module = AnsibleModule(
        argument_spec=dict(
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
        ),
        required_if=[("state", "started", ["network"])],
        supports_check_mode=True,
    )
    params = module.params
    name = params["name"]
    podman = Podman(module)
    observed_pod, observed = observe(podman, name)

    if params["state"] == "absent":
        if observed_pod is not None and not module.check_mode:
            podman.run(["pod", "rm", "--force", "--time", "0", name])
        module.exit_json(changed=observed_pod is not None, actions=["pod %s remove" % name] if observed_pod else [],
                         diff={"before": {"pod": name if observed_pod else None}, "after": {"pod": None}})

    for path in [item["path"] for item in params["files"]] + list(params["secret_files"]):
        if not os.path.isabs(path):
            module.fail_json(msg="files and secret_files need absolute paths; got %s" % path)

    managed = {item["path"]: pod_spec.content_digest(item["content"]) for item in params["files"]}
    managed.update({path: pod_spec.content_digest(content) for path, content in params["secret_files"].items()})
    ids = image_ids(podman, [spec["image"] for spec in params["containers"]])
    missing = sorted(image for image, image_id in ids.items() if image_id is None)
    if missing and not module.check_mode:
        module.fail_json(msg="image(s) %s not present on this host: run the aegis.platform.images role first" % ", ".join(missing))

    secret_env = pod_spec.secret_env_by_container(params["secret_env"])
    unknown = sorted(set(secret_env) - {spec["name"] for spec in params["containers"]})
    if unknown:
        module.fail_json(msg="secret_env names containers that are not in the pod: %s" % ", ".join(unknown))
    desired = {}
    for spec in params["containers"]:
        files = pod_spec.file_digests(spec.get("mounts"), managed, pod_spec.read_text_file)
        files.update({"env:" + key: pod_spec.content_digest(value) for key, value in secret_env.get(spec["name"], {}).items()})
        desired[pod_spec.container_name(name, spec["name"])] = pod_spec.container_digest(spec, ids[spec["image"]] or "", files)
    pod_digest = pod_spec.digest(pod_spec.pod_settings(params))
    result = pod_spec.plan(pod_digest, observed_pod, desired, observed, params["force_recreate"])
    pending_files = files_to_write(params["files"], params["secret_files"], params["file_owners"])

    actions = ["file %s %s" % (item[0], "created" if item[4] is None else "updated") for item in pending_files]
    if result["pod"]:
        actions.append("pod %s %s" % (name, result["pod"]))
    actions += ["container %s %s" % (container, action) for container, action in result["containers"].items() if action]
    actions += ["container %s remove" % container for container in result["remove"]]
    changed = bool(pending_files) or pod_spec.plan_changes(result)

    diff = {"before": {"files": {}, "containers": {}}, "after": {"files": {}, "containers": {}}}
    for path, content, dummy, secret, current in pending_files:
        diff["before"]["files"][path] = ("<secret>" if secret else current) if current is not None else None
        diff["after"]["files"][path] = "<secret, changed>" if secret else content
    for container, action in result["containers"].items():
        if action:
            before = observed.get(container)
            diff["before"]["containers"][container] = before.get("settings") if before else None
            spec = next(s for s in params["containers"] if pod_spec.container_name(name, s["name"]) == container)
            diff["after"]["containers"][container] = pod_spec.container_settings(spec)

    if module.check_mode:
        module.exit_json(changed=changed, actions=actions, diff=diff)

    for path, content, mode, secret, dummy in pending_files:
        write_file(path, content, mode, params["file_owners"].get(path), secret)
    for spec in params["containers"]:
        for volume in pod_spec.named_volumes([spec]):
            if podman.run(["volume", "exists", volume], check=False)[0] != 0:
                podman.run(["volume", "create", volume])
                actions.append("volume %s created" % volume)
                changed = True

    if result["pod"]:
        if observed_pod is not None:
            podman.run(["pod", "rm", "--force", "--time", str(params["stop_timeout"]), name])
        podman.run(pod_spec.create_pod_args(params, pod_digest))
    for container in result["remove"]:
        podman.run(["rm", "--force", "--volumes", "--time", str(params["stop_timeout"]), container])
    for spec in params["containers"]:
        container = pod_spec.container_name(name, spec["name"])
        action = result["containers"][container]
        if action == "recreate":
            podman.run(["rm", "--force", "--volumes", "--time", str(params["stop_timeout"]), container])
        if action in ("create", "recreate"):
            secrets = create_env_secrets(podman, container, secret_env.get(spec["name"], {}))
            podman.run(pod_spec.create_container_args(name, spec, desired[container], secrets))
        if action:
            podman.run(["start", container])

    # Only containers started by this run are waited for: an untouched running pod was healthy when it was
    # converged, and the site's status step probes every container anyway (a no-op then costs no health probe).
    checked = [pod_spec.container_name(name, spec["name"]) for spec in params["containers"]
               if spec.get("healthcheck") and result["containers"][pod_spec.container_name(name, spec["name"])]]
    health = wait_healthy(podman, checked, params["wait_timeout"]) if params["wait_timeout"] > 0 else {}
    unhealthy = sorted(container for container, state in health.items() if state["health"] != "healthy")
    if unhealthy:
        logs = {container: "".join(podman.run(["logs", "--tail", "20", container], check=False)[1:])[-1500:] for container in unhealthy}
        module.fail_json(msg="containers not healthy after %ss: %s" % (params["wait_timeout"], ", ".join(unhealthy)),
                         changed=changed, actions=actions, containers=health, logs=logs)
    module.exit_json(changed=changed, actions=actions, diff=diff, containers=health)


if __name__ == "__main__":
    main()
