"""Verify the database pod: health, ports, metrics, databases, SCRAM-only auth, data across a pod recreate."""

import json
import os
import socket
import subprocess
import urllib.request

import psycopg2
import pytest

POD = "aegistest-database"
ADDRESS = "127.0.0.2"
SECRETS = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "secrets", "database")
DATABASES = {"aegis": "aegis", "temporal": "temporal", "temporal_visibility": "temporal",
             "keycloak": "keycloak", "seal_gateway": "seal_gateway"}


def password(role):
    with open(os.path.join(SECRETS, role), encoding="utf-8") as handle:
        return handle.read().strip()


def psql(host, sql):
    result = host.run("podman exec -u postgres %s-postgres psql -U aegis -d postgres -Atc %s", POD, sql)
    assert result.rc == 0, result.stderr
    return result.stdout.strip()


def connect(user, secret, dbname):
    return psycopg2.connect(host=ADDRESS, port=5432, user=user, password=secret, dbname=dbname, connect_timeout=5)


@pytest.mark.parametrize("container", ["postgres", "postgres-exporter"])
def test_container_running_and_healthy(host, container):
    name = "%s-%s" % (POD, container)
    state = json.loads(host.check_output("podman inspect %s --format json", name))[0]["State"]
    assert state["Running"]
    assert host.run("podman healthcheck run %s", name).rc == 0
    assert host.run("podman inspect %s --format '{{.HostConfig.RestartPolicy.Name}}'", name).stdout.strip() == "always"


@pytest.mark.parametrize("port", [5432, 9187])
def test_port_accepts_connections_on_test_address(port):
    with socket.create_connection((ADDRESS, port), timeout=5):
        pass


def test_exporter_reads_the_local_postgres():
    with urllib.request.urlopen("http://%s:9187/metrics" % ADDRESS, timeout=10) as response:
        lines = response.read().decode().splitlines()
    assert "pg_up 1" in lines


def test_databases_exist_with_their_owners(host):
    rows = psql(host, "select datname, pg_get_userbyid(datdba) from pg_database where not datistemplate")
    found = dict(line.split("|") for line in rows.splitlines())
    for name, owner in DATABASES.items():
        assert found.get(name) == owner


def test_password_hashes_are_scram(host):
    hashes = psql(host, "select rolname || ' ' || rolpassword from pg_authid where rolcanlogin").splitlines()
    assert len(hashes) >= 5
    assert all(line.split(" ", 1)[1].startswith("SCRAM-SHA-256$") for line in hashes), hashes


def test_network_rules_are_scram_only(host):
    methods = psql(host, "select distinct auth_method from pg_hba_file_rules where type <> 'local'")
    assert methods.splitlines() == ["scram-sha-256"]
    assert "trust" not in psql(host, "select string_agg(auth_method, ',') from pg_hba_file_rules")


def test_wrong_password_is_rejected_and_right_one_accepted():
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        connect("temporal", "not-the-password", "temporal")
    with connect("temporal", password("temporal"), "temporal") as conn, conn.cursor() as cursor:
        cursor.execute("select current_user")
        assert cursor.fetchone()[0] == "temporal"


def test_other_roles_cannot_connect_to_a_foreign_database():
    with pytest.raises(psycopg2.OperationalError, match="permission denied"):
        connect("keycloak", password("keycloak"), "temporal")


def test_secret_files_are_private(host):
    for name in ("postgres-password", "exporter-password"):
        assert host.file("/etc/aegistest/database/secrets/" + name).mode == 0o600
    assert host.file("/etc/aegistest/database/secrets").mode == 0o700


def test_volume_is_mounted_at_the_seed_path(host):
    mounts = json.loads(host.check_output("podman inspect %s-postgres --format json", POD))[0]["Mounts"]
    assert {"aegistest-postgres-data": "/var/lib/postgresql/data"}.items() <= {m.get("Name"): m["Destination"] for m in mounts}.items()


def test_data_survives_pod_removal_and_reconverge(host):
    with connect("aegis", password("aegis"), "aegis") as conn, conn.cursor() as cursor:
        cursor.execute("create table if not exists survival (note text)")
        cursor.execute("insert into survival values ('written before pod rm')")
    conn.close()
    assert host.run("podman pod rm -f -t 0 %s", POD).rc == 0
    converge = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")],
        capture_output=True, text=True, check=False)
    assert converge.returncode == 0, converge.stdout[-3000:]
    with connect("aegis", password("aegis"), "aegis") as conn, conn.cursor() as cursor:
        cursor.execute("select note from survival")
        assert ("written before pod rm",) in cursor.fetchall()
    conn.close()
