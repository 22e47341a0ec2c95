"""patch_module_args for every ansible-core the collection supports.

ansible-core 2.19 added ansible.module_utils.testing.patch_module_args; before it, a module read its arguments
from basic._ANSIBLE_ARGS, which is what the fallback sets (and restores).
"""
from __future__ import annotations

import contextlib
import json

try:
    from ansible.module_utils.testing import patch_module_args  # noqa: F401 pylint: disable=unused-import
except ImportError:
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args or {}}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved
