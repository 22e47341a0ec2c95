"""aegis.platform.keycloak_realm against real Keycloak 24 (the distribution the local image is built from), run
through ansible-playbook; a recording proxy counts the requests the server saw."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

import aegis_system
from kc_support import (ADMIN_PASSWORD, ADMIN_USER, ModuleRunner, Server, auth_args, client_entry, find_client,
                        find_user, full_args)

REALM = "aegis-system"
NOOP_BUDGET = 12


def sa_user(kc: Server, client_id: str) -> Dict[str, Any]:
    return kc.api("GET", "/%s/clients/%s/service-account-user" % (REALM, find_client(kc, REALM, client_id)["id"]))


def role_names(kc: Server, user: Dict[str, Any]) -> set:
    return {r["name"] for r in kc.api("GET", "/%s/users/%s/role-mappings/realm" % (REALM, user["id"]))}


def scope_names(kc: Server, client: Dict[str, Any], kind: str) -> set:
    return {s["name"] for s in kc.api("GET", "/%s/clients/%s/%s-client-scopes" % (REALM, client["id"], kind))}


def write_list(kc: Server) -> List[tuple]:
    return [(w["method"], w["path"]) for w in kc.writes()]


def test_first_run_creates_the_whole_realm(aegis: Server) -> None:
    created = aegis.created
    result = created["result"]
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
    assert result["requests"]["total"] == len(created["requests"])
    assert result["requests"]["writes"] == len(created["writes"])
    # no request was refused, beyond the realm's own 404 that says it is missing
    refused = [(r["method"], r["path"], r["status"]) for r in created["requests"] if r["status"] >= 400]
    assert refused == [("GET", "/admin/realms/aegis-system", 404)]
    # secrets given as options never reach the output
    assert aegis_system.USER_PASSWORD not in created["stdout"]
    assert ADMIN_PASSWORD not in created["stdout"]


def test_first_run_state_matches_the_description(aegis: Server) -> None:
    cli = find_client(aegis, REALM, "aegis-cli")
    assert cli["publicClient"] and not cli["standardFlowEnabled"] and cli["protocol"] == "openid-connect"
    assert cli["attributes"]["oauth2.device.authorization.grant.enabled"] == "true"
    assert scope_names(aegis, cli, "optional") == set(aegis_system.RESOURCE_ACTION_SCOPES) | {"offline_access"}
    assert scope_names(aegis, cli, "default") == {"web-origins", "acr", "profile", "roles", "email"}
    worker = find_client(aegis, REALM, "aegis-temporal-worker")
    audience = next(m for m in worker["protocolMappers"] if m["name"] == "aegis-orchestrator-audience")
    # Keycloak adds the mapper's other defaults (userinfo.token.claim); the described keys are as given
    assert audience["config"].items() >= {"included.client.audience": "aegis-orchestrator", "id.token.claim": "false",
                                          "access.token.claim": "true"}.items()
    assert role_names(aegis, sa_user(aegis, "aegis-orchestrator")) >= {"aegis:admin"}
    assert role_names(aegis, sa_user(aegis, "aegis-temporal-worker")) >= {"aegis:operator"}
    admin = find_user(aegis, REALM, "aegis-admin")
    assert role_names(aegis, admin) == {"aegis:admin", "default-roles-aegis-system"}
    assert aegis.api("GET", "/%s/users/%s/credentials" % (REALM, admin["id"])), "initial password set"


def test_noop_run_makes_zero_writes_within_budget(aegis: Server, run_module: ModuleRunner) -> None:
    result = run_module(full_args(aegis))
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["changes"] == []
    assert aegis.writes() == []
    seen = aegis.requests()
    assert len(seen) <= NOOP_BUDGET, [(r["method"], r["path"]) for r in seen]
    assert result["requests"] == {"auth": 1, "reads": len(seen) - 1, "writes": 0, "total": len(seen)}
    assert result["client_secrets"] == aegis.created["result"]["client_secrets"]
    print("\nfirst converge: %s; no-op: %s" % (aegis.created["result"]["requests"], result["requests"]))


def test_update_of_one_field_is_one_put_and_keeps_the_service_account(aegis: Server, run_module: ModuleRunner) -> None:
    account_before = sa_user(aegis, "aegis-orchestrator")
    args = full_args(aegis)
    client_entry(args, "aegis-orchestrator")["description"] = "Orchestrator, new words"
    result = run_module(args)
    assert result["changed"] is True
    internal_id = find_client(aegis, REALM, "aegis-orchestrator")["id"]
    assert write_list(aegis) == [("PUT", "/admin/realms/%s/clients/%s" % (REALM, internal_id))]
    assert result["changes"] == ["update client aegis-orchestrator: description: "
                                 "'AEGIS orchestrator runtime' -> 'Orchestrator, new words'"]
    # the full representation was sent: service account (same user id) and its role survive the PUT
    account_after = sa_user(aegis, "aegis-orchestrator")
    assert account_after["id"] == account_before["id"]
    assert "aegis:admin" in role_names(aegis, account_after)
    assert find_client(aegis, REALM, "aegis-orchestrator")["description"] == "Orchestrator, new words"


def test_check_mode_with_diff_writes_nothing_and_masks_secrets(aegis: Server, run_module: ModuleRunner) -> None:
    state_before = aegis.snapshot(REALM)
    args = full_args(aegis)
    openbao = client_entry(args, "aegis-openbao")
    openbao["redirect_uris"] = openbao["redirect_uris"] + ["https://bao.example/oidc/callback"]
    openbao["secret"] = "A-New-Openbao-Secret-777"
    args["users"][1]["realm_roles"] = ["aegis:operator"]
    result = run_module(args, check=True, diff=True)
    assert result["changed"] is True
    assert aegis.writes() == []
    assert aegis.snapshot(REALM) == state_before
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
    real_secret = aegis.created["result"]["client_secrets"]["aegis-openbao"]
    assert real_secret not in str(result["diff"])


def test_check_mode_on_a_missing_realm(kc: Server, run_module: ModuleRunner) -> None:
    result = run_module(full_args(kc), check=True, diff=True)
    assert result["changed"] is True
    assert result["changes"][0] == "create realm aegis-system"
    assert kc.writes() == []
    assert [r["path"] for r in kc.requests()] == ["/realms/master/protocol/openid-connect/token",
                                                  "/admin/realms/aegis-system"]
    assert not kc.realm_exists(REALM)


def test_state_absent_deletes_objects_then_the_realm(aegis: Server, run_module: ModuleRunner) -> None:
    args = full_args(aegis)
    client_entry(args, "aegis-openbao")["state"] = "absent"
    args["users"][1]["state"] = "absent"
    args["roles"][2]["state"] = "absent"  # aegis:readonly, only aegis-viewer used it
    ids = {"client": find_client(aegis, REALM, "aegis-openbao")["id"],
           "user": find_user(aegis, REALM, "aegis-viewer")["id"]}
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
    assert write_list(aegis) == [("DELETE", "/admin/realms/%s" % REALM)]
    assert not aegis.realm_exists(REALM)


def test_purge_removes_only_undescribed_objects(aegis: Server, run_module: ModuleRunner) -> None:
    stray = aegis.api("POST", "/%s/clients" % REALM, {"clientId": "stray-client", "protocol": "openid-connect"})
    aegis.api("POST", "/%s/roles" % REALM, {"name": "stray-role"})
    result = run_module(full_args(aegis, purge=True))
    assert result["changed"] is True
    assert sorted((w["method"], w["path"]) for w in aegis.writes()) == sorted([
        ("DELETE", "/admin/realms/%s/clients/%s" % (REALM, stray)),
        ("DELETE", "/admin/realms/%s/roles/stray-role" % REALM)])
    assert {"account", "admin-cli", "realm-management"} <= set(result["end_state"]["clients"])
    assert {"offline_access", "default-roles-aegis-system"} <= set(result["end_state"]["roles"])


BAD_INPUT = [
    # Ansible's own check against the argument spec
    ("unknown_key", "Unsupported parameters for (aegis.platform.keycloak_realm) module: clients.redirect_uri. "
                    "Supported parameters include: "),
    ("duplicate_client", "clients[4] (aegis-cli): duplicate client_id 'aegis-cli'"),
    ("undefined_scope", "clients[3] (aegis-cli): default_client_scopes references client scope 'openid', which "
                        "is not defined in client_scopes"),
    ("undefined_role", "users[1] (aegis-viewer): realm_roles references role 'aegis:auditor'"),
    ("unknown_setting", "settings.accessTokenLifeSpan: unknown or unsupported realm setting"),
]


def broken_args(kc: Server, breakage: str) -> Dict[str, Any]:
    args = full_args(kc)
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


def test_bad_input_fails_before_any_request(kc: Server, run_module: ModuleRunner) -> None:
    results = run_module.many([broken_args(kc, breakage) for breakage, _expected in BAD_INPUT])
    for (breakage, expected), result in zip(BAD_INPUT, results):
        assert result.get("failed") is True, breakage
        assert expected in result["msg"], (breakage, result["msg"])
    assert kc.requests() == []  # not even a token request


def test_wrong_admin_password_fails_clearly(kc: Server, run_module: ModuleRunner) -> None:
    result = run_module(full_args(kc, auth_password="Not-The-Password-31"))
    assert result.get("failed") is True
    assert result["msg"].startswith("Keycloak admin login failed for user %s at %s: check auth_username and "
                                    "auth_password" % (ADMIN_USER, kc.url))
    assert "HTTP 401" in result["msg"]
    assert "Not-The-Password-31" not in run_module.last_stdout
    assert kc.writes() == []
    assert result["requests"]["total"] == 1


def test_token_expiring_mid_run_is_renewed(kc: Server, run_module: ModuleRunner) -> None:
    lifespan = kc.api("GET", "/master")["accessTokenLifespan"]
    kc.api("PUT", "/master", {"accessTokenLifespan": 1})  # admin tokens die a second after they are issued
    try:
        result, rerun = run_module.many([full_args(kc), full_args(kc)])
    finally:
        kc.api("PUT", "/master", {"accessTokenLifespan": lifespan})
    assert not result.get("failed"), result.get("msg")
    assert rerun["changed"] is False and rerun["requests"]["writes"] == 0
    seen = kc.requests()
    token_calls = [r for r in seen if r["path"].endswith("/openid-connect/token")]
    # renewed ahead of expiry from expires_in (Keycloak's whole-second exp may still refuse one: then the 401
    # path logs in again; tests/unit/plugins/module_utils/test_keycloak_client.py covers that path on its own)
    assert len(token_calls) > 2
    assert result["requests"]["auth"] + rerun["requests"]["auth"] == len(token_calls)
    assert result["requests"]["total"] + rerun["requests"]["total"] == len(seen)


def test_admin_login_with_client_credentials(aegis: Server, run_module: ModuleRunner) -> None:
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


def test_python_keycloak_reads_back_what_the_module_wrote(aegis: Server) -> None:
    from keycloak import KeycloakAdmin  # python-keycloak, an independent client of the same API

    admin = KeycloakAdmin(server_url=aegis.keycloak.url + "/", username=ADMIN_USER, password=ADMIN_PASSWORD,
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

    secrets = aegis.created["result"]["client_secrets"]
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
    oidc = KeycloakOpenID(server_url=aegis.keycloak.url + "/", realm_name=REALM, client_id="aegis-temporal-worker",
                          client_secret_key=secrets["aegis-temporal-worker"])
    token = oidc.token(grant_type="client_credentials")
    claims = oidc.decode_token(token["access_token"])  # verified against the realm's JWKS
    assert "aegis-orchestrator" in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]])
    assert "aegis:operator" in claims["realm_access"]["roles"]


def _delete_client(kc: Server) -> None:
    kc.api("DELETE", "/%s/clients/%s" % (REALM, find_client(kc, REALM, "aegis-orchestrator")["id"]))


def _rename_scope(kc: Server) -> None:
    scope = next(s for s in kc.api("GET", "/%s/client-scopes" % REALM) if s["name"] == "agent:deploy")
    kc.api("PUT", "/%s/client-scopes/%s" % (REALM, scope["id"]), dict(scope, name="agent:deploy-renamed"))


def _change_mapper(kc: Server) -> None:
    worker = find_client(kc, REALM, "aegis-temporal-worker")
    mapper = next(m for m in worker["protocolMappers"] if m["name"] == "aegis-orchestrator-audience")
    mapper["config"]["included.client.audience"] = "account"
    kc.api("PUT", "/%s/clients/%s/protocol-mappers/models/%s" % (REALM, worker["id"], mapper["id"]), mapper)


def _remove_role(kc: Server) -> None:
    kc.api("DELETE", "/%s/roles/aegis%%3Aoperator" % REALM)


def _regenerate_secret(kc: Server) -> None:
    kc.api("POST", "/%s/clients/%s/client-secret" % (REALM, find_client(kc, REALM, "aegis-openbao")["id"]))


def _described_state_holds(kc: Server) -> None:
    assert find_client(kc, REALM, "aegis-orchestrator")["serviceAccountsEnabled"] is True
    assert role_names(kc, sa_user(kc, "aegis-orchestrator")) >= {"aegis:admin"}
    assert role_names(kc, sa_user(kc, "aegis-temporal-worker")) >= {"aegis:operator"}
    cli = find_client(kc, REALM, "aegis-cli")
    assert set(aegis_system.RESOURCE_ACTION_SCOPES) <= scope_names(kc, cli, "optional")
    worker = find_client(kc, REALM, "aegis-temporal-worker")
    audience = next(m for m in worker["protocolMappers"] if m["name"] == "aegis-orchestrator-audience")
    assert audience["config"]["included.client.audience"] == "aegis-orchestrator"


DRIFT = {"client deleted": _delete_client, "scope renamed": _rename_scope, "mapper changed": _change_mapper,
         "role removed": _remove_role, "client secret regenerated": _regenerate_secret}


@pytest.mark.parametrize("drift", sorted(DRIFT))
def test_drift_made_by_hand_is_repaired_in_one_call(aegis: Server, run_module: ModuleRunner, drift: str) -> None:
    DRIFT[drift](aegis)
    repair, again = run_module.many([full_args(aegis), full_args(aegis)])
    assert not repair.get("failed"), repair.get("msg")
    assert again["changed"] is False and again["requests"]["writes"] == 0, again["changes"]
    _described_state_holds(aegis)
    secrets = {c: aegis.api("GET", "/%s/clients/%s/client-secret" % (REALM, find_client(aegis, REALM, c)["id"]))
               ["value"] for c in aegis_system.CONFIDENTIAL}
    assert repair["client_secrets"] == secrets  # what the hand-over passes on is the server's current secret
    if drift == "client secret regenerated":
        # not a drift of the description (it declares no secret): nothing to write, the new value is handed over
        assert repair["changed"] is False
        assert secrets["aegis-openbao"] != aegis.created["result"]["client_secrets"]["aegis-openbao"]
    else:
        assert repair["changed"] is True and repair["requests"]["writes"] >= 1
    if drift == "scope renamed":  # an object the description does not declare stays (purge=true removes it)
        assert "agent:deploy-renamed" in {s["name"] for s in aegis.api("GET", "/%s/client-scopes" % REALM)}
    print("\n%s: %s" % (drift, repair["requests"]), repair["changes"])
