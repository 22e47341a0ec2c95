# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The digests that decide "nothing to do" (docs/architecture.md): the spec label on pods and containers, the
state of a file on the host, and bootstrap receipts. Every writer and reader computes them here, so they agree."""

from __future__ import annotations

import hashlib
import json
import os

# Label of every pod and container the pod module creates: the digest of the settings it was created from.
SPEC_LABEL = "io.aegis.spec"
# Short digests: 64 bits tell settings apart; labels and the probe's output stay small.
SIZE = 16


def content_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:SIZE]


def digest(obj: object) -> str:
    """Stable digest of a JSON-able object."""
    return content_digest(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str))


def file_state(path: str, text: str) -> list:
    """[content digest, mode, uid] of a file with this text: what the host probe reports and the pod module and
    the receipts compare."""
    info = os.stat(path)
    return [content_digest(text), "%04o" % (info.st_mode & 0o7777), info.st_uid]
