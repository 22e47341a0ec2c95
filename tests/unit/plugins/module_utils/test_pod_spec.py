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
    files = pod_spec.file_digests(SPEC["mounts"], {"/etc/x/conf": "abc"}, read_file=lambda path: "on disk")
    assert files == {"/etc/x/conf": "abc"}


def test_unmanaged_host_file_is_read_and_named_volumes_are_not():
    files = pod_spec.file_digests(SPEC["mounts"], {}, read_file=lambda path: "content")
    assert files == {"/etc/x/conf": pod_spec.content_digest("content")}


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
