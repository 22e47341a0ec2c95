import json

from ansible_collections.aegis.platform.plugins.module_utils import pod_spec

SPEC = {"name": "postgres", "image": "img:1", "command": ["postgres", "-c", "port=5432"], "env": {"A": "b"},
        "mounts": ["data:/var/lib/data", "/etc/x/conf:/conf:ro"], "user": None, "workdir": None, "entrypoint": None,
        "restart_policy": "always", "healthcheck": {"test": ["pg_isready"], "interval": "10s", "timeout": None,
                                                    "retries": None, "start_period": None}}


def test_digest_ignores_key_order_and_changes_with_values():
    assert pod_spec.digest({"a": 1, "b": 2}) == pod_spec.digest({"b": 2, "a": 1})
    assert pod_spec.digest({"a": 1}) != pod_spec.digest({"a": 2})


def test_env_value_case_change_changes_the_container_digest():
    other = dict(SPEC, env={"A": "B"})
    assert pod_spec.container_digest(SPEC, "id", {}) != pod_spec.container_digest(other, "id", {})


def test_rebuilt_image_under_same_tag_changes_the_digest():
    assert pod_spec.container_digest(SPEC, "sha-old", {}) != pod_spec.container_digest(SPEC, "sha-new", {})


def test_mounted_managed_file_uses_desired_content_digest():
    files = pod_spec.file_digests(SPEC["mounts"], {"/etc/x/conf": "abc"})
    assert files == {"/etc/x/conf": "abc"}


def test_unmanaged_host_paths_and_named_volumes_are_not_watched():
    assert pod_spec.file_digests(SPEC["mounts"] + ["/run/podman/podman.sock:/sock"], {}) == {}


def test_named_volumes_in_first_use_order_without_host_paths():
    second = dict(SPEC, mounts=["logs:/logs", "data:/data"])
    assert pod_spec.named_volumes([SPEC, second]) == ["data", "logs"]


def test_create_args_carry_labels_health_and_command():
    args = pod_spec.create_container_args("aegis-database", SPEC, "d1")
    assert args[:3] == ["create", "--name", "aegis-database-postgres"]
    assert "io.aegis.spec=d1" in args
    assert args[args.index("--health-cmd") + 1] == json.dumps(["pg_isready"])
    assert args[-4:] == ["img:1", "postgres", "-c", "port=5432"]
    assert "--health-timeout" not in args


def test_plan_noop_when_everything_matches():
    result = pod_spec.plan("p", {"digest": "p"}, {"c": "d"}, {"c": {"digest": "d", "running": True}})
    assert not pod_spec.plan_changes(result)


def test_plan_recreates_only_the_changed_container():
    result = pod_spec.plan("p", {"digest": "p"}, {"a": "new", "b": "same"},
                           {"a": {"digest": "old", "running": True}, "b": {"digest": "same", "running": True}})
    assert result["containers"] == {"a": "recreate", "b": None}
    assert result["pod"] is None


def test_plan_starts_stopped_container_and_removes_unwanted():
    result = pod_spec.plan("p", {"digest": "p"}, {"a": "d"},
                           {"a": {"digest": "d", "running": False}, "old": {"digest": "x", "running": True}})
    assert result["containers"] == {"a": "start"}
    assert result["remove"] == ["old"]


def test_plan_recreates_everything_when_pod_settings_change():
    result = pod_spec.plan("p2", {"digest": "p1"}, {"a": "d"}, {"a": {"digest": "d", "running": True}})
    assert result["pod"] == "recreate"
    assert result["containers"] == {"a": "create"}


def test_plan_creates_missing_pod():
    result = pod_spec.plan("p", None, {"a": "d"}, {})
    assert result["pod"] == "create"


def test_secret_env_is_grouped_per_container_and_passed_as_podman_secrets():
    grouped = pod_spec.secret_env_by_container({"runtime.DATABASE_URL": "postgres://u:p@h/db", "runtime.X": "y"})
    assert grouped == {"runtime": {"DATABASE_URL": "postgres://u:p@h/db", "X": "y"}}
    args = pod_spec.create_container_args("aegis-core", SPEC, "d", {"DATABASE_URL": "aegis-core-runtime-database-url"})
    assert args[args.index("--secret") + 1] == "aegis-core-runtime-database-url,type=env,target=DATABASE_URL"
    assert "postgres://u:p@h/db" not in " ".join(args)


def _validated(**overrides):
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    args = {"name": "aegis-db", "network": "net", "files": [{"path": "/etc/a/conf", "content": "x"}],
            "secret_files": {"/etc/a/pw": "s3cret"}, "file_owners": {"/etc/a/pw": 999},
            "containers": [{"name": "postgres", "image": "img:1", "mounts": ["/etc/a/conf:/c", "/etc/a/pw:/p"]}]}
    args.update(overrides)
    result = ArgumentSpecValidator(pod_spec.ARGUMENT_SPEC, required_if=pod_spec.REQUIRED_IF).validate(args)
    assert not result.error_messages
    return result.validated_parameters


