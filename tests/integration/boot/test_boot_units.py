# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""aegis.platform.boot on this machine (systemd is not PID 1 here): the role's unit-generation tasks render the
units for two throwaway pods into a temporary directory, with aegis_systemd forced on, and the checks below fail on
a wrong unit: ``systemd-analyze verify`` (shown to reject broken units), the units' own commands run against the
real pods and a real, sealed OpenBao, content assertions, reruns (changed=0, also after the pods are recreated the
way the pod module does) and stale-unit removal. The throwaway pods use the prefix ``aegisboot`` and are removed
afterwards; nothing under /etc/systemd is touched."""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import shutil
import stat
import subprocess
import sys
import typing as t

import hvac
import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent / "openbao"))
from openbao_harness import BaoServer  # noqa: E402  (real OpenBao server from the openbao integration tests)

PREFIX = "aegisboot"
PODS = {"secrets": "aegisboot-secrets", "seal_gateway": "aegisboot-seal-gateway"}
UNSEAL_UNIT = "aegisboot-openbao-unseal.service"
DROP_IN = pathlib.Path("/etc/containers/containers.conf.d/50-aegis.conf")


def podman(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check)


def remove_pods() -> None:
    for pod in PODS.values():
        podman("pod", "rm", "--force", "--time", "0", pod, check=False)


def create_pods() -> None:
    """Each pod the way the pod module makes one: pod with a named infra container, a container with restart always."""
    remove_pods()
    for pod in PODS.values():
        podman("pod", "create", "--name", pod, "--infra-name", pod + "-infra")
    if podman("image", "exists", "localhost/aegis-base:bookworm", check=False).returncode == 0:
        image, command = "localhost/aegis-base:bookworm", ["sleep", "infinity"]
    else:  # before the images role ran (fresh CI machine): the pause image `podman pod create` just built
        image = podman("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split("podman-pause:", 1)
        image, command = "localhost/podman-pause:" + image[1].split()[0], []
    for pod in PODS.values():
        podman("create", "--name", pod + "-sleeper", "--pod", pod, "--restart", "always", image, *command)
    podman("pod", "start", *PODS.values())


def pod_states(pod: str) -> dict[str, str]:
    data = json.loads(podman("pod", "inspect", pod).stdout)
    data = data[0] if isinstance(data, list) else data
    return {c["Name"]: c["State"] for c in data["Containers"]}


def run_role(env_dir: pathlib.Path, extra: dict[str, t.Any], tasks: str = "units") -> dict[str, t.Any]:
    """ansible-playbook boot.yml (json callback) with the test's variables; returns the parsed output."""
    variables = dict(extra, boot_tasks=tasks)
    vars_file = env_dir / "vars.json"
    vars_file.write_text(json.dumps(variables))
    vars_file.chmod(0o600)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_NOCOLOR="1", ANSIBLE_GATHERING="explicit",
               ANSIBLE_LOCAL_TEMP=str(env_dir / "tmp"))
    proc = subprocess.run(
        [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=%s" % sys.executable, "-e", "@%s" % vars_file, str(HERE / "boot.yml")],
        cwd=str(REPO), env=env, capture_output=True, text=True, timeout=120, check=False)
    try:
        out = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("ansible-playbook output is not JSON: %s %s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
    out["rc"], out["stats"] = proc.returncode, out["stats"]["localhost"]
    return out


def task_results(out: dict[str, t.Any]) -> list[tuple[str, dict[str, t.Any]]]:
    return [(task["task"]["name"], task["hosts"].get("localhost", {})) for play in out["plays"] for task in play["tasks"]]


def unit_values(text: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


def unit_commands(text: str, key: str) -> list[list[str]]:
    """The argv of each ``key=`` command line, after systemd's specifier and variable escapes ($$, %%)."""
    commands = []
    for value in unit_values(text, key):
        # systemd would replace a lone % (specifier) or $ (environment variable) before the shell sees it.
        assert "%" not in value.replace("%%", ""), "unexpected specifier in %s" % value
        assert "$" not in value.replace("$$", ""), "unescaped variable in %s" % value
        commands.append(shlex.split(value.replace("$$", "$").replace("%%", "%")))
    return commands


def verify(*paths: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", *map(str, paths)], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[dict[str, t.Any]]:
    """Prerequisites, two throwaway pods, a real initialised OpenBao, and one render of the units (unseal opted in)."""
    if shutil.which("systemd-analyze") is None:  # Debian's systemd package; it does not become PID 1
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "systemd"], check=True, capture_output=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    base = tmp_path_factory.mktemp("boot")
    if shutil.which("podman") is None or not DROP_IN.is_file():  # fresh machine: the project's own host preparation
        prep = base / "prep"
        prep.mkdir()
        out = run_role(prep, {"aegis_name_prefix": PREFIX, "boot_role": "aegis.platform.podman_host"}, tasks="main")
        assert out["rc"] == 0, out["stats"]
    create_pods()
    bao = BaoServer(base / "bao")
    bao.start()
    try:
        init = hvac.Client(url=bao.url).sys.initialize(secret_shares=3, secret_threshold=2)
        bao.unseal_keys, bao.root_token = init["keys"], init["root_token"]
        for key in bao.unseal_keys[:2]:
            bao.hvac().sys.submit_unseal_key(key)
        secrets_dir = base / "secrets"
        (secrets_dir / "openbao").mkdir(parents=True)
        (secrets_dir / "openbao" / "init.json").write_text(
            json.dumps({"unseal_keys": bao.unseal_keys, "root_token": bao.root_token}))
        units = base / "units"
        units.mkdir()
        extra = {
            "aegis_name_prefix": PREFIX, "aegis_profile": "boottest",
            "aegis_profiles": {"boottest": list(PODS)}, "aegis_systemd": True,
            "aegis_boot_unit_dir": str(units), "aegis_config_dir": str(base / "etc"),
            "aegis_secrets_dir": str(secrets_dir), "aegis_boot_unseal_unit": True, "aegis_boot_unseal_url": bao.url,
        }
        first = run_role(base, extra)
        assert first["rc"] == 0, json.dumps(first["stats"]) + json.dumps(task_results(first))[-3000:]
        yield {"base": base, "units": units, "extra": extra, "bao": bao, "first": first,
               "key_file": base / "etc" / "secrets" / "unseal-keys"}
    finally:
        bao.stop()
        remove_pods()


def test_units_and_key_file_are_written(env):
    names = sorted(p.name for p in env["units"].iterdir())
    assert names == sorted(["pod-aegisboot-secrets.service", "pod-aegisboot-seal-gateway.service", UNSEAL_UNIT])
    assert env["first"]["stats"]["changed"] > 0
    key_file = env["key_file"]
    info = key_file.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == 0 and info.st_gid == 0
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert [json.loads(line) for line in key_file.read_text().splitlines()] == [
        {"key": key} for key in env["bao"].unseal_keys]


def test_systemd_analyze_verify_accepts_the_units(env):
    result = verify(*sorted(env["units"].iterdir()))
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), result.stderr


@pytest.mark.parametrize("breakage", [
    ("ExecStart=/usr/bin/podman pod start", "ExecStart=/usr/bin/podman-missing pod start"),
    ("Restart=on-failure", "Restart=always"),  # refused for Type=oneshot
    ("Type=oneshot", "Type=oneshot-ish"),
])
def test_systemd_analyze_verify_rejects_a_broken_unit(env, breakage, tmp_path):
    good = (env["units"] / "pod-aegisboot-secrets.service").read_text()
    assert breakage[0] in good
    broken = tmp_path / "pod-aegisboot-broken.service"
    broken.write_text(good.replace(breakage[0], breakage[1]))
    result = verify(broken)
    assert result.returncode != 0 or result.stderr.strip(), "verify accepted %s" % breakage[1]


def test_pod_units_start_the_existing_pod_and_never_create_one(env):
    for short, pod in PODS.items():
        text = (env["units"] / ("pod-%s.service" % pod)).read_text()
        assert text.startswith("# aegis.platform.boot prefix=aegisboot\n")
        assert unit_commands(text, "ExecStart") == [[shutil.which("podman"), "pod", "start", pod]]
        assert unit_commands(text, "ExecStop") == [[shutil.which("podman"), "pod", "stop", "--ignore", "--time", "10", pod]]
        assert unit_values(text, "Type") == ["oneshot"] and unit_values(text, "RemainAfterExit") == ["yes"]
        assert unit_values(text, "Restart") == ["on-failure"]
        assert unit_values(text, "WantedBy") == ["multi-user.target"]
        assert "network-online.target" in unit_values(text, "After") + unit_values(text, "Wants")
        # Nothing that ties the unit to one container instance (podman generate systemd's PIDFile holds its ID)
        # or would recreate the pod from a creation command (--new).
        assert not unit_values(text, "PIDFile") and not unit_values(text, "ExecStopPost")
        assert not any(word in text for word in ("podman create", "pod create", "podman run", "--replace", "rm -f"))
    gateway = (env["units"] / "pod-aegisboot-seal-gateway.service").read_text()
    assert unit_values(gateway, "After") == ["network-online.target", "pod-aegisboot-secrets.service", UNSEAL_UNIT]
    assert not unit_values(gateway, "Requires")


def test_unseal_unit_follows_the_secrets_pod_and_reads_the_key_file(env):
    text = (env["units"] / UNSEAL_UNIT).read_text()
    assert unit_values(text, "After") == ["pod-aegisboot-secrets.service"]
    assert unit_values(text, "Requires") == ["pod-aegisboot-secrets.service"]
    assert unit_values(text, "WantedBy") == ["multi-user.target"]
    unseal, check = unit_commands(text, "ExecStart")
    assert unseal[:2] == ["/bin/sh", "-c"] and unseal[2].endswith("< %s" % env["key_file"])
    assert "--request PUT --data-binary @- %s/v1/sys/unseal" % env["bao"].url in unseal[2]
    assert "%s/v1/sys/seal-status" % env["bao"].url in check[2]


def test_no_secret_material_in_any_unit(env):
    secrets = env["bao"].unseal_keys + [env["bao"].root_token]
    for unit in env["units"].iterdir():
        text = unit.read_text()
        assert not [s for s in secrets if s in text], unit.name
        assert stat.S_IMODE(unit.stat().st_mode) == 0o644
    assert env["bao"].root_token not in env["key_file"].read_text()
    dumped = json.dumps(env["first"])
    assert not [s for s in secrets if s in dumped], "a secret reached the Ansible output"


def test_pod_unit_commands_stop_and_start_the_real_pod(env):
    text = (env["units"] / "pod-aegisboot-seal-gateway.service").read_text()
    (stop,), (start,) = unit_commands(text, "ExecStop"), unit_commands(text, "ExecStart")
    subprocess.run(stop, check=True, capture_output=True)
    assert set(pod_states("aegisboot-seal-gateway").values()) == {"exited"}
    subprocess.run(start, check=True, capture_output=True)
    assert set(pod_states("aegisboot-seal-gateway").values()) == {"running"}
    subprocess.run(start, check=True, capture_output=True)  # starting a running pod (deploy time) succeeds


def test_unseal_unit_commands_unseal_a_sealed_openbao(env):
    bao, commands = env["bao"], unit_commands((env["units"] / UNSEAL_UNIT).read_text(), "ExecStart")
    bao.hvac().sys.seal()
    assert bao.hvac().sys.read_seal_status()["sealed"]
    for command in commands:
        subprocess.run(command, check=True, capture_output=True, timeout=60)
    assert not bao.hvac().sys.read_seal_status()["sealed"]
    for command in commands:  # already unsealed (the unit is started at deploy time): still succeeds
        subprocess.run(command, check=True, capture_output=True, timeout=60)


def test_unseal_unit_fails_when_openbao_stays_sealed(env):
    bao, commands = env["bao"], unit_commands((env["units"] / UNSEAL_UNIT).read_text(), "ExecStart")
    good = env["key_file"].read_text()
    bao.hvac().sys.seal()
    try:
        env["key_file"].write_text(good.splitlines()[0] + "\n")  # below the threshold of 2
        results = [subprocess.run(command, capture_output=True, timeout=60, check=False) for command in commands]
        assert results[-1].returncode != 0
    finally:
        env["key_file"].write_text(good)
        for key in bao.unseal_keys[:2]:
            bao.hvac().sys.submit_unseal_key(key)
    assert not bao.hvac().sys.read_seal_status()["sealed"]


def test_rerun_changes_nothing_even_after_the_pods_are_recreated(env):
    before = {p.name: p.read_text() for p in env["units"].iterdir()}
    create_pods()  # new pod and container IDs under the same names, as the pod module's recreate leaves them
    out = run_role(env["base"], env["extra"])
    assert out["rc"] == 0 and out["stats"]["changed"] == 0, task_results(out)
    assert {p.name: p.read_text() for p in env["units"].iterdir()} == before


def test_changed_units_are_rewritten_and_stale_ones_removed(env):
    units = env["units"]
    tampered = units / "pod-aegisboot-secrets.service"
    good = tampered.read_text()
    tampered.write_text(good.replace("Restart=on-failure", "Restart=no"))
    stale = units / "pod-aegisboot-core.service"
    stale.write_text(good.replace("aegisboot-secrets", "aegisboot-core"))
    (units / "multi-user.target.wants").mkdir(exist_ok=True)
    link = units / "multi-user.target.wants" / stale.name
    link.symlink_to(stale)
    foreign = units / "pod-aegisboot-x-core.service"  # another prefix's unit: not ours to remove
    foreign.write_text(good.replace("prefix=aegisboot", "prefix=aegisboot-x"))
    try:
        out = run_role(env["base"], dict(env["extra"], aegis_boot_unseal_unit=False))
        assert out["rc"] == 0, task_results(out)
        assert tampered.read_text() == good
        assert not stale.exists() and not link.is_symlink() and foreign.exists()
        assert not (units / UNSEAL_UNIT).exists() and not env["key_file"].exists()
        gateway = (units / "pod-aegisboot-seal-gateway.service").read_text()
        assert unit_values(gateway, "After") == ["network-online.target", "pod-aegisboot-secrets.service"]
    finally:
        foreign.unlink()


def test_a_pod_that_is_not_deployed_fails_clearly(env, tmp_path):
    extra = dict(env["extra"], aegis_boot_unit_dir=str(tmp_path), aegis_boot_unseal_unit=False,
                 aegis_profiles={"boottest": ["secrets", "core"]})
    out = run_role(env["base"], extra)
    assert out["rc"] != 0
    messages = " ".join(str(result.get("msg", "")) for dummy, result in task_results(out))
    assert "aegisboot-core" in messages and "deploy them first" in messages
    assert not list(tmp_path.iterdir())


def test_without_systemd_the_role_writes_nothing_and_names_the_recovery(env, tmp_path):
    extra = dict(env["extra"], aegis_systemd=False, aegis_boot_unit_dir=str(tmp_path))
    out = run_role(env["base"], extra, tasks="main")
    assert out["rc"] == 0 and out["stats"]["changed"] == 0
    messages = [result.get("msg", "") for name, result in task_results(out) if "without systemd" in name]
    assert len(messages) == 1 and "rerunning site.yml" in messages[0] and "restart policy" in messages[0]
    assert not list(tmp_path.iterdir())
