# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""port_errors: what is wrong with a pod's port variables, for the roles' validation (before any change)."""

from __future__ import annotations


def port_errors(ports: dict, pod: str = "the pod", published: bool = False) -> list:
    """ports: {variable name: value}. Returns messages naming the variables: values that are not whole numbers in
    1-65535, and variables that claim the same port (the containers of a pod share one network namespace; with
    published=True the ports are host ports, each published once)."""
    errors = []
    claimed = {}
    for name, value in ports.items():
        text = str(value).strip()
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            errors.append("%s must be a port number in 1-65535, got %r" % (name, value))
            continue
        claimed.setdefault(int(text), []).append(name)
    clash = ("all publish host port %d, but %s can publish each host port once on aegis_bind_address" if published
             else "all claim port %d, but the containers of %s share one network namespace")
    for port, names in sorted(claimed.items()):
        if len(names) > 1:
            errors.append(("%s " + clash) % (" and ".join(names), port, pod))
    return errors


class FilterModule:
    def filters(self):
        return {"port_errors": port_errors}
