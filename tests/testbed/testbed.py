#!/usr/bin/env python
"""Empty hosts to deploy on: privileged containers running systemd, made from a debootstrap'ed Debian.

A host holds what a cloud image holds (python3, systemd as PID 1, apt) and no podman. Podman inside it needs
two things a plain host does not: its podman storage on a volume (overlay on the container's own overlay root
does not work; on the volume it does), the outer machine's package-access configuration (CA bundle, pip, apt,
Maven and Go settings), copied in at start as a company's hosts get theirs. Each host keeps its podman storage
in a volume of its own; `podman restart` of a host is a reboot (systemd boots again).

usage:
  testbed.py rootfs SUITE             build (or reuse) the root filesystem image of a Debian release
  testbed.py up NAME SUITE ADDRESS    start an empty host NAME at ADDRESS on the test bed network
  testbed.py reboot|stop|start NAME   reboot, power off, power on a host (waits for systemd where it boots)
  testbed.py down [NAME ...]          remove these hosts and their storage (no names: the whole test bed)
"""
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

PREFIX = "aegistb"
LABEL = "io.aegis.testbed"
NETWORK = PREFIX + "-network"
# Differs from podman's default (10.88.0.0/16) and from the aegis networks the hosts create inside.
SUBNET = "10.213.0.0/24"
WORK = "/var/tmp/aegis-testbed"  # debootstrap creates device nodes: not under a nodev /tmp
PACKAGES = ["systemd", "systemd-sysv", "dbus", "python3", "ca-certificates"]
STORAGE_CONF = """# Nested podman: the graphroot is on the host's storage volume (ext4 underneath, not the container's own
# overlay root), where the kernel's overlay works as on a real host.
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
"""
ACCESS_FILES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pip.conf", os.path.expanduser("~/.m2/settings.xml"),
                os.path.expanduser("~/.config/go/env")]


def run(*args, check=True, **kwargs):
    return subprocess.run(args, check=check, text=True, capture_output=True, **kwargs)


def podman(*args, check=True):
    return run("podman", *args, check=check)


def image_name(suite):
    return "localhost/%s-host:%s" % (PREFIX, suite)


def host_name(name):
    return "%s-%s" % (PREFIX, name)


def mirror():
    """The Debian mirror of this machine's apt sources (never one written here)."""
    text = ""
    for path in ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                text += handle.read() + "\n"
    found = re.findall(r"(?m)^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+/debian)/?\s", text)
    if not found:
        sys.exit("no Debian mirror in this machine's apt sources")
    return found[0]


def content_digest(suite):
    with open(__file__, "rb") as handle:
        return hashlib.sha256(handle.read() + suite.encode()).hexdigest()[:16]


def rootfs(suite):
    digest = content_digest(suite)
    found = podman("image", "inspect", "--format", "{{index .Labels \"%s\"}}" % LABEL, image_name(suite), check=False)
    if found.returncode == 0 and found.stdout.strip() == digest:
        return
    root = os.path.join(WORK, "rootfs-" + suite)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(WORK, exist_ok=True)
    run("debootstrap", "--variant=minbase", suite, root, mirror())
    run("chroot", root, "apt-get", "install", "-y", "--no-install-recommends", *PACKAGES,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    run("chroot", root, "apt-get", "clean")
    os.makedirs(os.path.join(root, "etc/containers"), exist_ok=True)
    with open(os.path.join(root, "etc/containers/storage.conf"), "w", encoding="utf-8") as handle:
        handle.write(STORAGE_CONF)
    # Podman configures the host's network before systemd starts and nothing inside manages it: trixie's enabled
    # systemd-networkd-wait-online would hold network-online.target (and every pod unit) for its 2 min timeout.
    os.symlink("/dev/null", os.path.join(root, "etc/systemd/system/systemd-networkd-wait-online.service"))
    for path in ["etc/machine-id", "var/lib/dbus/machine-id"]:
        if os.path.exists(os.path.join(root, path)):
            os.unlink(os.path.join(root, path))
    tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "--change", 'CMD ["/sbin/init"]', "--change", "LABEL %s=%s" % (LABEL, digest),
                    "-", image_name(suite)], stdin=tar.stdout, check=True, capture_output=True)
    tar.wait()
    shutil.rmtree(root, ignore_errors=True)


