"""aegis.platform.keycloak_realm against the Keycloak 24 emulator, run through ansible-playbook."""

from __future__ import annotations

from typing import Any, Dict

import aegis_system
from kc_support import (ADMIN_PASSWORD, ADMIN_USER, Emu, ModuleRunner, auth_args, client_entry, find_client,
                      full_args)

REALM = "aegis-system"
NOOP_BUDGET = 12


def sa_user(emu: Emu, client_id: str) -> Dict[str, Any]:
    client = find_client(emu, REALM, client_id)
    return next(u for u in emu.realm(REALM)["users"].values() if u.get("serviceAccountClientLink") == client["id"])


def role_names(emu: Emu, user: Dict[str, Any]) -> set:
    roles = emu.realm(REALM)["roles"]
    return {roles[r]["name"] for r in user["roles"]}


def test_first_run_creates_the_whole_realm(aegis_created: Dict[str, Any]) -> None:
    result = aegis_created["result"]
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    state = result["end_state"]
    assert state["exists"] and state["enabled"] and state["displayName"] == "AEGIS system"
    assert {"aegis:admin", "aegis:operator", "aegis:readonly"} <= set(state["roles"])
    assert set(aegis_system.RESOURCE_ACTION_SCOPES) <= set(state["client_scopes"])
    assert set(aegis_system.CONFIDENTIAL + ["aegis-cli"]) <= set(state["clients"])
    assert all(state["clients"][c] for c in aegis_system.CONFIDENTIAL)
    assert state["users"] == ["aegis-admin", "aegis-viewer"]
    assert sorted(result["client_secrets"]) == sorted(aegis_system.CONFIDENTIAL)
    assert all(len(s) >= 16 for s in result["client_secrets"].values())
    # the module counts exactly what the server saw
    assert result["requests"]["total"] == len(aegis_created["requests"])
    assert result["requests"]["writes"] == len(aegis_created["writes"])
    assert len(result["changes"]) == len(aegis_created["writes"])
    # secrets given as options never reach the output
    assert aegis_system.USER_PASSWORD not in aegis_created["stdout"]
    assert ADMIN_PASSWORD not in aegis_created["stdout"]


def test_first_run_state_matches_the_description(aegis: Emu) -> None:
    realm = aegis.realm(REALM)
    cli = find_client(aegis, REALM, "aegis-cli")
    assert cli["publicClient"] and not cli["standardFlowEnabled"] and cli["protocol"] == "openid-connect"
    assert cli["attributes"]["oauth2.device.authorization.grant.enabled"] == "true"
    optional = {realm["scopes"][s]["name"] for s in cli["scopes"]["optional"]}
    assert optional == set(aegis_system.RESOURCE_ACTION_SCOPES) | {"offline_access"}
    default = {realm["scopes"][s]["name"] for s in cli["scopes"]["default"]}
    assert default == {"web-origins", "acr", "profile", "roles", "email"}
    worker = find_client(aegis, REALM, "aegis-temporal-worker")
    audience = next(m for m in worker["protocolMappers"] if m["name"] == "aegis-orchestrator-audience")
    assert audience["config"] == {"included.client.audience": "aegis-orchestrator", "id.token.claim": "false",
                                  "access.token.claim": "true"}
    assert role_names(aegis, sa_user(aegis, "aegis-orchestrator")) >= {"aegis:admin"}
    assert role_names(aegis, sa_user(aegis, "aegis-temporal-worker")) >= {"aegis:operator"}
    admin = next(u for u in realm["users"].values() if u["username"] == "aegis-admin")
    assert role_names(aegis, admin) == {"aegis:admin", "default-roles-aegis-system"}
    assert admin["credentials"], "initial password set"


def test_noop_run_makes_zero_writes_within_budget(aegis: Emu, aegis_created: Dict[str, Any],
                                                  run_module: ModuleRunner) -> None:
    aegis.clear_requests()
    result = run_module(full_args(aegis))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["changes"] == []
    assert aegis.writes() == []
    seen = aegis.requests()
    assert len(seen) <= NOOP_BUDGET, [(r["method"], r["path"]) for r in seen]
    assert result["requests"] == {"auth": 1, "reads": len(seen) - 1, "writes": 0, "total": len(seen)}
    assert result["client_secrets"] == aegis_created["result"]["client_secrets"]


