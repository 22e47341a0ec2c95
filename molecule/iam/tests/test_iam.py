"""Verify the iam pod (real Keycloak 24): health, the aegis-system realm as python-keycloak reads it, client
secrets in OpenBao KV, a person's OIDC login to OpenBao through client aegis-openbao, and realm state surviving a
pod recreate (it is in PostgreSQL)."""

import html
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import urllib.error
import urllib.parse
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


def test_database_password_is_in_keycloaks_private_conf_file_not_in_inspect(host):
    password = secret("database/keycloak")
    assert password not in host.check_output("podman inspect aegistest-iam-keycloak")
    conf = host.file("/etc/aegistest/iam/secrets/keycloak.conf")
    assert conf.mode == 0o600 and conf.uid == 1000 and "db-password=" in conf.content_string


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


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Follows Keycloak's own redirects; stops at the one that hands the code to OpenBao's callback."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if newurl.startswith(REDIRECT):
            raise urllib.error.HTTPError(newurl, code, msg, headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


REDIRECT = "http://localhost:8250/oidc/callback"


def test_a_person_logs_in_to_openbao_through_keycloak(host, monkeypatch):
    password = "Molecule-Person-Pw-5150"
    admin().create_user({"username": "molecule-person", "enabled": True, "email": "person@aegis.example",
                         "emailVerified": True, "firstName": "Molecule", "lastName": "Person",
                         "credentials": [{"type": "password", "value": password, "temporary": False}]},
                        exist_ok=True)
    auth_url = bao().write("auth/oidc/oidc/auth_url", role="default", redirect_uri=REDIRECT)["data"]["auth_url"]
    # The browser must reach Keycloak by the URL OpenBao uses (the issuer of the tokens is the URL the browser
    # logged in at; OpenBao refuses another one): here a machine on the platform network, resolving the pod name.
    infra = host.check_output("podman pod inspect aegistest-iam --format '{{.InfraContainerID}}'")
    address = host.check_output("podman inspect %s --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'",
                                infra)
    resolve = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda name, *rest, **kw: resolve(
        address if name == "aegistest-iam" else name, *rest, **kw))
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                          _KeepRedirects())
    page = browser.open(auth_url, timeout=30).read().decode()
    action = html.unescape(re.search(r'<form id="kc-form-login"[^>]* action="([^"]+)"', page).group(1))
    form = urllib.parse.urlencode({"username": "molecule-person", "password": password}).encode()
    callback = None
    try:
        browser.open(action, data=form, timeout=30)
    except urllib.error.HTTPError as redirect:
        callback = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect.url).query)
    assert callback is not None, "Keycloak did not redirect to OpenBao's callback"
    query = urllib.parse.urlencode({"state": callback["state"][0], "code": callback["code"][0]})
    with urllib.request.urlopen("http://127.0.0.2:8200/v1/auth/oidc/oidc/callback?" + query, timeout=30) as answer:
        login = json.load(answer)["auth"]
    assert login["client_token"] and "default" in login["policies"]
    assert login["metadata"]["role"] == "default"


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


def converge():
    return subprocess.run(
        ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
         os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")],
        capture_output=True, text=True, check=False)


def changed_count(result):
    return int(re.search(r"changed=(\d+)", result.stdout).group(1))


def test_a_client_deleted_by_hand_is_recreated_by_a_plain_rerun_and_its_new_secret_reaches_openbao():
    """Fault: a confidential client deleted through Keycloak's admin API. The plain rerun (no force) reads the
    realm, creates the client again (Keycloak gives it a new secret) and hands that secret to OpenBao KV; the
    rerun after it changes nothing."""
    kc = admin()
    kc.delete_client(kc.get_client_id("aegis-orchestrator"))
    repaired = converge()
    assert repaired.returncode == 0, repaired.stdout[-3000:]
    # The realm (client created, its service-account role granted) and the KV hand-over.
    assert changed_count(repaired) >= 2, repaired.stdout[-3000:]
    kv = bao().secrets.kv.v2.read_secret_version(path="aegis/keycloak/aegis-orchestrator", mount_point="secret",
                                                 raise_on_deleted_version=True)["data"]["data"]
    assert kv["client_secret"] == admin().get_client_secrets(admin().get_client_id("aegis-orchestrator"))["value"]
    token = KeycloakOpenID(server_url=URL, realm_name="aegis-system", client_id="aegis-orchestrator",
                           client_secret_key=kv["client_secret"]).token(grant_type="client_credentials")
    assert token["access_token"]
    assert kv["client_secret"] not in repaired.stdout + repaired.stderr
    again = converge()
    assert again.returncode == 0 and changed_count(again) == 0, again.stdout[-3000:]


IAM_ALONE = """
- name: The iam role alone (as with --tags iam), logging in with the deployer credential the secrets host keeps
  hosts: all
  gather_facts: false
  vars:
    aegis_profiles:
      iam_test: [database, secrets, iam]
    aegis_profile: iam_test
  tasks:
    - name: Deploy pod-iam
      ansible.builtin.include_role:
        name: aegis.platform.iam
"""


def test_the_iam_role_alone_hands_over_to_openbao_without_the_root_token(tmp_path):
    """A client secret removed from KV and the hand-over record gone: the iam role, run alone while the controller's
    init.json (the root token) is away, logs in with the deployer credential and writes KV and OIDC again."""
    path = "aegis/keycloak/aegis-temporal-worker"
    bao().secrets.kv.v2.delete_metadata_and_all_versions(path=path, mount_point="secret")
    os.remove("/etc/aegistest/receipts/aegistest-iam-handover.json")
    playbook = tmp_path / "iam_alone.yml"
    playbook.write_text(IAM_ALONE)
    init_file = os.path.join(SECRETS, "openbao", "init.json")
    os.rename(init_file, init_file + ".away")
    try:
        result = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(playbook)],
                                capture_output=True, text=True, check=False)
    finally:
        os.rename(init_file + ".away", init_file)
    assert result.returncode == 0, result.stdout[-3000:]
    kv = bao().secrets.kv.v2.read_secret_version(path=path, mount_point="secret",
                                                 raise_on_deleted_version=True)["data"]["data"]
    assert kv["client_id"] == "aegis-temporal-worker" and kv["client_secret"] not in result.stdout
    again = converge()
    assert again.returncode == 0 and changed_count(again) == 0, again.stdout[-3000:]
