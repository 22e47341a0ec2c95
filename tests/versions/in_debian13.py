#!/usr/bin/env python3
"""Run tests/versions/run.sh in a Debian 13 container, for the ansible-core releases whose controller needs
Python >= 3.12 (Debian 12's python3 is 3.11; Debian 13's is 3.13).

The container is the test bed's trixie root filesystem (tests/testbed/testbed.py builds it once) with this
checkout mounted at its own path (and the git directory a worktree points to), this machine's package access
copied in as the test bed does for its hosts, and python3-venv and git installed. Only sanity and unit run there:
the converge deploys pods with this machine's podman, which the container does not have.

usage: in_debian13.py VERSION [STEP ...]     (the steps of run.sh)
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "testbed"))
import testbed  # noqa: E402

SUITE = "trixie"
CONTAINER = "aegisver-" + SUITE


def main(argv):
    if not argv:
        sys.exit(__doc__)
    testbed.rootfs(SUITE)
    git_dir = subprocess.run(["git", "-C", ROOT, "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             check=True, capture_output=True, text=True).stdout.strip()
    volumes = ["--volume", "%s:%s" % (ROOT, ROOT)]
    if not git_dir.startswith(ROOT + os.sep):
        volumes += ["--volume", "%s:%s:ro" % (git_dir, git_dir)]
    testbed.podman("rm", "--force", "--time", "0", CONTAINER, check=False)
    testbed.podman("run", "--detach", "--name", CONTAINER, "--network", "host", *volumes,
                   testbed.image_name(SUITE), "sleep", "infinity")
    try:
        testbed.copy_access_configuration(CONTAINER)
        shell = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
                 "python3-venv git >/dev/null && tests/versions/run.sh \"$@\"")
        return subprocess.run(["podman", "exec", "--workdir", ROOT, CONTAINER, "bash", "-c", shell, "run.sh"] + argv,
                              check=False).returncode
    finally:
        testbed.podman("rm", "--force", "--time", "0", CONTAINER, check=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
