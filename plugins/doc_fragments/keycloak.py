# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Connection options shared by every aegis.platform Keycloak module.
    DOCUMENTATION = r"""
options:
  auth_keycloak_url:
    description:
      - Base URL of Keycloak, without C(/admin) or C(/realms), for example C(http://aegis-iam:8180).
      - Keycloak 17 and later (Quarkus) serve without the old C(/auth) prefix; include it only if your server
        is configured with one.
    type: str
    required: true
    aliases: [url]
  auth_realm:
    description:
      - Realm of the admin account used to log in.
    type: str
    default: master
  auth_username:
    description:
      - Admin user name for the password grant.
      - Either O(auth_username) and O(auth_password), or O(auth_client_id) and O(auth_client_secret)
        (client credentials grant of a client whose service account has admin rights) must be set.
    type: str
  auth_password:
    description:
      - Password of O(auth_username).
    type: str
  auth_client_id:
    description:
      - Client used to get the admin token. C(admin-cli) is the public client Keycloak makes for this.
    type: str
    default: admin-cli
  auth_client_secret:
    description:
      - Secret of O(auth_client_id) when that client is confidential; alone (without O(auth_username)) it
        selects the client credentials grant.
    type: str
  validate_certs:
    description:
      - Verify Keycloak's TLS certificate.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
notes:
  - The admin token is requested once per task and requested again when it expires during the task (from
    its C(expires_in), and once more on an HTTP 401 answer).
"""
