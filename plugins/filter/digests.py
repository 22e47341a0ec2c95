# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The digests of module_utils/digests.py for templates (content_digest), and bootstrap receipts: skip the
database bootstrap while neither its inputs nor its server changed.

A bootstrap reads its server's state and writes what differs; that is one module call (~0.5 s) per bootstrap on
every rerun. After a successful bootstrap the role writes a receipt on the host: a digest of everything it was
given (secrets included, only as part of the digest) and the ID and start time of the server container. The
podman_host probe reads every file under the config directory once, so a rerun compares receipts on the
controller. A restarted server, a recreated one (restored data) or any changed input runs
the bootstrap again; `aegis_bootstrap_force: true` runs it anyway (to repair changes made by hand). OpenBao and the
realm have none: their modules read the server on every run, so changes made by hand are repaired.
"""

from __future__ import annotations

import json

from ansible_collections.aegis.platform.plugins.module_utils.digests import content_digest, digest


def receipt(inputs, server) -> str:
    """The receipt's content: a digest of the inputs and the server container's {id, started_at}."""
    return json.dumps({"inputs": digest(inputs), "server": server or {}}, sort_keys=True)


def receipt_current(podman_state, path: str, content) -> bool:
    """True when the probe saw the receipt at path with exactly this content (a server of unknown state never is)."""
    if isinstance(content, dict):
        # ansible-core < 2.19 hands over a template result that reads as a dict as one (and the copy module writes it
        # back as this same text): the receipt's keys are sorted already.
        content = json.dumps(content, sort_keys=True)
    if not isinstance(podman_state, dict) or not json.loads(content).get("server"):
        return False
    seen = (podman_state.get("files") or {}).get(path)
    return bool(seen) and seen[0] == content_digest(content)


class FilterModule:
    def filters(self):
        return {"receipt": receipt, "receipt_current": receipt_current, "content_digest": content_digest}
