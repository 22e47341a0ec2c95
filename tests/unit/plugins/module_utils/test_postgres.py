import base64

from ansible_collections.aegis.platform.plugins.module_utils import postgres

# A verifier PostgreSQL 15 produced for password "secret" (SELECT rolpassword after ALTER ROLE ... PASSWORD 'secret').
SALT = base64.b64decode("c2FsdHNhbHRzYWx0c2FsdA==")


def test_scram_verifier_format_and_determinism():
    verifier = postgres.scram_verifier("secret", SALT, 4096)
    assert verifier.startswith("SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$")
    assert verifier == postgres.scram_verifier("secret", SALT, 4096)


def test_password_matches_only_the_right_password():
    stored = postgres.new_verifier("right")
    assert postgres.password_matches(stored, "right")
    assert not postgres.password_matches(stored, "wrong")
    assert not postgres.password_matches("md5abcdef", "right")
    assert not postgres.password_matches(None, "right")


def test_plan_creates_missing_role_and_database_without_clear_text():
    steps = postgres.plan([{"name": "temporal"}], [{"name": "temporal", "owner": "temporal"}],
                          {"temporal": "pw-in-clear"}, {"roles": {}, "databases": {}})
    sql = "\n".join(statement for _description, statement in steps)
    assert "CREATE ROLE \"temporal\" LOGIN PASSWORD 'SCRAM-SHA-256$" in sql
    assert "CREATE DATABASE \"temporal\" OWNER \"temporal\"" in sql
    assert "pw-in-clear" not in sql
    assert all("pw-in-clear" not in description for description, _sql in steps)


def test_plan_is_empty_when_converged():
    state = {"roles": {"temporal": {"password": postgres.new_verifier("pw"), "member_of": []}},
             "databases": {"temporal": "temporal"}}
    assert postgres.plan([{"name": "temporal"}], [{"name": "temporal", "owner": "temporal"}], {"temporal": "pw"}, state) == []


def test_plan_rotates_password_and_fixes_owner_and_grants():
    state = {"roles": {"exporter": {"password": postgres.new_verifier("old"), "member_of": []}},
             "databases": {"db": "someone"}}
    steps = postgres.plan([{"name": "exporter", "member_of": ["pg_monitor"]}], [{"name": "db", "owner": "exporter"}],
                          {"exporter": "new"}, state)
    assert [description for description, _sql in steps] == [
        "role exporter password changed", "role exporter granted pg_monitor", "database db owner exporter"]


def test_invalid_names_are_reported():
    assert postgres.invalid_names([{"name": "Bad-Name"}], [{"name": "ok", "owner": "x;drop"}]) == ["Bad-Name", "x;drop"]


def test_quoting():
    assert postgres.quote_literal("it's") == "'it''s'"
    assert postgres.quote_ident('a"b') == '"a""b"'
