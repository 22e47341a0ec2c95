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
    the content of the files of O(files) and O(secret_files) it mounts. A rerun reads podman's state once and
    recreates only what differs. A changed config file therefore restarts exactly the containers that mount it.
    Other host paths (a socket, a log directory) are mounted as they are and not watched.
  - Probe once. When the play holds a probe of the host in C(aegis_podman_state) (the C(aegis.platform.podman_host)
    role takes it), the action plugin compares the pod against it on the controller and does not run the module
    on the host when the pod, its containers and its files are exactly as described. The probe is trusted only
    until the module runs for that pod in this playbook run, so a pod converged or removed earlier in the run is
    read again.
  - Health checks do not run on a timer where systemd is not PID 1, so readiness is checked with
    C(podman healthcheck run), for the containers this run created or started.
  - Images are never pulled here; the C(aegis.platform.images) role provides them.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
attributes:
  check_mode:
    support: full
    details: Reads podman's state and reports the same C(changed) and C(actions) without writing a file or touching podman.
  diff_mode:
    support: full
    details: Before and after hold the managed files (secret ones masked) and each recreated container's settings.
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
  volume_owners:
    description:
      - Numeric owner of named volumes, as a mapping of volume name to uid, for volumes a container writes as a
        non-root user its image does not give the mount point to (the group is set to the same id). Applied
        when the volume is created (C(podman volume create --opt o=uid=N,gid=N)); an existing volume is left as it is.
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
  record_dir:
    description:
      - Directory where the module keeps a record of each pod it converged (C(<name>.json), mode 0600), holding the
        pod's description, secrets included, and the IDs of the images it runs.
      - When a change cannot start (podman refuses to create or start the new pod or a container, or a container
        the module waits for does not become healthy), the module removes what it started, recreates the previous
        pod from its record (its files, secrets and image IDs) and fails, naming the cause. Without a record (the
        first deployment) the failure is reported and nothing is restored.
      - O(state=absent) removes the record.
    type: path
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
containers_state:
  description:
    - Per container, its ID and start time (epoch seconds) after the run. A bootstrap that talks to a container can
      skip itself while neither changed since it last ran (a restarted OpenBao is sealed again).
  returned: when state is started
  type: dict
  sample: {"aegis-secrets-openbao": {"id": "1642b1d0201d", "started_at": 1795618445}}
probed:
  description: True when the pod matched the host probe and the module did not run on the host.
  returned: always
  type: bool
"""

import json
import os
import tempfile
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegis.platform.plugins.module_utils import digests, pod_spec


class PodError(Exception):
    """A podman call failed, or the pod did not become healthy; details go into the module's failure result."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details


class Podman:
    """The few podman calls the module makes; a failure raises PodError with podman's own message."""

    def __init__(self, module: AnsibleModule):
        self.module = module
        self.binary = module.get_bin_path("podman", required=True)

    def run(self, args: list, check: bool = True):
        rc, out, err = self.module.run_command([self.binary] + args)
        if check and rc != 0:
            raise PodError("podman %s failed (rc=%s): %s" % (" ".join(args[:3]), rc, err.strip() or out.strip()))
        return rc, out, err

    def create_secret(self, name: str, value: str) -> None:
        """A podman secret from standard input (the value is in no command line)."""
        rc, out, err = self.module.run_command([self.binary, "secret", "create", name, "-"], data=value, binary_data=True)
        if rc != 0:
            raise PodError("podman secret create %s failed: %s" % (name, err.strip()))

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
        observed[item["Names"][0]] = {"digest": labels.get(digests.SPEC_LABEL), "running": item.get("State") == "running",
                                      "settings": labels.get(pod_spec.SPEC_JSON_LABEL), "id": item["Id"],
                                      "started_at": item.get("StartedAt")}
    return {"digest": (pod.get("Labels") or {}).get(digests.SPEC_LABEL)}, observed


def settings_of(observed):
    """The settings a container was created from (its JSON label), for the diff; None when unknown."""
    try:
        return json.loads(observed["settings"]) if observed and observed.get("settings") else None
    except ValueError:
        return None


def started(observed: dict) -> dict:
    """{container: {id, started_at}}: a container restarted or recreated since a bootstrap shows here."""
    return {container: {"id": item["id"], "started_at": item["started_at"]} for container, item in observed.items()}


