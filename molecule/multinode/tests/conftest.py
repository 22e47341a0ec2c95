import os
import sys

# The platform checks are shared by the test bed scenarios (tests/testbed/platform_checks.py).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "testbed"))
