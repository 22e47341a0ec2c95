# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the collection-wide settings and of the ports all pods of a host publish, run before any change;
every message names the variable."""

from __future__ import annotations

import ipaddress
import os
import re

# The prefix begins every pod, container, volume and network name, and pod names are DNS names on the network.
PREFIX = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")


def _writable_dir(path: str) -> bool:
    """Whether path is, or can be created as, a directory this user writes to."""
    while path and not os.path.exists(path):
        path = os.path.dirname(path.rstrip("/")) or "/"
    return os.path.isdir(path) and os.access(path, os.W_OK | os.X_OK)


def setting_errors(settings: dict) -> list:
    """settings: the collection-wide variables by name. Returns one message per bad value."""
    errors = []
    prefix = str(settings.get("aegis_name_prefix", ""))
    if not PREFIX.match(prefix):
        errors.append("aegis_name_prefix (%r) must be lower-case letters, digits and hyphens (at most 40, not starting or"
                      " ending with a hyphen): it begins every pod, container, volume and network name" % prefix)
    bind = str(settings.get("aegis_bind_address", ""))
    try:
        ipaddress.ip_address(bind)
    except ValueError:
        errors.append("aegis_bind_address (%r) must be an IP address of the host (0.0.0.0 for all)" % bind)
    subnet = str(settings.get("aegis_network_subnet", ""))
    if subnet:
        try:
            ipaddress.ip_network(subnet)
        except ValueError:
            errors.append("aegis_network_subnet (%r) must be a network in CIDR form (10.89.0.0/24), or empty" % subnet)
    if settings.get("aegis_image_source") == "upstream" and not str(settings.get("aegis_version", "")).strip():
        errors.append("aegis_version is empty: the upstream AEGIS images need their release tag")
    secrets_dir = str(settings.get("aegis_secrets_dir", ""))
    if not secrets_dir.startswith("/") or not _writable_dir(secrets_dir):
        errors.append("aegis_secrets_dir (%r) must be an absolute path of a directory the controller's user can create"
                      " or write" % secrets_dir)
    if not str(settings.get("aegis_config_dir", "")).startswith("/"):
        errors.append("aegis_config_dir (%r) must be an absolute path" % settings.get("aegis_config_dir"))
    return errors


def published_port_errors(published: dict, port_values: dict) -> list:
    """published: {pod: ["address:host port:container port", ...]} of the pods of one host; port_values:
    {port variable: value}. Messages for host ports two pods publish on one address, naming the variables."""
    owners = {}
    for pod, specs in sorted(published.items()):
        for spec in specs or []:
            address, port = str(spec).rsplit(":", 2)[:2]
            owners.setdefault((address, int(port)), []).append(pod)
    errors = []
    for (address, port), pods in sorted(owners.items()):
        if len(set(pods)) > 1:
            names = sorted(name for name, value in port_values.items() if str(value) == str(port))
            errors.append("%s: pods %s all publish host port %d on %s; give each its own port"
                          % (" / ".join(names) or "port %d" % port, " and ".join(sorted(set(pods))), port, address))
    return errors


class FilterModule:
    def filters(self):
        return {"setting_errors": setting_errors, "published_port_errors": published_port_errors}
