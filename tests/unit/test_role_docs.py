import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def test_role_readmes_match_argument_specs():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "role_docs.py"), "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
