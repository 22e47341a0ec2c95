"""Every pod, container, volume and flow of the site across the three hosts (tests/testbed/platform_checks.py)."""
# pytest collects the shared checks here.
from platform_checks import *  # noqa: F401,F403  # pylint: disable=wildcard-import,unused-wildcard-import
