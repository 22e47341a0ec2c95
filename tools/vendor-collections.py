#!/usr/bin/env python
"""Install the pinned collections we depend on without Galaxy.

Galaxy is unreachable here, but PyPI's `ansible` package ships the collections. We download the pinned wheels
and unpack only the collections we use, into .collections/ansible_collections, and link this checkout in as
aegis.platform. Each collection comes at a version that supports our floor, ansible-core 2.16 (meta/runtime.yml).
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

WHEELS = {
    "ansible==12.3.0": ("containers/podman/", "ansible/posix/"),  # containers.podman 1.18.0, ansible.posix 2.1.0
    # community.crypto 2.26.6: 3.x (in ansible 12) requires ansible-core 2.17.
    "ansible==11.13.0": ("community/crypto/",),
}

root = pathlib.Path(__file__).resolve().parent.parent
dest = root / ".collections" / "ansible_collections"
stamp = root / ".collections" / ".stamp"
pins = " ".join(sorted(WHEELS))
if stamp.exists() and stamp.read_text() == pins:
    sys.exit(0)

for wheel_pin, wanted in WHEELS.items():
    for collection in wanted:
        shutil.rmtree(dest / collection, ignore_errors=True)  # no file of another version stays behind
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", tmp, wheel_pin],
                       check=True)
        wheel = next(pathlib.Path(tmp).glob("ansible-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                relative = member.removeprefix("ansible_collections/")
                if relative != member and relative.startswith(wanted):
                    archive.extract(member, dest.parent)

link = dest / "aegis" / "platform"
link.parent.mkdir(parents=True, exist_ok=True)
if not link.is_symlink():
    link.symlink_to(root)
stamp.write_text(pins)
print(f"collections from {pins} in {dest}")