def _probe_of(params, image_id="sha-1"):
    """A probe that shows exactly what params describe."""
    pod_digest, desired = pod_spec.desired_state(params, {"img:1": image_id})
    return {
        "images": [{"Id": image_id, "Names": ["img:1"]}],
        "pods": {"aegis-db": {"digest": pod_digest}},
        "containers": {name: {"pod": "aegis-db", "digest": d, "running": True, "id": "c1", "started_at": 7}
                       for name, d in desired.items()},
        "files": {"/etc/a/conf": [pod_spec.content_digest("x"), "0644", 0],
                  "/etc/a/pw": [pod_spec.content_digest("s3cret"), "0600", 999]},
    }


def test_probe_showing_the_pod_as_described_skips_the_module_and_reports_the_containers():
    params = _validated()
    assert pod_spec.converged_in_probe(params, _probe_of(params)) == {"aegis-db-postgres": {"id": "c1", "started_at": 7}}


def test_probe_verdict_sends_every_difference_to_the_module():
    params = _validated()
    changed_secret = _validated(secret_files={"/etc/a/pw": "other"})
    assert pod_spec.converged_in_probe(changed_secret, _probe_of(params)) is None
    rebuilt = _probe_of(params)
    rebuilt["images"][0]["Id"] = "sha-2"
    assert pod_spec.converged_in_probe(params, rebuilt) is None
    stopped = _probe_of(params)
    stopped["containers"]["aegis-db-postgres"]["running"] = False
    assert pod_spec.converged_in_probe(params, stopped) is None
    chmodded = _probe_of(params)
    chmodded["files"]["/etc/a/conf"][1] = "0666"
    assert pod_spec.converged_in_probe(params, chmodded) is None
    chowned = _probe_of(params)
    chowned["files"]["/etc/a/pw"][2] = 0
    assert pod_spec.converged_in_probe(params, chowned) is None
    extra = _probe_of(params)
    extra["containers"]["aegis-db-old"] = {"pod": "aegis-db", "digest": "x", "running": True}
    assert pod_spec.converged_in_probe(params, extra) is None
    missing_file = _probe_of(params)
    del missing_file["files"]["/etc/a/conf"]
    assert pod_spec.converged_in_probe(params, missing_file) is None
    assert pod_spec.converged_in_probe(_validated(force_recreate=True), _probe_of(params)) is None
    assert pod_spec.converged_in_probe(_validated(state="absent"), _probe_of(params)) is None
    assert pod_spec.converged_in_probe(params, dict(_probe_of(params), pods={})) is None


def test_containers_log_to_files_whatever_podman_defaults_to():
    # Promtail tails <storage>/*/userdata/ctr.log; on systemd hosts podman's default driver (journald) writes none.
    args = pod_spec.create_container_args("aegis-database", SPEC, "d1")
    assert args[args.index("--log-driver") + 1] == "k8s-file"
    assert pod_spec.container_settings(SPEC)["log_driver"] == "k8s-file"


def test_volume_owned_by_the_user_the_image_runs_as():
    # OpenBao (uid 100) and aegis-runtime (uid 10000) drop root before writing; a new volume is root's.
    assert pod_spec.create_volume_args("aegis-openbao-data", 100) == [
        "volume", "create", "--opt", "o=uid=100,gid=100", "aegis-openbao-data"]
    assert pod_spec.create_volume_args("aegis-pg-data") == ["volume", "create", "aegis-pg-data"]


def test_record_keeps_the_description_with_its_secrets_and_image_ids_not_what_the_call_should_do():
    record = json.loads(pod_spec.record_content(_validated(record_dir="/etc/a/pods", force_recreate=True), {"img:1": "sha-1"}))
    assert record["image_ids"] == {"img:1": "sha-1"}
    assert record["params"]["secret_files"] == {"/etc/a/pw": "s3cret"}
    assert not {"state", "force_recreate", "record_dir"} & set(record["params"])
    assert pod_spec.record_content(_validated(), {"img:1": "sha-1"}) == pod_spec.record_content(
        _validated(force_recreate=True), {"img:1": "sha-1"})


def test_probe_without_the_current_record_sends_the_pod_to_the_module():
    params = _validated(record_dir="/etc/a/pods")
    probe = _probe_of(params)
    assert pod_spec.converged_in_probe(params, probe) is None  # no record yet (a deployment made before records)
    content = pod_spec.record_content(params, {"img:1": "sha-1"})
    probe["files"]["/etc/a/pods/aegis-db.json"] = [pod_spec.content_digest(content), "0600", 0]
    assert pod_spec.converged_in_probe(params, probe) is not None
    stale = _validated(record_dir="/etc/a/pods", wait_timeout=5)
    assert pod_spec.converged_in_probe(stale, probe) is None
    probe["files"]["/etc/a/pods/aegis-db.json"][1] = "0644"
    assert pod_spec.converged_in_probe(params, probe) is None


def test_a_restore_can_run_the_recorded_image_id_under_the_described_settings():
    args = pod_spec.create_container_args("aegis-database", SPEC, "d1", image="sha256:old")
    assert args[-4:] == ["sha256:old", "postgres", "-c", "port=5432"]
    label = args[args.index("--label", args.index("--label") + 1) + 1]
    assert json.loads(label.split("=", 1)[1])["image"] == "img:1"
