"""Verify the day-2 playbooks on the database + secrets + storage profile: status (read-only, names every
container, sees a sealed OpenBao), backup (manifest, checksums, no secret in the log), teardown with and without
purge, and restore after a purge (data written before the backup is read back; damaged backups are refused).

The tests run in file order and share one deployment: each step starts from the state the previous one left.
Every test takes testinfra's `host` fixture, so pytest keeps that order (it groups tests by fixture parameter).
"""

import hashlib
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import time
import urllib.request

import hvac
import psycopg2
import pytest

PREFIX = "aegisday2"
ADDRESS = "127.0.0.5"
BAO_URL = "http://%s:8200" % ADDRESS
FILER_URL = "http://%s:8888/day2/backup.txt" % ADDRESS
CONTAINERS = ["%s-database-postgres" % PREFIX, "%s-database-postgres-exporter" % PREFIX,
              "%s-secrets-openbao" % PREFIX,
              "%s-storage-master" % PREFIX, "%s-storage-volume" % PREFIX, "%s-storage-filer" % PREFIX,
              "%s-storage-webdav" % PREFIX]
PODS = ["%s-database" % PREFIX, "%s-secrets" % PREFIX, "%s-storage" % PREFIX]
VOLUMES = ["%s-%s" % (PREFIX, name) for name in
           ("postgres-data", "openbao-data", "seaweedfs-master-data", "seaweedfs-volume-data", "seaweedfs-filer-data")]
CONFIG_DIR = "/etc/%s" % PREFIX
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
SECRETS = os.path.join(EPHEMERAL, "secrets")
BACKUPS = os.path.join(EPHEMERAL, "backups")
PLAYBOOKS = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", ""), "playbooks")
PAYLOAD = b"stored in SeaweedFS before the backup\n" + bytes(range(256))
ROW = "written before the backup"
KV = {"survives": "backup, purge and restore"}

# Shared between the ordered tests: the backup directory.
STATE = {}


def playbook(name, *extra):
    return subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                           os.path.join(PLAYBOOKS, name), *extra], capture_output=True, text=True, check=False)


def converge():
    return playbook("site.yml")


def recap(result):
    return result.stdout[-3000:] + result.stderr[-2000:]


def init():
    with open(os.path.join(SECRETS, "openbao", "init.json"), encoding="utf-8") as handle:
        return json.load(handle)


def root_client():
    return hvac.Client(url=BAO_URL, token=init()["root_token"])


def psql(host, sql):
    return host.run("podman exec -u postgres %s-database-postgres psql -U aegis -d aegis -AtX -c %s", PREFIX, sql)


def http(method, url, data=None):
    req = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as response:
        return response.status, response.read()


def read_back(host):
    """The three things written before the backup, as they are now."""
    row = psql(host, "SELECT v FROM day2_backup").stdout.strip()
    secret = root_client().secrets.kv.v2.read_secret_version(path="day2/backup", mount_point="secret",
                                                             raise_on_deleted_version=True)["data"]["data"]
    return row, secret, http("GET", FILER_URL)[1]


def exists(host, kind, name):
    return host.run("podman %s exists %s", kind, name).rc == 0


@pytest.fixture(scope="module", autouse=True)
def _no_leftover_backups():
    """Backups of an earlier verify run would confuse the backup test."""
    shutil.rmtree(BACKUPS, ignore_errors=True)


# --- status -------------------------------------------------------------------------------------------------

def test_status_names_every_container_and_unsealed_without_changes(host):
    result = playbook("status.yml")
    assert result.returncode == 0, recap(result)
    assert "changed=0" in result.stdout
    for container in CONTAINERS:
        assert container in result.stdout
    assert "unsealed" in result.stdout


def test_status_runs_in_check_mode_and_strict_passes_when_healthy(host):
    result = playbook("status.yml", "--check", "-e", "aegis_status_fail_unhealthy=true")
    assert result.returncode == 0, recap(result)
    assert "changed=0" in result.stdout


