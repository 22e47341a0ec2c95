# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every ``aegis.platform.openbao_*`` module."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Address of the OpenBao server, scheme and port included (the API lives under C(<url>/v1/)).
      - Falls back to the E(BAO_ADDR) then E(VAULT_ADDR) environment variables.
    type: str
    default: http://127.0.0.1:8200
  token:
    description:
      - Token sent as C(X-Vault-Token).
      - Falls back to the E(BAO_TOKEN) then E(VAULT_TOKEN) environment variables.
      - Never shown in output or error messages.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate. Set to V(false) only for throw-away test servers.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the server's certificate.
      - Falls back to the E(BAO_CACERT) then E(VAULT_CACERT) environment variables.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  connect_retries:
    description:
      - How many times to retry, one second apart, while the connection is refused (the server is still
        starting). V(0) fails at once.
    type: int
    default: 5
"""