def test_update_of_one_field_is_one_put_and_keeps_the_service_account(aegis: Emu, run_module: ModuleRunner) -> None:
    account_before = sa_user(aegis, "aegis-orchestrator")
    args = full_args(aegis)
    client_entry(args, "aegis-orchestrator")["description"] = "Orchestrator, new words"
    aegis.clear_requests()
    result = run_module(args)
    assert result["changed"] is True
    internal_id = find_client(aegis, REALM, "aegis-orchestrator")["id"]
    assert [(w["method"], w["path"]) for w in aegis.writes()] == [
        ("PUT", "/admin/realms/%s/clients/%s" % (REALM, internal_id))]
    assert result["changes"] == ["update client aegis-orchestrator: description: "
                                 "'AEGIS orchestrator runtime' -> 'Orchestrator, new words'"]
    # the full representation was sent: service account (same user id) and its role survive the PUT
    account_after = sa_user(aegis, "aegis-orchestrator")
    assert account_after["id"] == account_before["id"]
    assert "aegis:admin" in role_names(aegis, account_after)
    assert find_client(aegis, REALM, "aegis-orchestrator")["description"] == "Orchestrator, new words"


def test_check_mode_with_diff_writes_nothing_and_masks_secrets(aegis: Emu, run_module: ModuleRunner) -> None:
    state_before = aegis.save_state()
    args = full_args(aegis)
    openbao = client_entry(args, "aegis-openbao")
    openbao["redirect_uris"] = openbao["redirect_uris"] + ["https://bao.example/oidc/callback"]
    openbao["secret"] = "A-New-Openbao-Secret-777"
    args["users"][1]["realm_roles"] = ["aegis:operator"]
    aegis.clear_requests()
    result = run_module(args, check=True, diff=True)
    assert result["changed"] is True
    assert aegis.writes() == []
    assert aegis.save_state()["realms"] == state_before["realms"]
    assert any(c.startswith("update client aegis-openbao") and "secret changed (hidden)" in c
               for c in result["changes"])
    assert "grant aegis:operator to user aegis-viewer" in result["changes"]
    assert "revoke aegis:readonly from user aegis-viewer" in result["changes"]
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert before["clients"]["aegis-openbao"]["secret"] == "********"
    assert after["clients"]["aegis-openbao"]["secret"] == "******** (changed)"
    assert "https://bao.example/oidc/callback" in after["clients"]["aegis-openbao"]["redirectUris"]
    assert after["users"]["aegis-viewer"]["realmRoles"] == ["aegis:operator"]
    assert "A-New-Openbao-Secret-777" not in run_module.last_stdout
    real_secret = find_client(aegis, REALM, "aegis-openbao")["secret"]
    assert real_secret not in str(result["diff"])


def test_check_mode_on_a_missing_realm(emu: Emu, run_module: ModuleRunner) -> None:
    result = run_module(full_args(emu), check=True, diff=True)
    assert result["changed"] is True
    assert result["changes"][0] == "create realm aegis-system"
    assert emu.writes() == []
    assert [r["path"] for r in emu.requests()] == ["/realms/master/protocol/openid-connect/token",
                                                  "/admin/realms/aegis-system"]
    assert REALM not in emu.emulator.keycloak.state["realms"]


def test_state_absent_deletes_objects_then_the_realm(aegis: Emu, run_module: ModuleRunner) -> None:
    args = full_args(aegis)
    client_entry(args, "aegis-openbao")["state"] = "absent"
    args["users"][1]["state"] = "absent"
    args["roles"][2]["state"] = "absent"  # aegis:readonly, only aegis-viewer used it
    ids = {"client": find_client(aegis, REALM, "aegis-openbao")["id"],
           "user": next(u["id"] for u in aegis.realm(REALM)["users"].values() if u["username"] == "aegis-viewer")}
    aegis.clear_requests()
    result, again = run_module.many([args, args])
    assert result["changed"] is True
    assert sorted((w["method"], w["path"]) for w in aegis.writes()) == sorted([
        ("DELETE", "/admin/realms/%s/users/%s" % (REALM, ids["user"])),
        ("DELETE", "/admin/realms/%s/clients/%s" % (REALM, ids["client"])),
        ("DELETE", "/admin/realms/%s/roles/aegis%%3Areadonly" % REALM)])
    assert "aegis-openbao" not in result["client_secrets"]
    assert "aegis:readonly" not in result["end_state"]["roles"]
    assert again["changed"] is False and again["requests"]["writes"] == 0

    aegis.clear_requests()
    gone, gone_again = run_module.many([dict(auth_args(aegis), realm=REALM, state="absent")] * 2)
    assert gone["changed"] is True and gone["end_state"] == {"realm": REALM, "exists": False}
    assert gone_again["changed"] is False
    assert [(w["method"], w["path"]) for w in aegis.writes()] == [("DELETE", "/admin/realms/%s" % REALM)]
    assert REALM not in aegis.emulator.keycloak.state["realms"]


