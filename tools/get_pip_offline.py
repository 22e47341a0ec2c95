"""Stand-in for the get-pip script ansible-test downloads (unreachable offline).

ansible-test strips the environment, so the host's pip configuration (CA bundle, local indexes) is copied into
the new venv, ensurepip provides pip, and pip then installs what ansible-test asked for.
"""
import ensurepip
import os
import shutil
import subprocess
import sys

for conf in ("/etc/pip.conf", os.path.expanduser("~/.config/pip/pip.conf")):
    if os.path.exists(conf):
        shutil.copy(conf, os.path.join(sys.prefix, "pip.conf"))
        break
ensurepip.bootstrap(upgrade=True)
os.environ.pop("PIP_CONFIG_FILE", None)  # ensurepip points it at /dev/null, which disables the copied config
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
