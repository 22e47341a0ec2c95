# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the OpenBao integration tests; the harness itself is in openbao_harness.py."""

# pytest fixtures, used by name.
from openbao_harness import bao, fresh_bao, kv  # noqa: F401  # pylint: disable=unused-import
