"""database_catalog and database_roles: the databases and login roles the database role creates."""
from ansible_collections.aegis.platform.plugins.filter.database import database_catalog, database_roles


def test_the_aegis_database_first_and_owners_default_to_the_database_name():
    catalog = database_catalog([{"name": "app"}, {"name": "audit", "owner": "app"}, {"name": "keycloak", "owner": None},
                                {"name": "temporal", "owner": ""}], "aegis")
    assert catalog == [{"name": "aegis", "owner": "aegis"}, {"name": "app", "owner": "app"},
                       {"name": "audit", "owner": "app"}, {"name": "keycloak", "owner": "keycloak"},
                       {"name": "temporal", "owner": "temporal"}]


def test_no_databases_configured():
    assert database_catalog([], "root") == [{"name": "aegis", "owner": "root"}]
    assert database_catalog(None, "root") == [{"name": "aegis", "owner": "root"}]


def test_a_database_without_a_name_is_kept_for_the_validation_to_name_it():
    assert database_catalog([{"owner": "x"}, {}], "aegis")[1:] == [{"name": "", "owner": "x"}, {"name": "", "owner": ""}]


def test_every_owner_once_in_order_then_the_exporter():
    catalog = database_catalog([{"name": "app"}, {"name": "audit", "owner": "app"}, {"name": "aegis2", "owner": "aegis"}],
                               "aegis")
    assert database_roles(catalog, "postgres_exporter") == [
        {"name": "aegis"}, {"name": "app"}, {"name": "postgres_exporter", "member_of": ["pg_monitor"]}]
