# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bash_http_probe: a container health check for images that have bash but neither curl nor wget."""

from __future__ import annotations

# Documented in bash_http_probe.yml (one documentation file per filter name).


def bash_http_probe(port, path: str = "/health") -> list:
    script = ("exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && "
              "head -n 1 <&3 | grep -q ' 200 '" % (int(port), path))
    return ["bash", "-c", script]


class FilterModule:
    def filters(self):
        return {"bash_http_probe": bash_http_probe}