def test_status_shows_a_stopped_container_and_a_sealed_openbao_and_strict_fails(host):
    assert host.run("podman stop -t 0 %s-storage-webdav", PREFIX).rc == 0
    root_client().sys.seal()
    try:
        result = playbook("status.yml", "-e", "aegis_status_fail_unhealthy=true")
        assert result.returncode != 0
        line = next(line for line in result.stdout.splitlines() if "%s-storage-webdav " % PREFIX in line)
        assert "exited" in line or "stopped" in line
        assert "initialised, sealed" in result.stdout
        assert "changed=0" in result.stdout
    finally:
        assert host.run("podman start %s-storage-webdav", PREFIX).rc == 0
        hvac.Client(url=BAO_URL).sys.submit_unseal_keys(init()["unseal_keys"])
    for _attempt in range(60):
        if host.run("podman healthcheck run %s-storage-webdav", PREFIX).rc == 0 and \
                not hvac.Client(url=BAO_URL).sys.read_health_status(method="GET")["sealed"]:
            break
        time.sleep(1)
    assert playbook("status.yml", "-e", "aegis_status_fail_unhealthy=true").returncode == 0


# --- backup -------------------------------------------------------------------------------------------------

def test_backup_saves_database_openbao_snapshot_and_volumes_with_manifest(host):
    assert psql(host, "CREATE TABLE IF NOT EXISTS day2_backup (v text); DELETE FROM day2_backup; "
                      "INSERT INTO day2_backup VALUES ('%s')" % ROW).rc == 0
    root_client().secrets.kv.v2.create_or_update_secret(path="day2/backup", secret=KV, mount_point="secret")
    assert http("PUT", FILER_URL, PAYLOAD)[0] in (200, 201)

    result = playbook("backup.yml", "-vvv")
    assert result.returncode == 0, recap(result)
    log = result.stdout + result.stderr
    for secret in [init()["root_token"], *init()["unseal_keys"]]:
        assert secret not in log

    backups = sorted(os.listdir(BACKUPS))
    assert len(backups) == 1 and len(backups[0]) == 15 and backups[0][8] == "T"
    directory = os.path.join(BACKUPS, backups[0])
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    assert manifest["name_prefix"] == PREFIX and manifest["created"] == backups[0]
    kinds = {(item["kind"], item["name"]) for item in manifest["items"]}
    assert {("postgres-globals", "globals"), ("postgres-database", "aegis"), ("postgres-database", "temporal"),
            ("openbao-raft-snapshot", "raft")} <= kinds
    assert {name for kind, name in kinds if kind == "volume"} == set(VOLUMES[2:])
    for item in manifest["items"]:
        path = os.path.join(directory, item["path"])
        with open(path, "rb") as handle:
            content = handle.read()
        assert len(content) == item["size"] > 0
        assert hashlib.sha256(content).hexdigest() == item["sha256"]
    with open(os.path.join(directory, "SHA256SUMS"), encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) == len(manifest["items"])
    STATE["backup"] = directory


# --- teardown with purge, restore ---------------------------------------------------------------------------

def test_teardown_purging_volumes_and_config_keeps_the_controller_secrets(host):
    assert "backup" in STATE
    result = playbook("teardown.yml", "-e", "aegis_teardown_purge_volumes=true",
                      "-e", "aegis_teardown_purge_config=true")
    assert result.returncode == 0, recap(result)
    assert "WARNING: aegis_purge_data DELETES DATA" in result.stdout
    for pod in PODS:
        assert not exists(host, "pod", pod)
    for volume in VOLUMES:
        assert not exists(host, "volume", volume)
    assert not exists(host, "network", PREFIX + "-network")
    assert not host.file(CONFIG_DIR).exists
    assert os.path.isfile(os.path.join(SECRETS, "openbao", "init.json"))


def test_restore_without_a_backup_directory_fails_with_a_clear_message(host):
    result = playbook("restore.yml")
    assert result.returncode != 0
    assert "-e aegis_backup_from=<dir>" in result.stdout + result.stderr
    for pod in PODS:
        assert not exists(host, "pod", pod)


def test_restore_refuses_a_damaged_backup_before_changing_anything(host, tmp_path):
    damaged = str(tmp_path / "damaged")
    shutil.copytree(STATE["backup"], damaged)
    with open(os.path.join(damaged, "localhost", "database", "aegis.dump"), "ab") as handle:
        handle.write(b"tampered")
    result = playbook("restore.yml", "-e", "aegis_backup_from=" + damaged)
    assert result.returncode != 0
    log = result.stdout + result.stderr  # failed tasks go to stderr (display_failed_stderr)
    assert "the backup is damaged" in log and "database/aegis.dump" in log
    for pod in PODS:
        assert not exists(host, "pod", pod)