def ensure_network():
    if podman("network", "exists", NETWORK, check=False).returncode != 0:
        podman("network", "create", "--subnet", SUBNET, "--label", LABEL, NETWORK)


def wait_for_boot(container, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = podman("exec", container, "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    sys.exit("%s did not boot within %s s" % (container, timeout))


def copy_access_configuration(container):
    """What a company's hosts get from their provisioning: the CA bundle, pip, apt, Maven and Go settings, and the
    local CAs themselves (installed, so that Java's trust store, made from them when a JDK is installed, has
    them too: Maven on the host fails without)."""
    local_cas = glob.glob("/usr/local/share/ca-certificates/*.crt")
    files = [path for path in ACCESS_FILES if os.path.isfile(path)] + local_cas
    files += [path for path in glob.glob("/etc/apt/apt.conf.d/*") if re.search(r"(?i)acquire", open(path).read())]
    for path in files:
        podman("exec", container, "mkdir", "-p", os.path.dirname(path))
        podman("cp", path, "%s:%s" % (container, path))
    if local_cas:
        podman("exec", container, "update-ca-certificates")


def up(name, suite, address):
    # Scenarios run side by side: one of them builds a release's root filesystem and the network, the others wait.
    os.makedirs(WORK, exist_ok=True)
    with open(os.path.join(WORK, "lock"), "w", encoding="utf-8") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        rootfs(suite)
        ensure_network()
    container = host_name(name)
    podman("rm", "--force", "--time", "0", container, check=False)
    podman("run", "--detach", "--privileged", "--systemd=always", "--name", container, "--hostname", name,
           "--label", LABEL, "--network", NETWORK, "--ip", address,
           "--volume", "%s-storage:/var/lib/containers" % container, image_name(suite), "/sbin/init")
    wait_for_boot(container)
    copy_access_configuration(container)


def power(action, name):
    container = host_name(name)
    if action == "reboot":
        podman("restart", "--time", "30", container)
    elif action == "stop":
        podman("stop", "--time", "30", container)
        return
    else:
        podman("start", container)
    wait_for_boot(container)


def down(*names):
    containers = [host_name(name) for name in names] or podman(
        "ps", "-a", "--filter", "label=" + LABEL, "--format", "{{.Names}}").stdout.split()
    if containers:
        podman("rm", "--force", "--ignore", "--time", "0", *containers)
    volumes = podman("volume", "ls", "--format", "{{.Name}}").stdout.split()
    storage = [v for v in volumes if any(v == c + "-storage" for c in containers) or (not names and v.startswith(PREFIX + "-"))]
    if storage:
        podman("volume", "rm", "--force", *storage)
    if not names:
        podman("network", "rm", "--force", NETWORK, check=False)


def main(argv):
    commands = {"rootfs": (rootfs, 1), "up": (up, 3), "down": (down, None),
                "reboot": (lambda n: power("reboot", n), 1), "stop": (lambda n: power("stop", n), 1),
                "start": (lambda n: power("start", n), 1)}
    if not argv or argv[0] not in commands or commands[argv[0]][1] not in (None, len(argv) - 1):
        sys.exit(__doc__)
    try:
        commands[argv[0]][0](*argv[1:])
    except subprocess.CalledProcessError as error:
        sys.exit("%s failed (rc %s):\n%s%s" % (" ".join(error.cmd), error.returncode, error.stdout or "",
                                               error.stderr or ""))
    print(json.dumps({"done": argv[0]}))


if __name__ == "__main__":
    main(sys.argv[1:])
