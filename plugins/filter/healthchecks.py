# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bash_http_probe: a container health check for images that have bash but neither curl nor wget."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bash_http_probe
short_description: Health check that asks an HTTP path over bash's /dev/tcp
description:
  - Returns a health check command (exec form) that sends C(GET <path>) to the container's own port through
    bash's C(/dev/tcp) and succeeds when the status line says 200. For images with bash and no HTTP client
    (the AEGIS images, Keycloak).
positional: path
options:
  _input:
    description: Port inside the pod.
    type: int
    required: true
  path:
    description: HTTP path.
    type: str
    default: /health
"""

EXAMPLES = r"""
healthcheck:
  test: "{{ 8088 | aegis.platform.bash_http_probe('/health') }}"
"""

RETURN = r"""
_value:
  description: The health check command, C([bash, -c, <script>]).
  type: list
  elements: str
"""


def bash_http_probe(port, path: str = "/health") -> list:
    script = ("exec 3<>/dev/tcp/127.0.0.1/%d && printf 'GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && "
              "head -n 1 <&3 | grep -q ' 200 '" % (int(port), path))
    return ["bash", "-c", script]


class FilterModule:
    def filters(self):
        return {"bash_http_probe": bash_http_probe}