def test_purge_removes_only_undescribed_objects(aegis: Emu, run_module: ModuleRunner) -> None:
    kc = aegis.emulator.keycloak
    stray = kc.create_client(REALM, {"clientId": "stray-client", "protocol": "openid-connect"})
    kc.create_role(REALM, {"name": "stray-role"})
    aegis.clear_requests()
    result = run_module(full_args(aegis, purge=True))
    assert result["changed"] is True
    assert sorted((w["method"], w["path"]) for w in aegis.writes()) == sorted([
        ("DELETE", "/admin/realms/%s/clients/%s" % (REALM, stray)),
        ("DELETE", "/admin/realms/%s/roles/stray-role" % REALM)])
    assert {"account", "admin-cli", "realm-management"} <= set(result["end_state"]["clients"])
    assert {"offline_access", "default-roles-aegis-system"} <= set(result["end_state"]["roles"])


BAD_INPUT = [
    ("unknown_key", "clients[2] (aegis-openbao): unknown key redirect_uri (allowed: "),
    ("duplicate_client", "clients[4] (aegis-cli): duplicate client_id 'aegis-cli'"),
    ("undefined_scope", "clients[3] (aegis-cli): default_client_scopes references client scope 'openid', which "
                        "is not defined in client_scopes"),
    ("undefined_role", "users[1] (aegis-viewer): realm_roles references role 'aegis:auditor'"),
    ("unknown_setting", "settings.accessTokenLifeSpan: unknown or unsupported realm setting"),
]


def broken_args(emu: Emu, breakage: str) -> Dict[str, Any]:
    args = full_args(emu)
    if breakage == "unknown_key":
        client_entry(args, "aegis-openbao")["redirect_uri"] = ["http://typo/cb"]
    elif breakage == "duplicate_client":
        args["clients"].append({"client_id": "aegis-cli", "public_client": True})
    elif breakage == "undefined_scope":  # upstream's own bootstrap sends these names
        client_entry(args, "aegis-cli")["default_client_scopes"] = ["openid", "profile", "offline_access"]
        client_entry(args, "aegis-cli")["optional_client_scopes"] = aegis_system.RESOURCE_ACTION_SCOPES
    elif breakage == "undefined_role":
        args["users"][1]["realm_roles"] = ["aegis:auditor"]
    else:
        args["settings"]["accessTokenLifeSpan"] = 60
    return args


def test_bad_input_fails_before_any_request(aegis: Emu, run_module: ModuleRunner) -> None:
    aegis.clear_requests()
    results = run_module.many([broken_args(aegis, breakage) for breakage, _expected in BAD_INPUT])
    for (breakage, expected), result in zip(BAD_INPUT, results):
        assert result.get("failed") is True, breakage
        assert expected in result["msg"], (breakage, result["msg"])
    assert aegis.requests() == []  # not even a token request


def test_wrong_admin_password_fails_clearly(aegis: Emu, run_module: ModuleRunner) -> None:
    aegis.clear_requests()
    result = run_module(full_args(aegis, auth_password="Not-The-Password-31"))
    assert result.get("failed") is True
    assert result["msg"].startswith("Keycloak admin login failed for user %s at %s: check auth_username and "
                                    "auth_password" % (ADMIN_USER, aegis.url))
    assert "HTTP 401" in result["msg"]
    assert "Not-The-Password-31" not in run_module.last_stdout
    assert aegis.writes() == []
    assert result["requests"]["total"] == 1


def test_token_expiring_mid_run_is_renewed(emu: Emu, run_module: ModuleRunner) -> None:
    emu.emulator.config["token_max_uses"] = 7  # every token dies after seven admin calls
    result, rerun = run_module.many([full_args(emu), full_args(emu)])
    assert not result.get("failed"), result.get("msg")
    assert rerun["changed"] is False and rerun["requests"]["writes"] == 0
    seen = emu.requests()
    token_calls = [r for r in seen if r["path"].endswith("/openid-connect/token")]
    assert len(token_calls) > 5
    assert any(r["status"] == 401 for r in seen)  # the 401 -> log in again -> retry path was taken
    assert result["requests"]["auth"] + rerun["requests"]["auth"] == len(token_calls)
    assert result["requests"]["total"] + rerun["requests"]["total"] == len(seen)


