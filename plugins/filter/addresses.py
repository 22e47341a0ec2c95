# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pod_addresses: where each pod is reached from a host, computed from the inventory (CONTRIBUTING.md)."""

from __future__ import annotations

PODS = ("database", "secrets", "iam", "storage", "observability", "temporal", "core", "seal_gateway")


def _host_of(pod: str, groups: dict, me: str) -> str:
    """The host the inventory group aegis_<pod> places the pod on; this host when no group places it."""
    members = groups.get("aegis_" + pod) or []
    return members[0] if members else me


def _address(host: str, hostvars: dict) -> str:
    variables = hostvars.get(host) or {}
    return variables.get("aegis_advertise_address") or variables.get("ansible_host") or host


def pod_addresses(prefix: str, groups: dict, hostvars: dict, me: str, bind_address: str = None) -> dict:
    """{pod: address}. For containers (bind_address None): the pod's name on the shared network when it runs on
    this host, else its host's address (published ports). For tasks on this host (bind_address given): the bind
    address (loopback for a wildcard) when the pod runs here, else its host's address."""
    result = {}
    for pod in PODS:
        host = _host_of(pod, groups, me)
        if host != me:
            result[pod] = _address(host, hostvars)
        elif bind_address is None:
            result[pod] = "%s-%s" % (prefix, pod.replace("_", "-"))
        else:
            result[pod] = "127.0.0.1" if bind_address in ("", "0.0.0.0", "::") else bind_address
    return result


def pods_on_host(profile_pods: list, groups: dict, me: str) -> list:
    """The pods of the profile this host runs: those its aegis_<pod> groups place here, and every pod no group
    places (a single-host inventory needs no groups)."""
    return [pod for pod in profile_pods if _host_of(pod, groups, me) == me or me in (groups.get("aegis_" + pod) or [])]


def unplaced_pods(profile_pods: list, groups: dict) -> list:
    """Pods of the profile whose aegis_<pod> group does not name exactly one host (needed with several hosts)."""
    return [pod for pod in profile_pods if len(groups.get("aegis_" + pod) or []) != 1]


class FilterModule:
    def filters(self):
        return {"pod_addresses": pod_addresses, "pods_on_host": pods_on_host, "unplaced_pods": unplaced_pods}
