# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the pod registry (roles/common/vars/main.yml): where each pod runs, how it is reached, what it
keeps. Every role, playbook and tool that needs to know the pods asks these (docs/architecture.md)."""

from __future__ import annotations

WILDCARDS = ("", "0.0.0.0", "::")


def _host_of(pod: str, groups: dict, me: str) -> str:
    """The host the inventory group aegis_<pod> places the pod on; this host when no group places it."""
    members = groups.get("aegis_" + pod) or []
    return members[0] if members else me


def _address(host: str, hostvars: dict) -> str:
    variables = hostvars.get(host) or {}
    return variables.get("aegis_advertise_address") or variables.get("ansible_host") or host


def _where(pod, prefix, groups, hostvars, me, bind_address):
    """(address, on this host) of a pod, as containers (bind_address None) or tasks on this host see it."""
    host = _host_of(pod, groups, me)
    if host != me:
        return _address(host, hostvars), False
    if bind_address is None:
        return "%s-%s" % (prefix, pod.replace("_", "-")), True
    return ("127.0.0.1" if bind_address in WILDCARDS else bind_address), False


def pod_addresses(registry: dict, prefix: str, groups: dict, hostvars: dict, me: str, bind_address: str = None) -> dict:
    """{pod: address}. For containers (bind_address None): the pod's name on the shared network when it runs on
    this host, else its host's address (published ports). For tasks on this host (bind_address given): the bind
    address (loopback for a wildcard) when the pod runs here, else its host's address."""
    return {pod: _where(pod, prefix, groups, hostvars, me, bind_address)[0] for pod in registry}


def _port_variables(endpoint) -> tuple:
    """(published port variable, port variable inside the pod) of a registry endpoint."""
    if isinstance(endpoint, dict):
        return endpoint["port"], endpoint.get("inside", endpoint["port"])
    return endpoint, endpoint


def endpoint_variables(registry: dict) -> list:
    """Every port variable the registry's endpoints name."""
    names = []
    for entry in registry.values():
        for endpoint in (entry.get("endpoints") or {}).values():
            names.extend(name for name in _port_variables(endpoint) if name not in names)
    return names


def _port(value):
    """The port as a number; a value that is none is kept as given, for the validation to name it."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def pod_endpoints(registry: dict, prefix: str, groups: dict, hostvars: dict, me: str, ports: dict,
                  bind_address: str = None) -> dict:
    """{pod: {endpoint: {host, port, address}}}, seen as pod_addresses describes. ports: {variable: value} of this
    host; a pod on another host is reached on the value its own host has (inventory), else this one."""
    result = {}
    for pod, entry in registry.items():
        address, inside = _where(pod, prefix, groups, hostvars, me, bind_address)
        own = hostvars.get(_host_of(pod, groups, me)) or {}
        result[pod] = {}
        for name, endpoint in (entry.get("endpoints") or {}).items():
            variable = _port_variables(endpoint)[1 if inside else 0]
            port = _port(own[variable] if variable in own else ports[variable])
            result[pod][name] = {"host": address, "port": port, "address": "%s:%s" % (address, port)}
    return result


def pods_on_host(profile_pods: list, groups: dict, me: str) -> list:
    """The pods of the profile this host runs: those its aegis_<pod> groups place here, and every pod no group
    places (a single-host inventory needs no groups)."""
    return [pod for pod in profile_pods if _host_of(pod, groups, me) == me or me in (groups.get("aegis_" + pod) or [])]


def unplaced_pods(profile_pods: list, groups: dict) -> list:
    """Pods of the profile whose aegis_<pod> group does not name exactly one host (needed with several hosts)."""
    return [pod for pod in profile_pods if len(groups.get("aegis_" + pod) or []) != 1]


def pod_dependants(pods: list, registry: dict) -> list:
    """Pods that use the services of any of pods (registry `uses`), in registry order."""
    return [other for other, entry in registry.items() if set(pods) & set(entry.get("uses") or [])]


class FilterModule:
    def filters(self):
        return {
            "pod_addresses": pod_addresses,
            "pod_endpoints": pod_endpoints,
            "endpoint_variables": endpoint_variables,
            "pods_on_host": pods_on_host,
            "unplaced_pods": unplaced_pods,
            "pod_dependants": pod_dependants,
        }