def test_restore_after_purge_brings_back_row_secret_and_file(host):
    result = playbook("restore.yml", "-vvv", "-e", "aegis_backup_from=" + STATE["backup"])
    assert result.returncode == 0, recap(result)
    log = result.stdout + result.stderr
    for secret in [init()["root_token"], *init()["unseal_keys"]]:
        assert secret not in log
    assert read_back(host) == (ROW, KV, PAYLOAD)
    health = hvac.Client(url=BAO_URL).sys.read_health_status(method="GET")
    assert health["initialized"] and not health["sealed"]


def test_restored_platform_is_healthy_and_its_credentials_work(host):
    result = playbook("status.yml", "-e", "aegis_status_fail_unhealthy=true")
    assert result.returncode == 0, recap(result)
    with open(os.path.join(SECRETS, "openbao", "approle.json"), encoding="utf-8") as handle:
        creds = json.load(handle)
    client = hvac.Client(url=BAO_URL)
    client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
    assert client.is_authenticated()
    with open(os.path.join(SECRETS, "database", "temporal"), encoding="utf-8") as handle:
        password = handle.read().strip()
    with psycopg2.connect(host=ADDRESS, port=5432, user="temporal", password=password, dbname="temporal") as conn:
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == ("temporal",)
    conn.close()


def test_site_after_restore_changes_nothing(host):
    result = converge()
    assert result.returncode == 0, recap(result)
    assert "changed=0" in result.stdout


# --- a controller without the deployment's secrets (an AWX job, another machine) -------------------------------

def generated_files(directory=SECRETS):
    """{name: content} of the controller's secrets directory (names relative to it)."""
    found = {}
    for root, _dirs, files in os.walk(directory):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                found[os.path.relpath(os.path.join(root, name), directory)] = handle.read()
    return found


def containers_now(host):
    return host.run("podman ps -a --filter name=^%s- --format '{{.ID}} {{.Names}} {{.StartedAt}}'", PREFIX).stdout


def test_a_controller_without_the_secrets_directory_converges_with_no_change(host):
    """The values this deployment generated come back from OpenBao (unsealed: no key is needed), identical."""
    before = generated_files()
    os.rename(SECRETS, SECRETS + ".away")
    try:
        result = converge()
        restored = generated_files()
    finally:
        shutil.rmtree(SECRETS, ignore_errors=True)
        os.rename(SECRETS + ".away", SECRETS)
    assert result.returncode == 0 and changed_count(result) == 0, recap(result)
    # Everything but OpenBao's unseal keys and root token, which the operator keeps (vault).
    assert restored == {name: value for name, value in before.items() if name != "openbao/init.json"}
    assert "Read back from OpenBao" in result.stdout
    creds = json.loads(restored["openbao/approle.json"])
    hvac.Client(url=BAO_URL).auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
    psycopg2.connect(host=ADDRESS, port=5432, user="temporal", password=restored["database/temporal"].strip(),
                     dbname="temporal").close()


def test_a_sealed_openbao_and_no_secrets_directory_are_refused_before_any_change(host):
    """Without the controller's copy and with OpenBao sealed (a restart), nothing can give the values back: the run
    stops before any change and says what to supply; with the unseal keys alone (vault) it converges."""
    keys = init()["unseal_keys"]
    assert host.run("podman restart -t 0 %s-secrets-openbao", PREFIX).rc == 0
    before = containers_now(host)
    os.rename(SECRETS, SECRETS + ".away")
    try:
        refused = converge()
        left, after, sealed = generated_files(), containers_now(host), hvac.Client(url=BAO_URL).sys.is_sealed()
        given = playbook("site.yml", "-e", json.dumps({"aegis_secrets_unseal_keys": keys}))
    finally:
        shutil.rmtree(SECRETS, ignore_errors=True)
        os.rename(SECRETS + ".away", SECRETS)
    assert refused.returncode != 0 and changed_count(refused) == 0, recap(refused)
    message = refused.stdout + refused.stderr  # the failure goes to stderr
    assert "cannot give them back" in message and "aegis_secrets_unseal_keys" in message
    assert left == {} and after == before and sealed
    assert given.returncode == 0 and changed_count(given) == 1, recap(given)  # unsealed, nothing else
    assert not hvac.Client(url=BAO_URL).sys.is_sealed()


