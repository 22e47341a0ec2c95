"""Verify the iam pod (Keycloak stand-in locally): health, the aegis-system realm as python-keycloak reads it,
client secrets in OpenBao KV, OpenBao's OIDC auth, and realm state surviving a pod recreate (it is in PostgreSQL)."""

import json
import os
import subprocess
import urllib.request

import hvac
import pytest
from keycloak import KeycloakAdmin, KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError

URL = "http://127.0.0.2:8180"
SECRETS = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "secrets")
CONFIDENTIAL = ["aegis-orchestrator", "aegis-temporal-worker", "aegis-openbao"]


def secret(name):
    with open(os.path.join(SECRETS, name), encoding="utf-8") as handle:
        return handle.read().strip()


def admin():
    return KeycloakAdmin(server_url=URL, username="admin", password=secret("iam/admin"), realm_name="aegis-system",
                         user_realm_name="master")


def bao():
    with open(os.path.join(SECRETS, "openbao", "init.json"), encoding="utf-8") as handle:
        return hvac.Client(url="http://127.0.0.2:8200", token=json.load(handle)["root_token"])


def test_keycloak_is_healthy(host):
    assert host.run("podman healthcheck run aegistest-iam-keycloak").rc == 0
    with urllib.request.urlopen(URL + "/health/ready", timeout=10) as response:
        assert json.load(response)["status"] == "UP"


def test_wrong_admin_password_is_rejected():
    with pytest.raises(KeycloakAuthenticationError):
        KeycloakAdmin(server_url=URL, username="admin", password="wrong", realm_name="master").get_realms()


def test_realm_roles_clients_and_scopes():
    kc = admin()
    roles = {role["name"] for role in kc.get_realm_roles()}
    assert {"aegis:admin", "aegis:operator", "aegis:readonly"} <= roles
    clients = {client["clientId"]: client for client in kc.get_clients()}
    for client_id in CONFIDENTIAL:
        assert not clients[client_id]["publicClient"]
    assert clients["aegis-orchestrator"]["serviceAccountsEnabled"]
    cli = clients["aegis-cli"]
    assert cli["publicClient"] and cli["attributes"]["oauth2.device.authorization.grant.enabled"] == "true"
    optional = {scope["name"] for scope in kc.get_client_optional_client_scopes(cli["id"])}
    assert {"agent:deploy", "workflow:run", "tenant:provision"} <= optional and len(optional) >= 60
    mappers = clients["aegis-temporal-worker"].get("protocolMappers") or []
    assert any(m["protocolMapper"] == "oidc-audience-mapper"
               and m["config"]["included.client.audience"] == "aegis-orchestrator" for m in mappers)


def test_client_secrets_are_in_openbao_and_log_in():
    client = bao()
    for client_id in CONFIDENTIAL:
        data = client.secrets.kv.v2.read_secret_version(path="aegis/keycloak/" + client_id, mount_point="secret",
                                                        raise_on_deleted_version=True)["data"]["data"]
        assert data["client_id"] == client_id
        if client_id != "aegis-openbao":
            token = KeycloakOpenID(server_url=URL, realm_name="aegis-system", client_id=client_id,
                                   client_secret_key=data["client_secret"]).token(grant_type="client_credentials")
            assert token["access_token"]


def test_openbao_oidc_auth_points_at_the_realm():
    config = bao().read("auth/oidc/config")["data"]
    assert config["oidc_discovery_url"] == "http://aegistest-iam:8180/realms/aegis-system"
    assert config["oidc_client_id"] == "aegis-openbao"
    auth_url = bao().write("auth/oidc/oidc/auth_url", role="default", redirect_uri="http://localhost:8250/oidc/callback")
    assert auth_url["data"]["auth_url"].startswith("http://aegistest-iam:8180/realms/aegis-system/protocol/openid-connect/auth")


def test_realm_and_secrets_survive_pod_recreate(host):
    before = {c["clientId"]: c["id"] for c in admin().get_clients()}
    assert host.run("podman pod rm -f -t 0 aegistest-iam").rc == 0
    converge = subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")],
        capture_output=True, text=True, check=False)
    assert converge.returncode == 0, converge.stdout[-3000:]
    assert "changed=" in converge.stdout
    after = {c["clientId"]: c["id"] for c in admin().get_clients()}
    assert after == before
