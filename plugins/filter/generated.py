# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values a deployment generated on the controller (aegis_secrets_dir), kept in OpenBao KV so that a run from
another controller (an AWX job, a colleague's machine) reads them back instead of generating new ones.

OpenBao's own unseal keys and root token are not among them: they open OpenBao, so they cannot be kept in it (the
operator keeps them, e.g. in ansible-vault).
"""

from __future__ import annotations

import os

# Relative to aegis_secrets_dir: OpenBao's init material stays with the operator.
NOT_KEPT = ("openbao/init.json",)


def generated_values(directory) -> dict:
    """{name: content} of every generated value in ``directory`` (names relative to it; hidden files skipped)."""
    directory = os.path.expanduser(str(directory))
    found = {}
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            relative = os.path.relpath(path, directory)
            if relative not in NOT_KEPT:
                with open(path, encoding="utf-8") as handle:
                    found[relative] = handle.read()
    return found


def generated_to_restore(kept, directory, renew=()) -> dict:
    """The values of ``kept`` (as OpenBao holds them) that the controller's ``directory`` lacks or holds otherwise,
    except the names a rotation renews."""
    have = generated_values(directory)
    return {name: value for name, value in sorted((kept or {}).items())
            if name not in renew and name not in NOT_KEPT and have.get(name) != value
            and not name.startswith(("/", "..")) and ".." not in name.split("/")}


class FilterModule:
    def filters(self):
        return {"generated_values": generated_values, "generated_to_restore": generated_to_restore}