def image_ids(podman: Podman, images: list) -> dict:
    """Image ID of each reference (None when missing): one podman call unless one is missing."""
    wanted = sorted(set(images))
    if not wanted:
        return {}
    found = podman.json(["image", "inspect", "--format", "json"] + wanted)
    if found and len(found) == len(wanted):
        return {image: item["Id"] for image, item in zip(wanted, found)}
    return {image: (podman.json(["image", "inspect", "--format", "json", image]) or [{}])[0].get("Id") for image in wanted}


def on_disk(path: str):
    """(content, [content digest, mode, uid]) of a file as the host probe describes it; (None, None) when missing."""
    current = pod_spec.read_text_file(path)
    if current is None:
        return None, None
    return current, digests.file_state(path, current)


def files_to_write(params: dict) -> list:
    """(path, content, mode, secret, current) of every managed file whose content, mode or owner differs on disk."""
    pending = []
    for path, content, mode, secret in pod_spec.wanted_files(params):
        current, seen = on_disk(path)
        if pod_spec.file_differs(params, path, content, mode, seen):
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
        podman.create_secret(secret, value)
        names[variable] = secret
    return names


def read_record(path):
    """The record kept after the pod last converged, or None."""
    content = pod_spec.read_text_file(path) if path else None
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


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


def create_containers(podman: Podman, params: dict, desired: dict, specs: list, images: dict = None) -> None:
    """Create and start the given containers of the pod (their env secrets first); images: reference -> image to run."""
    name = params["name"]
    secret_env = pod_spec.secret_env_by_container(params["secret_env"])
    for spec in specs:
        container = pod_spec.container_name(name, spec["name"])
        secrets = create_env_secrets(podman, container, secret_env.get(spec["name"], {}))
        podman.run(pod_spec.create_container_args(name, spec, desired[container], secrets, (images or {}).get(spec["image"])))
        podman.run(["start", container])


def wait_for(podman: Podman, params: dict, started_now: list) -> dict:
    """Health of the started containers that have a check (none when wait_timeout is 0); PodError when one is not
    healthy in time, with its last log lines."""
    checked = [pod_spec.container_name(params["name"], spec["name"]) for spec in params["containers"]
               if spec.get("healthcheck") and pod_spec.container_name(params["name"], spec["name"]) in started_now]
    health = wait_healthy(podman, checked, params["wait_timeout"]) if params["wait_timeout"] > 0 else {}
    unhealthy = sorted(container for container, state in health.items() if state["health"] != "healthy")
    if unhealthy:
        logs = {container: "".join(podman.run(["logs", "--tail", "20", container], check=False)[1:])[-1500:] for container in unhealthy}
        raise PodError("containers not healthy after %ss: %s" % (params["wait_timeout"], ", ".join(unhealthy)), containers=health, logs=logs)
    return health


def write_files(params: dict, pending: list) -> None:
    for path, content, mode, secret, dummy in pending:
        write_file(path, content, mode, params["file_owners"].get(path), secret)


def restore(podman: Podman, record: dict) -> dict:
    """Recreate the pod as its record describes it: its files, its pod, every container from the image ID it ran
    (the reference may name a new image by now). Returns the restored containers' health."""
    params = record["params"]
    images = {reference: image_id for reference, image_id in record["image_ids"].items()
              if image_id and podman.run(["image", "exists", image_id], check=False)[0] == 0}
    pod_digest, desired = pod_spec.desired_state(params, record["image_ids"])
    podman.run(["pod", "rm", "--force", "--time", "0", params["name"]], check=False)
    write_files(params, files_to_write(params))
    podman.run(pod_spec.create_pod_args(params, pod_digest))
    create_containers(podman, params, desired, params["containers"], images)
    return wait_for(podman, params, list(desired))


def write_record(path: str, params: dict, ids: dict) -> None:
    """Keep the record of the pod as it now runs, unless the host already holds exactly that record."""
    if not pod_spec.record_current(params, ids, on_disk(path)[1]):
        write_file(path, pod_spec.record_content(params, ids), "0600", None, True)


def create_volumes(podman: Podman, params: dict) -> list:
    """Create the pod's named volumes that do not exist yet; returns their names."""
    created = []
    for volume in pod_spec.named_volumes(params["containers"]):
        if podman.run(["volume", "exists", volume], check=False)[0] != 0:
            podman.run(pod_spec.create_volume_args(volume, params["volume_owners"].get(volume)))
            created.append(volume)
    return created