# --- rotation ------------------------------------------------------------------------------------------------

def stored(*path):
    with open(os.path.join(SECRETS, *path), encoding="utf-8") as handle:
        return handle.read().strip()


def test_rotate_replaces_secret_id_and_database_passwords_and_the_old_ones_fail(host):
    """Also without the root token: the controller's init.json is away while it runs (OpenBao is unsealed), so the
    secret_id is minted and the old one destroyed with the deployer credential."""
    old_approle, old_password = json.loads(stored("openbao", "approle.json")), stored("database", "temporal")
    root_token = init()["root_token"]
    init_file = os.path.join(SECRETS, "openbao", "init.json")
    os.rename(init_file, init_file + ".away")
    try:
        result = playbook("rotate.yml", "-vvv")
    finally:
        os.rename(init_file + ".away", init_file)
    assert result.returncode == 0, recap(result)
    new_approle, new_password = json.loads(stored("openbao", "approle.json")), stored("database", "temporal")
    assert new_approle["secret_id"] != old_approle["secret_id"] and new_password != old_password
    log = result.stdout + result.stderr
    for secret in (old_approle["secret_id"], new_approle["secret_id"], old_password, new_password, root_token):
        assert secret not in log
    assert "old one destroyed and refused" in log and "old ones no longer match" in log

    with pytest.raises(hvac.exceptions.InvalidRequest):
        hvac.Client(url=BAO_URL).auth.approle.login(role_id=old_approle["role_id"], secret_id=old_approle["secret_id"])
    hvac.Client(url=BAO_URL).auth.approle.login(role_id=new_approle["role_id"], secret_id=new_approle["secret_id"])
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host=ADDRESS, port=5432, user="temporal", password=old_password, dbname="temporal").close()
    psycopg2.connect(host=ADDRESS, port=5432, user="temporal", password=new_password, dbname="temporal").close()
    assert read_back(host) == (ROW, KV, PAYLOAD)


def test_a_secret_id_destroyed_through_the_api_is_replaced_by_a_plain_rerun(host):
    """Fault: the AppRole secret_id destroyed through OpenBao's API while nothing else changes (the bootstrap
    receipt still matches). The plain rerun finds it gone (a lookup, no login), mints a new one and records it;
    the rerun after that changes nothing."""
    held = json.loads(stored("openbao", "approle.json"))
    root = hvac.Client(url=BAO_URL, token=init()["root_token"])
    root.auth.approle.destroy_secret_id("aegis-platform", held["secret_id"])
    repaired = converge()
    assert repaired.returncode == 0, recap(repaired)
    new = json.loads(stored("openbao", "approle.json"))
    assert new["secret_id"] != held["secret_id"] and new["role_id"] == held["role_id"]
    hvac.Client(url=BAO_URL).auth.approle.login(role_id=new["role_id"], secret_id=new["secret_id"])
    assert held["secret_id"] not in repaired.stdout + repaired.stderr
    again = converge()
    assert again.returncode == 0 and "changed=0" in again.stdout, recap(again)


def changed_count(result):
    return int(re.search(r"changed=(\d+)", result.stdout).group(1))


def test_a_policy_edited_by_hand_is_put_back_by_a_plain_rerun(host):
    """Fault: the platform policy rewritten through OpenBao's API (the AppRole token then cannot read the
    platform's KV paths). The plain rerun (no force) reads the policy and writes it back: one change; the rerun
    after it changes nothing."""
    root = root_client()
    original = root.sys.read_policy("aegis-platform")["data"]["rules"]
    root.sys.create_or_update_policy("aegis-platform", 'path "secret/data/elsewhere/*" { capabilities = ["read"] }')
    repaired = converge()
    assert repaired.returncode == 0, recap(repaired)
    assert changed_count(repaired) == 1, recap(repaired)
    assert root.sys.read_policy("aegis-platform")["data"]["rules"].strip() == original.strip()
    creds = json.loads(stored("openbao", "approle.json"))
    client = hvac.Client(url=BAO_URL)
    client.auth.approle.login(role_id=creds["role_id"], secret_id=creds["secret_id"])
    client.secrets.kv.v2.create_or_update_secret(path="aegis/day2-policy", secret={"k": "v"}, mount_point="secret")
    again = converge()
    assert again.returncode == 0 and changed_count(again) == 0, recap(again)


