#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: postgres_databases
short_description: Converge PostgreSQL login roles, their passwords and databases inside a podman container
version_added: "0.1.0"
description:
  - Reads all roles and databases in one query and applies only what differs, through C(psql) run with
    C(podman exec) in the database container (nothing to install on the host, no published port needed).
  - Passwords never reach the server or a log in clear text; they are sent as SCRAM-SHA-256 verifiers, and a
    password counts as changed only when the stored verifier does not match it.
  - Runs on every converge, so adding a database to the list on an existing volume creates it.
author:
  - AEGIS platform engineers (@aegis-platform)
extends_documentation_fragment:
  - aegis.platform.attributes
attributes:
  check_mode:
    support: full
    details: Reads the roles and databases and reports the same C(changed) and C(actions) without running them.
  diff_mode:
    support: partial
    details: Before and after hold the databases and their owners; roles and passwords are left out.
options:
  container:
    description: Name of the running PostgreSQL container.
    type: str
    required: true
  admin_user:
    description: Superuser that C(psql) connects as over the local socket (peer authentication).
    type: str
    default: postgres
  port:
    description: Port the server listens on; C(psql) connects to the local socket of that port.
    type: int
    default: 5432
  os_user:
    description: Container user C(psql) runs as.
    type: str
    default: postgres
  roles:
    description: Login roles.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Role name (lower-case identifier).
        type: str
        required: true
      member_of:
        description: Roles this role is granted (e.g. C(pg_monitor)).
        type: list
        elements: str
        default: []
  passwords:
    description: Password of each role, by role name. Roles without one get no password (cannot log in over the network).
    type: dict
    default: {}
  databases:
    description: Databases and their owners.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Database name (lower-case identifier).
        type: str
        required: true
      owner:
        description: Owning role; defaults to the database name.
        type: str
"""

EXAMPLES = r"""
- name: Databases of the platform, each owned by a role of the same name
  aegis.platform.postgres_databases:
    container: aegis-database-postgres
    admin_user: aegis
    roles:
      - name: temporal
      - name: keycloak
    passwords:
      temporal: "{{ temporal_password }}"
      keycloak: "{{ keycloak_password }}"
    databases:
      - name: temporal
      - name: keycloak
  no_log: false
"""

RETURN = r"""
actions:
  description: What was done (or would be done in check mode); never contains a secret.
  returned: always
  type: list
  elements: str
  sample: ["role keycloak created", "database keycloak created"]
databases:
  description: Every database and its owner after the run.
  returned: always
  type: dict
  sample: {"keycloak": "keycloak"}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.aegis.platform.plugins.module_utils import postgres


def psql(module: AnsibleModule, sql: str) -> str:
    podman = module.get_bin_path("podman", required=True)
    args = [podman, "exec", "-i", "--user", module.params["os_user"], module.params["container"],
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-U", module.params["admin_user"], "-d", "postgres",
            "-p", str(module.params["port"])]
    rc, out, err = module.run_command(args, data=sql, binary_data=True)
    if rc != 0:
        # psql echoes the failing statement; a password verifier could be in it, so only the first line is kept.
        first = (err.strip().splitlines() or ["(no output)"])[0]
        module.fail_json(msg="psql in %s failed (rc=%s): %s" % (module.params["container"], rc, first))
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            container=dict(type="str", required=True),
            admin_user=dict(type="str", default="postgres"),
            port=dict(type="int", default=5432),
            os_user=dict(type="str", default="postgres"),
            roles=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                member_of=dict(type="list", elements="str", default=[]),
            )),
            passwords=dict(type="dict", default={}, no_log=True),
            databases=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                owner=dict(type="str"),
            )),
        ),
        supports_check_mode=True,
    )
    roles = module.params["roles"]
    databases = [dict(name=db["name"], owner=db["owner"] or db["name"]) for db in module.params["databases"]]
    passwords = module.params["passwords"]
    invalid = postgres.invalid_names(roles, databases)
    if invalid:
        module.fail_json(msg="invalid role or database names (lower-case letters, digits, _): %s" % ", ".join(invalid))
    unknown = sorted(set(passwords) - {role["name"] for role in roles})
    if unknown:
        module.fail_json(msg="passwords given for roles that are not in roles: %s" % ", ".join(unknown))

    state = module.from_json(psql(module, postgres.state_query([role["name"] for role in roles])))
    steps = postgres.plan(roles, databases, passwords, state)
    actions = [step[0] for step in steps]
    if steps and not module.check_mode:
        psql(module, "\n".join(step[1] for step in steps))
    after = dict(state["databases"])
    after.update({db["name"]: db["owner"] for db in databases})
    module.exit_json(changed=bool(steps), actions=actions, databases=after,
                     diff={"before": {"databases": state["databases"]}, "after": {"databases": after}})


if __name__ == "__main__":
    main()