def apply(podman: Podman, params: dict, result: dict, desired: dict, pod_digest: str, observed_pod, pending_files: list,
          actions: list) -> tuple:
    """Carry the plan out: files, volumes, pod, containers; then wait for what was started. Returns (the volumes it
    created, the started containers' health)."""
    name = params["name"]
    write_files(params, pending_files)
    volumes = create_volumes(podman, params)
    actions += ["volume %s created" % volume for volume in volumes]
    if result["pod"]:
        if observed_pod is not None:
            podman.run(["pod", "rm", "--force", "--time", str(params["stop_timeout"]), name])
        podman.run(pod_spec.create_pod_args(params, pod_digest))
    for container in result["remove"]:
        podman.run(["rm", "--force", "--volumes", "--time", str(params["stop_timeout"]), container])
    new = []
    for spec in params["containers"]:
        container = pod_spec.container_name(name, spec["name"])
        action = result["containers"][container]
        if action == "recreate":
            podman.run(["rm", "--force", "--volumes", "--time", str(params["stop_timeout"]), container])
        if action in ("create", "recreate"):
            new.append(spec)
        elif action == "start":
            podman.run(["start", container])
    create_containers(podman, params, desired, new)
    # Only containers started by this run are waited for: an untouched running pod was healthy when it was
    # converged, and the site's status step probes every container anyway (a no-op then costs no health probe).
    return volumes, wait_for(podman, params, [container for container, action in result["containers"].items() if action])


def remove(module: AnsibleModule, podman: Podman, name: str, observed_pod, record_file) -> None:
    if not module.check_mode:
        if observed_pod is not None:
            podman.run(["pod", "rm", "--force", "--time", "0", name])
        if record_file and os.path.exists(record_file):
            os.remove(record_file)
    module.exit_json(changed=observed_pod is not None, actions=["pod %s remove" % name] if observed_pod else [],
                     diff={"before": {"pod": name if observed_pod else None}, "after": {"pod": None}})


def converge(module: AnsibleModule, podman: Podman) -> None:
    params = module.params
    name = params["name"]
    record_file = pod_spec.record_path(params["record_dir"], name) if params["record_dir"] else None
    observed_pod, observed = observe(podman, name)
    if params["state"] == "absent":
        remove(module, podman, name, observed_pod, record_file)

    for path in [item["path"] for item in params["files"]] + list(params["secret_files"]):
        if not os.path.isabs(path):
            module.fail_json(msg="files and secret_files need absolute paths; got %s" % path)

    ids = image_ids(podman, [spec["image"] for spec in params["containers"]])
    missing = sorted(image for image, image_id in ids.items() if image_id is None)
    if missing and not module.check_mode:
        module.fail_json(msg="image(s) %s not present on this host: run the aegis.platform.images role first" % ", ".join(missing))

    unknown = sorted(set(pod_spec.secret_env_by_container(params["secret_env"])) - {spec["name"] for spec in params["containers"]})
    if unknown:
        module.fail_json(msg="secret_env names containers that are not in the pod: %s" % ", ".join(unknown))
    pod_digest, desired = pod_spec.desired_state(params, ids)
    result = pod_spec.plan(pod_digest, observed_pod, desired, observed, params["force_recreate"])
    pending_files = files_to_write(params)

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
            diff["before"]["containers"][container] = settings_of(before)
            spec = next(s for s in params["containers"] if pod_spec.container_name(name, s["name"]) == container)
            diff["after"]["containers"][container] = pod_spec.container_settings(spec)

    if module.check_mode:
        module.exit_json(changed=changed, actions=actions, diff=diff, containers_state=started(observed))

    record = read_record(record_file)
    try:
        volumes, health = apply(podman, params, result, desired, pod_digest, observed_pod, pending_files, actions)
    except PodError as error:
        message = "pod %s: %s" % (name, error)
        if record is not None and observed_pod is not None:
            try:
                restore(podman, record)
                message += "; the previous pod was restored from %s (fix the cause and rerun)" % record_file
            except PodError as again:
                message += "; restoring the previous pod from %s failed too: %s" % (record_file, again)
        module.fail_json(msg=message, changed=True, actions=actions, **error.details)
    changed = changed or any(volumes)
    if record_file:
        write_record(record_file, params, ids)
    if pod_spec.plan_changes(result):
        dummy, observed = observe(podman, name)
    module.exit_json(changed=changed, actions=actions, diff=diff, containers=health, containers_state=started(observed))


def main():
    module = AnsibleModule(argument_spec=pod_spec.ARGUMENT_SPEC, required_if=pod_spec.REQUIRED_IF, supports_check_mode=True)
    try:
        converge(module, Podman(module))
    except PodError as error:
        module.fail_json(msg=str(error), **error.details)


if __name__ == "__main__":
    main()