OPENBAO = "%s-secrets-openbao" % PREFIX


@pytest.mark.parametrize("how,changes", [
    ("podman restart -t 0 " + OPENBAO, 1),
    # A crash: the process killed, podman's restart policy starts the container again.
    ("kill -9 $(podman container inspect -f '{{.State.Pid}}' %s)" % OPENBAO, 1),
    ("podman pod restart %s-secrets" % PREFIX, 1),
    # Stopped by hand: podman's restart policy leaves it stopped; the rerun starts it, then unseals it.
    ("podman stop -t 0 " + OPENBAO, 2),
], ids=["restarted", "crashed", "pod-restarted", "stopped"])
def test_the_first_run_after_openbao_restarts_unseals_and_passes(host, how, changes):
    """Fault: OpenBao restarted, crashed or stopped (it comes back sealed, its health check failing until it is
    unsealed). The first plain rerun unseals it, with exactly the changes it needs, and its summary passes: a health
    result recorded while it was sealed is not taken as final. (The tests after this one end with a rerun that
    changes nothing.)"""
    state = "podman container inspect -f '{{.State.Running}} {{.State.StartedAt}}' " + OPENBAO
    before = host.check_output(state)
    assert host.run(how).rc == 0
    for _attempt in range(60 if changes == 1 else 0):  # wait until it runs again (a new start time)
        now = host.check_output(state)
        if now.startswith("true") and now != before:
            break
        time.sleep(1)
    first = converge()
    assert first.returncode == 0, recap(first)
    assert changed_count(first) == changes, recap(first)
    assert not hvac.Client(url=BAO_URL).sys.read_health_status(method="GET")["sealed"]


def test_a_change_whose_pod_cannot_start_is_undone_and_the_other_pods_stay_reachable(host):
    """Fault: a new setting whose pod cannot start for a reason no validation foresees (its port is held by a
    process outside the platform). The run fails naming the cause; the previous storage pod is recreated from its
    record; the other pods answer all along; the plain rerun changes nothing."""
    with socket.socket() as holder:
        holder.bind((ADDRESS, 17333))
        holder.listen()
        failed = playbook("site.yml", "-e", "aegis_storage_webdav_port=17333")
    log = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "address already in use" in log and "the previous pod was restored" in log, recap(failed)
    storage = [name for name in CONTAINERS if "-storage-" in name]
    for _attempt in range(90):
        if all(host.run("podman healthcheck run %s", name).rc == 0 for name in storage):
            break
        time.sleep(1)
    assert read_back(host) == (ROW, KV, PAYLOAD)  # database, OpenBao and the restored filer all answer
    with socket.create_connection((ADDRESS, 7333), timeout=10):
        pass
    again = converge()
    assert again.returncode == 0 and changed_count(again) == 0, recap(again)


# --- teardown without purge ---------------------------------------------------------------------------------

def test_teardown_without_purge_keeps_volumes_config_and_secrets_and_is_idempotent(host):
    result = playbook("teardown.yml")
    assert result.returncode == 0, recap(result)
    assert "DELETES DATA" not in result.stdout
    for pod in PODS:
        assert not exists(host, "pod", pod)
    for volume in VOLUMES:
        assert exists(host, "volume", volume)
    assert host.file(CONFIG_DIR).is_directory
    assert os.path.isfile(os.path.join(SECRETS, "openbao", "init.json"))
    again = playbook("teardown.yml")
    assert again.returncode == 0, recap(again)
    assert "changed=0" in again.stdout


def test_site_after_teardown_brings_the_data_back(host):
    result = converge()
    assert result.returncode == 0, recap(result)
    assert read_back(host) == (ROW, KV, PAYLOAD)
