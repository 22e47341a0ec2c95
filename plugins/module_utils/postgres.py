# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of `aegis.platform.postgres_databases`: SCRAM verifiers, the plan and its SQL.

Passwords never reach the server in clear text: we send SCRAM-SHA-256 verifiers (PostgreSQL stores a verifier
it is given as is), and we decide whether a password changed by recomputing the stored verifier from the
desired password and the stored salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SCRAM_ITERATIONS = 4096


def scram_verifier(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> str:
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, _b64(salt), _b64(stored_key), _b64(server_key))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def new_verifier(password: str) -> str:
    return scram_verifier(password, os.urandom(16))


def password_matches(stored, password: str) -> bool:
    """Whether a stored pg_authid.rolpassword is the SCRAM verifier of password (md5 or clear text never is)."""
    match = re.match(r"^SCRAM-SHA-256\$(\d+):([^$]+)\$", stored or "")
    if not match:
        return False
    expected = scram_verifier(password, base64.b64decode(match.group(2)), int(match.group(1)))
    return hmac.compare_digest(expected, stored)


def quote_ident(name: str) -> str:
    return '"%s"' % name.replace('"', '""')


def quote_literal(value: str) -> str:
    return "'%s'" % value.replace("'", "''")


def invalid_names(roles: list, databases: list) -> list:
    names = [role["name"] for role in roles] + [db["name"] for db in databases] + [db["owner"] for db in databases]
    return sorted({name for name in names if not IDENTIFIER.match(name or "")})


def plan(roles: list, databases: list, passwords: dict, state: dict) -> list:
    """Steps to converge. state: {"roles": {name: {"password": str|None, "member_of": [..]}},
    "databases": {name: owner}}. Returns [(description, sql)]; descriptions never hold secrets."""
    steps = []
    have_roles = state.get("roles") or {}
    for role in roles:
        name = role["name"]
        password = passwords.get(name)
        current = have_roles.get(name)
        if current is None:
            clause = " PASSWORD %s" % quote_literal(new_verifier(password)) if password else ""
            steps.append(("role %s created" % name, "CREATE ROLE %s LOGIN%s;" % (quote_ident(name), clause)))
        elif password and not password_matches(current.get("password"), password):
            steps.append(("role %s password changed" % name,
                          "ALTER ROLE %s PASSWORD %s;" % (quote_ident(name), quote_literal(new_verifier(password)))))
        for group in role.get("member_of") or []:
            if current is None or group not in (current.get("member_of") or []):
                steps.append(("role %s granted %s" % (name, group), "GRANT %s TO %s;" % (quote_ident(group), quote_ident(name))))
    have_dbs = state.get("databases") or {}
    for db in databases:
        name, owner = db["name"], db["owner"]
        if name not in have_dbs:
            steps.append(("database %s created" % name, "CREATE DATABASE %s OWNER %s;" % (quote_ident(name), quote_ident(owner))))
            steps.append(("database %s closed to PUBLIC" % name, "REVOKE ALL ON DATABASE %s FROM PUBLIC;" % quote_ident(name)))
        elif have_dbs[name] != owner:
            steps.append(("database %s owner %s" % (name, owner), "ALTER DATABASE %s OWNER TO %s;" % (quote_ident(name), quote_ident(owner))))
    return steps


def state_query(role_names: list) -> str:
    """One SQL statement returning the current roles (with SCRAM verifiers and memberships) and databases as JSON."""
    names = ", ".join(quote_literal(name) for name in role_names) or "NULL"
    return (
        "SELECT json_build_object("
        "'roles', (SELECT coalesce(json_object_agg(a.rolname, json_build_object('password', a.rolpassword,"
        " 'member_of', (SELECT coalesce(json_agg(g.rolname), '[]'::json) FROM pg_auth_members m"
        " JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = a.oid))), '{}'::json)"
        " FROM pg_authid a WHERE a.rolname IN (%s)),"
        "'databases', (SELECT coalesce(json_object_agg(datname, pg_get_userbyid(datdba)), '{}'::json) FROM pg_database));"
        % names
    )
