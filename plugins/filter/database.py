# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""database_catalog, database_roles: the database role's databases and login roles from its settings. Filters, not
template lookups: a template lookup copies every variable of the host, and the validation and the receipt read
these several times per run."""

from __future__ import annotations


def database_catalog(databases, superuser) -> list:
    """The superuser's `aegis` database first, then the configured ones, each with its owner (default: its name)."""
    catalog = [{"name": "aegis", "owner": superuser}]
    for database in databases or []:
        name = database.get("name", "")
        catalog.append({"name": name, "owner": database.get("owner") or database.get("name", "")})
    return catalog


def database_roles(catalog: list, exporter_user) -> list:
    """Every owner of the catalog once, in order, then the exporter's login role (member of pg_monitor)."""
    owners = []
    for database in catalog:
        if database["owner"] not in owners:
            owners.append(database["owner"])
    return [{"name": owner} for owner in owners] + [{"name": exporter_user, "member_of": ["pg_monitor"]}]


class FilterModule:
    def filters(self):
        return {"database_catalog": database_catalog, "database_roles": database_roles}
