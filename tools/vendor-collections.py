#!/usr/bin/env python
"""Install the pinned collections we depend on without Galaxy.

Galaxy is unreachable here, but PyPI's `ansible` package ships the collections. We download that one wheel
(pinned) and unpack only the collections we use, into .collections/ansible_collections, and link this
checkout in as aegis.platform.
"""
import pathlib
import subprocess
import sys
import tempfile
import zipfile

ANSIBLE_WHEEL = "ansible==12.3.0"  # holds containers.podman 1.18.0, ansible.posix 2.x, community.crypto 2.x
WANTED = ("containers/podman/", "ansible/posix/", "community/crypto/")

root = pathlib.Path(__file__).resolve().parent.parent
dest = root / ".collections" / "ansible_collections"
stamp = root / ".collections" / ".stamp"
if stamp.exists() and stamp.read_text() == ANSIBLE_WHEEL:
    sys.exit(0)

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, ANSIBLE_WHEEL],
                   check=True)
    wheel = next(pathlib.Path(tmp).glob("ansible-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            relative = member.removeprefix("ansible_collections/")
            if relative != member and relative.startswith(WANTED):
                archive.extract(member, dest.parent)

link = dest / "aegis" / "platform"
link.parent.mkdir(parents=True, exist_ok=True)
if not link.is_symlink():
    link.symlink_to(root)
stamp.write_text(ANSIBLE_WHEEL)
print(f"collections from {ANSIBLE_WHEEL} in {dest}")
