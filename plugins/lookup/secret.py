# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: secret
short_description: A generated secret, created once on the controller and reused on every run
version_added: "0.1.0"
description:
  - Returns the content of C(<dir>/<name>). When the file does not exist, a random secret is generated and written
    there first; the directory is created with mode 0700 and the file with mode 0600 (exclusive create, so two
    parallel runs never disagree).
  - Use it for secrets that are generated per deployment; values given in inventory or vault take precedence in
    the roles that use this lookup.
author:
  - AEGIS platform engineers (@aegis-platform)
options:
  _terms:
    description: Names of the secrets, relative to O(dir) (may contain one level of subdirectory).
    required: true
    type: list
    elements: str
  dir:
    description: Directory of the generated secrets (C(aegis_secrets_dir)).
    type: path
    required: true
  length:
    description: Length of a generated secret.
    type: int
    default: 32
  create:
    description:
      - Whether a missing secret is generated. V(false) makes a missing one an error that names it, for a deployment
        that already exists (a new value would no longer match the one its servers hold); a list allows exactly
        those names (the ones a rotation renews).
      - C(site.yml) sets it once the deployment exists, after it restored the values kept in OpenBao.
    type: raw
    default: true
    vars:
      - name: __aegis_secrets_create
"""

EXAMPLES = r"""
- name: Database password, generated once
  ansible.builtin.set_fact:
    db_password: "{{ lookup('aegis.platform.secret', 'database/aegis', dir=aegis_secrets_dir) }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: The secrets, in the order of the terms.
  type: list
  elements: str
"""

import os
import secrets
import string
import tempfile

from ansible.errors import AnsibleLookupError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.lookup import LookupBase

ALPHABET = string.ascii_letters + string.digits


def read(path: str) -> str:
    with open(path, encoding="utf-8") as existing:
        return existing.read().rstrip("\n")


def may_create(create, name: str) -> bool:
    """``create`` is a boolean or the list of names that may be generated."""
    if isinstance(create, (list, tuple)):
        return name in create
    return boolean(create, strict=False)


def read_or_create(directory: str, name: str, length: int, create=True) -> str:
    path = os.path.normpath(os.path.join(directory, name))
    if not path.startswith(os.path.normpath(directory) + os.sep):
        raise AnsibleLookupError("secret name %r leaves the secrets directory" % name)
    if os.path.exists(path):
        return read(path)
    if not may_create(create, name):
        raise AnsibleLookupError(
            "the generated secret %s is missing from %s, and this deployment already exists: a new value would not "
            "match the one its servers hold. Restore it (a copy of that directory, or OpenBao unsealed so that "
            "site.yml reads it back), or give the value as an inventory/vault variable" % (name, directory))
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    # Hosts template in parallel worker processes: the file appears whole (a hard link of a complete temporary
    # file) or not at all, so a concurrent reader never sees it empty, and the first link wins.
    value = "".join(secrets.choice(ALPHABET) for dummy in range(length))
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".new-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as created:
            created.write(value + "\n")
        os.link(temporary, path)
    except FileExistsError:
        return read(path)
    finally:
        os.unlink(temporary)
    return value


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        directory = os.path.expanduser(self.get_option("dir"))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)
        return [read_or_create(directory, term, self.get_option("length"), self.get_option("create")) for term in terms]
