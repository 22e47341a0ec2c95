"""Both image sources run every container with the same settings, and each setting fits the image it is for.

The roles' containers are rendered for `local` and `upstream` (render_containers.yml). Only the image reference
may differ, plus what roles/images/vars/main.yml declares; every health check calls only programs its image has
(image_tools.yml, cited from each image's Dockerfile); the AEGIS settings are read back by the stand-in's reader
of the real images' interface (release 0.15.0-pre-alpha), which refuses what the real programs refuse."""
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "standins" / "aegis"))
import real_interface  # noqa: E402

IMAGES_VARS = yaml.safe_load((ROOT / "roles" / "images" / "vars" / "main.yml").read_text())
TOOLS = yaml.safe_load((HERE / "image_tools.yml").read_text())
# Programs a health check may need beyond the shell: each must be in its image.
PROGRAMS = {"wget", "curl", "node", "python3", "bao", "temporal", "tctl", "pg_isready", "bash", "sh"}


def render(tmp_path, source, *extra):
    out = tmp_path / source
    out.mkdir()
    command = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(HERE / "render_containers.yml"), "-e", "aegis_image_source=" + source,
               "-e", "aegis_secrets_dir=%s" % (tmp_path / "secrets"), "-e", "out_dir=%s" % out]
    for item in extra:
        command += ["-e", item]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")), check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    rendered = json.loads((out / "containers.json").read_text())
    rendered["dir"] = out
    return rendered


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("render")
    return {source: render(tmp_path, source) for source in ("local", "upstream")}


def containers(rendered):
    """{(pod, container): spec} and {(pod, container): image key} (keys from the upstream catalog)."""
    return {(pod, spec["name"]): spec for pod, specs in rendered["pods"].items() for spec in specs}


def image_keys(upstream):
    by_ref = {ref: key for key, ref in upstream["images"].items()}
    return {name: by_ref[spec["image"]] for name, spec in containers(upstream).items()}


def test_every_container_of_the_seed_is_rendered(both):
    assert len(containers(both["upstream"])) == 18 and containers(both["local"]).keys() == containers(both["upstream"]).keys()


def test_both_sources_run_every_container_with_the_same_settings(both):
    declared = IMAGES_VARS["__aegis_images_local_settings"]
    local, upstream = containers(both["local"]), containers(both["upstream"])
    differing = set()

    def strip(item):
        return {key: value for key, value in item.items() if key != "image"}

    for name, spec in upstream.items():
        if strip(spec) != strip(local[name]):
            differing.add("%s.%s" % name)
    assert differing == set(declared), "undeclared (or no longer real) differences between local and upstream"


def _version(reference):
    tag = reference.rsplit(":", 1)[-1]
    return re.sub(r"-alpine$", "", tag[1:] if tag.startswith("v") else tag)


def test_both_sources_pin_the_same_versions(both):
    declared = IMAGES_VARS["__aegis_images_local_versions"]
    local, upstream = both["local"]["images"], both["upstream"]["images"]
    differing = {key for key in upstream if _version(upstream[key]) != _version(local[key])}
    assert differing == set(declared)


def called_programs(test):
    """The programs a health check runs: its first word, and for `sh|bash -c` each command of the script."""
    words = [test[0]]
    if test[0] in ("sh", "bash") and test[1:2] == ["-c"]:
        for command in re.split(r"&&|\|\||\||;", test[2]):
            tokens = shlex.split(command.replace("<&3", " ").replace(">&3", " "))
            words += tokens[:1]
    return {word for word in words if word in PROGRAMS}


@pytest.mark.parametrize("source", ["local", "upstream"])
def test_health_checks_call_only_programs_their_image_has(both, source):
    keys = image_keys(both["upstream"])
    missing = {}
    for name, spec in containers(both[source]).items():
        needed = called_programs(spec["healthcheck"]["test"]) - set(TOOLS[source][keys[name]])
        if needed:
            missing["%s.%s" % name] = sorted(needed)
    assert not missing, "health checks call programs their %s image does not have" % source


def test_temporal_advertises_an_address_when_it_binds_all_interfaces(both):
    # temporalio/temporal v1.23.0 common/membership/ringpop/service_resolver.go: "broadcastAddress required when
    # listening on all interfaces"; auto-setup's config_template.yaml takes it from TEMPORAL_BROADCAST_ADDRESS.
    env = containers(both["upstream"])[("temporal", "server")]["env"]
    assert env["BIND_ON_IP"] != "0.0.0.0" or env.get("TEMPORAL_BROADCAST_ADDRESS") not in (None, "", "0.0.0.0")


def test_the_runtime_accepts_its_rendered_config(both):
    config = yaml.safe_load((both["upstream"]["dir"] / "aegis-config.yaml").read_text())
    # The registry is mounted at this path in the container; here it is beside the config.
    assert config["spec"]["runtime"]["runtime_registry_path"] == "/app/config/runtime-registry.yaml"
    config["spec"]["runtime"]["runtime_registry_path"] = str(both["upstream"]["dir"] / "runtime-registry.yaml")
    path = both["upstream"]["dir"] / "checked-config.yaml"
    path.write_text(yaml.safe_dump(config))
    env = dict(containers(both["upstream"])[("core", "runtime")]["env"], AEGIS_CONFIG_PATH=str(path),
               AEGIS_DATABASE_URL="postgres://aegis:pw@aegis-database:5432/aegis",
               AEGIS_SEAL_PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----", OPENBAO_ROLE_ID="r", OPENBAO_SECRET_ID="s")
    settings = real_interface.runtime(env)
    assert settings["ports"] == {"http": 8088, "grpc": 50051, "nfs": 2049, "metrics": 9091}
    assert (settings["TEMPORAL_ADDRESS"], settings["OPENBAO_ADDR"], settings["AEGIS_STORAGE_URL"]) == \
        ("aegis-temporal:7233", "http://aegis-secrets:8200", "http://aegis-storage:8888")


def test_the_aegis_images_listen_where_the_roles_say(tmp_path):
    rendered = containers(render(tmp_path, "upstream", "aegis_seal_gateway_http_port=18089",
                                 "aegis_seal_gateway_grpc_port=15055", "aegis_temporal_worker_port=13000"))
    gateway = real_interface.seal_gateway(rendered[("seal_gateway", "gateway")]["env"])
    assert gateway["ports"] == {"http": 18089, "grpc": 15055}
    worker_env = dict(rendered[("temporal", "worker")]["env"], DATABASE_URL="postgres://w:pw@db/w")
    assert real_interface.temporal_worker(worker_env)["ports"] == {"http": 13000}
    assert "://" not in worker_env["AEGIS_RUNTIME_GRPC_URL"]  # a host:port target for @grpc/grpc-js


def test_the_aegis_stand_in_tells_each_program_from_what_the_roles_give_it(both):
    # The roles configure the real programs only; the local image serves all three and tells them apart by that.
    rendered = containers(both["local"])
    told = {name: real_interface.program(rendered[name]["env"])[0]
            for name in (("core", "runtime"), ("temporal", "worker"), ("seal_gateway", "gateway"))}
    assert told == {("core", "runtime"): "runtime", ("temporal", "worker"): "temporal-worker",
                    ("seal_gateway", "gateway"): "seal-gateway"}


def test_keycloak_admin_connection_is_local_by_default(both):
    # The master realm's sslRequired=external refuses plain HTTP from public addresses; loopback is local.
    assert both["upstream"]["iam_admin_url"] == "http://127.0.0.1:8180"
