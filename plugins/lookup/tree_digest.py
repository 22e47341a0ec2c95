# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: tree_digest
short_description: Content digest of a directory tree on the controller
version_added: "0.1.0"
description:
  - Returns a short SHA-256 digest over the relative paths, modes and contents of every file below each given
    directory. The images role labels each built image with it and rebuilds only when it changes.
author:
  - AEGIS platform engineers (@aegis-platform)
options:
  _terms:
    description: Directories.
    required: true
    type: list
    elements: path
"""

EXAMPLES = r"""
- name: Digest of a build context
  ansible.builtin.debug:
    msg: "{{ lookup('aegis.platform.tree_digest', role_path ~ '/files/containerfiles/postgres') }}"
"""

RETURN = r"""
_raw:
  description: One 16-character hex digest per directory.
  type: list
  elements: str
"""

import hashlib
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.aegis.platform.plugins.module_utils.digests import SIZE


def tree_digest(root: str) -> str:
    if not os.path.isdir(root):
        raise AnsibleLookupError("%s is not a directory" % root)
    digest = hashlib.sha256()
    for directory, subdirs, files in os.walk(root):
        # Byte-code caches appear when a test imports a stand-in from its build context; they are not inputs.
        subdirs[:] = sorted(name for name in subdirs if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            path = os.path.join(directory, name)
            digest.update(os.path.relpath(path, root).encode("utf-8") + b"\0")
            digest.update(b"x" if os.access(path, os.X_OK) else b"-")
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()[:SIZE]


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [tree_digest(term) for term in terms]
