# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Fixtures of the OpenBao integration tests; the harness itself is in openbao_harness.py."""

from openbao_harness import bao, fresh_bao, kv  # noqa: F401  (pytest fixtures)
