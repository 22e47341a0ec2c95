#!/usr/bin/env python3
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print the first OCI runtime (and cgroup manager) that starts a pod on this host, or nothing.

Which runtime works depends on more than the cgroups version (on a hybrid host runc works where systemd is not
PID 1 and fails where it is; crun the other way round), so each candidate is tried for real: a throw-away pod
whose infra container (podman's pause image, built from catatonit) must start. The candidate's containers.conf
(runtime plus the ulimits this role writes) is given through CONTAINERS_CONF, so nothing on the host changes.
A candidate RUNTIME:cgroupfs also sets podman's cgroup manager: systemd 257 on a cgroups v1 host refuses the
slices podman asks it for ("Unit machine-libpod_pod_....slice was already loaded or has a fragment file").

usage: runtime_trial.py ULIMITS_JSON CANDIDATE [CANDIDATE ...]   (CANDIDATE: runc, crun, runc:cgroupfs, ...)
output: RUNTIME or RUNTIME CGROUP_MANAGER
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def starts_a_pod(runtime, cgroup_manager, ulimits):
    name = "aegis-runtime-trial-%d" % os.getpid()
    engine = 'runtime = "%s"\n' % runtime
    if cgroup_manager:
        engine += 'cgroup_manager = "%s"\n' % cgroup_manager
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
        conf.write('[containers]\ndefault_ulimits = %s\n\n[engine]\n%s' % (json.dumps(ulimits), engine))
    env = dict(os.environ, CONTAINERS_CONF=conf.name)
    try:
        created = subprocess.run(["podman", "pod", "create", "--name", name], env=env, capture_output=True, check=False)
        started = created.returncode == 0 and subprocess.run(
            ["podman", "pod", "start", name], env=env, capture_output=True, check=False).returncode == 0
        return started
    finally:
        subprocess.run(["podman", "pod", "rm", "--force", "--time", "0", name], env=env, capture_output=True, check=False)
        os.unlink(conf.name)


def main():
    ulimits = json.loads(sys.argv[1])
    for candidate in sys.argv[2:]:
        runtime, _sep, cgroup_manager = candidate.partition(":")
        if shutil.which(runtime) and starts_a_pod(runtime, cgroup_manager, ulimits):
            print(runtime, cgroup_manager)
            return


if __name__ == "__main__":
    main()