def test_admin_login_with_client_credentials(aegis: Emu, run_module: ModuleRunner) -> None:
    automation, result = run_module.many([
        dict(auth_args(aegis), realm="master", clients=[
            {"client_id": "aegis-automation", "service_accounts_enabled": True, "standard_flow_enabled": False,
             "service_account_roles": ["admin"]}]),
        dict(full_args(aegis), auth_username=None, auth_password=None, auth_client_id="aegis-automation",
             auth_client_secret="{{ r0.client_secrets['aegis-automation'] }}"),
    ])
    assert automation["changed"] is True, automation.get("msg")
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False and result["requests"]["writes"] == 0
    token_calls = [r for r in aegis.requests() if r["path"].endswith("/openid-connect/token")]
    assert len(token_calls) == 2  # one per task: the second with client credentials


def test_python_keycloak_reads_back_what_the_module_wrote(aegis: Emu, aegis_created: Dict[str, Any]) -> None:
    from keycloak import KeycloakAdmin  # python-keycloak, an independent client of the same API

    admin = KeycloakAdmin(server_url=aegis.url + "/", username=ADMIN_USER, password=ADMIN_PASSWORD,
                          realm_name=REALM, user_realm_name="master")
    assert admin.get_realm(REALM)["displayName"] == "AEGIS system"
    roles = {r["name"]: r for r in admin.get_realm_roles()}
    assert {name: roles[name].get("description") for name in aegis_system.ROLES} == {
        name: "AEGIS %s role" % name for name in aegis_system.ROLES}
    scopes = {s["name"]: s for s in admin.get_client_scopes()}
    for name in aegis_system.RESOURCE_ACTION_SCOPES:
        assert scopes[name]["protocol"] == "openid-connect"
        assert scopes[name]["attributes"]["include.in.token.scope"] == "true"
        assert scopes[name]["attributes"]["display.on.consent.screen"] == "false"

    secrets = aegis_created["result"]["client_secrets"]
    for client_id in aegis_system.CONFIDENTIAL:
        internal_id = admin.get_client_id(client_id)
        assert admin.get_client_secrets(internal_id)["value"] == secrets[client_id]
    for client_id, role in (("aegis-orchestrator", "aegis:admin"), ("aegis-temporal-worker", "aegis:operator")):
        account = admin.get_client_service_account_user(admin.get_client_id(client_id))
        assert role in {r["name"] for r in admin.get_realm_roles_of_user(account["id"])}
    worker = admin.get_client_id("aegis-temporal-worker")
    audience = next(m for m in admin.get_mappers_from_client(worker) if m["protocolMapper"] == "oidc-audience-mapper")
    assert audience["config"]["included.client.audience"] == "aegis-orchestrator"

    cli = admin.get_client(admin.get_client_id("aegis-cli"))
    assert cli["publicClient"] is True and cli["attributes"]["oauth2.device.authorization.grant.enabled"] == "true"
    optional = {s["name"] for s in admin.get_client_optional_client_scopes(cli["id"])}
    assert optional == set(aegis_system.RESOURCE_ACTION_SCOPES) | {"offline_access"}
    assert "secret" not in cli

    users = {u["username"]: u for u in admin.get_users()}
    assert sorted(users) == ["aegis-admin", "aegis-viewer"]  # service accounts are not listed
    assert users["aegis-admin"]["email"] == "admin@aegis.example" and users["aegis-admin"]["emailVerified"]
    assert {r["name"] for r in admin.get_realm_roles_of_user(users["aegis-viewer"]["id"])} >= {"aegis:readonly"}
    members = {u["username"] for u in admin.get_realm_role_members("aegis:admin")}
    assert members == {"aegis-admin", "service-account-aegis-orchestrator"}

    # a token for the realm's own service account works and carries the audience mapper's claim
    from keycloak import KeycloakOpenID
    oidc = KeycloakOpenID(server_url=aegis.url + "/", realm_name=REALM, client_id="aegis-temporal-worker",
                          client_secret_key=secrets["aegis-temporal-worker"])
    token = oidc.token(grant_type="client_credentials")
    claims = oidc.decode_token(token["access_token"])  # verified against the realm's JWKS
    assert "aegis-orchestrator" in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])
    assert "aegis:operator" in claims["realm_access"]["roles"]
