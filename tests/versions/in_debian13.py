"""Run tests/versions/run.sh on Debian 13, for the ansible-core releases whose controller needs Python >= 3.12
(Debian 12's python3 is 3.11; Debian 13's is 3.13).

The host is a container made as the test bed makes its hosts (tests/testbed/testbed.py: the trixie root
filesystem, systemd as PID 1, podman storage on a volume of its own, this machine's package access) plus this
checkout mounted at its own path (and the git directory a worktree points to), python3-venv and git. The converge
deploys inside it, as on any empty host: the podman_host role installs podman, the images come from the test bed's
archives (make testbed-images), mounted read-only.

usage: in_debian13.py VERSION [STEP ...]     (the steps of run.sh)
"""
import fcntl
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "testbed"))
import testbed  # noqa: E402

SUITE = "trixie"
HOST = "aegisver-" + SUITE
ARCHIVES = os.path.join(testbed.WORK, "archives")


def start(volumes):
    os.makedirs(testbed.WORK, exist_ok=True)
    with open(os.path.join(testbed.WORK, "lock"), "w", encoding="utf-8") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)  # the test bed's own lock: one builder of a root filesystem at a time
        testbed.rootfs(SUITE)
    remove()
    testbed.podman("run", "--detach", "--privileged", "--systemd=always", "--name", HOST, "--hostname", HOST,
                   "--volume", "%s-storage:/var/lib/containers" % HOST, *volumes, testbed.image_name(SUITE), "/sbin/init")
    testbed.wait_for_boot(HOST)
    testbed.copy_access_configuration(HOST)


def remove():
    testbed.podman("rm", "--force", "--ignore", "--time", "0", HOST)
    testbed.podman("volume", "rm", "--force", HOST + "-storage", check=False)


def main(argv):
    if not argv:
        sys.exit(__doc__)
    git_dir = subprocess.run(["git", "-C", ROOT, "rev-parse", "--path-format=absolute", "--git-common-dir"],
                             check=True, capture_output=True, text=True).stdout.strip()
    volumes = ["--volume", "%s:%s" % (ROOT, ROOT)]
    if not git_dir.startswith(ROOT + os.sep):
        volumes += ["--volume", "%s:%s:ro" % (git_dir, git_dir)]
    env = []
    if os.path.isdir(ARCHIVES):
        volumes += ["--volume", "%s:%s:ro" % (ARCHIVES, ARCHIVES)]
        env = ["--env", "AEGIS_IMAGES_ARCHIVE_DIR=" + ARCHIVES]
    start(volumes)
    try:
        shell = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
                 "python3-venv git >/dev/null && tests/versions/run.sh \"$@\"")
        return subprocess.run(["podman", "exec", "--workdir", ROOT, *env, HOST, "bash", "-c", shell, "run.sh"] + argv,
                              check=False).returncode
    finally:
        remove()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
