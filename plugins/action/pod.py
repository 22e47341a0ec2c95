# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of `aegis.platform.pod`: skip the module when the host probe already shows the pod converged.

A module call costs about 0.3 s even when nothing changes; the podman_host role probes the host once per run
(`aegis_podman_state`), so a no-op pod is decided here, on the controller, for free. The probe is stale for a
pod once the module ran for it in this run (it may have been recreated or removed): a marker in this run's own
local temporary directory records that, and the module then reads the host itself.
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.aegis.platform.plugins.module_utils import pod_spec

MODULE = "aegis.platform.pod"


def marker_path(host: str, pod: str) -> str:
    # DEFAULT_LOCAL_TMP is a directory of this ansible-playbook process, removed when it ends.
    return os.path.join(C.DEFAULT_LOCAL_TMP, "aegis-pods", "%s--%s" % (host, pod))


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        name = self._task.args.get("name")
        if self._play_context.check_mode and not (task_vars.get("__aegis_podman_host_probe") or {}).get("podman", True):
            # --check on a host without podman (podman_host only reported its installation): everything is new.
            result.update(changed=True, actions=["pod %s created" % name], containers={}, containers_state={}, probed=True)
            return result
        converged = self._converged_in_probe(task_vars)
        if converged is not None:
            result.update(changed=False, actions=[], containers={}, containers_state=converged, probed=True)
            return result
        if name:
            marker = marker_path(task_vars.get("inventory_hostname", ""), str(name))
            os.makedirs(os.path.dirname(marker), exist_ok=True)
            open(marker, "w").close()
        result.update(self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars))
        result.setdefault("probed", False)
        return result

    def _converged_in_probe(self, task_vars: dict):
        probe = task_vars.get("aegis_podman_state")
        if not isinstance(probe, dict) or self._task.delegate_to:
            return None
        validation = ArgumentSpecValidator(pod_spec.ARGUMENT_SPEC, required_if=pod_spec.REQUIRED_IF).validate(self._task.args)
        if validation.error_messages:
            return None  # the module reports them
        params = validation.validated_parameters
        if os.path.exists(marker_path(task_vars.get("inventory_hostname", ""), params["name"])):
            return None
        return pod_spec.converged_in_probe(params, probe)
