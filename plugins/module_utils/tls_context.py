# -*- coding: utf-8 -*-
# Copyright: AEGIS platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One TLS context per HTTP client (the Keycloak and OpenBao clients).

``ansible.module_utils.urls.Request.open`` builds a new context for every request unless it is given one, also for
``http://`` URLs; loading the CA store costs ~35 ms a request. ansible-core 2.17 and later take ``context``; 2.16
does not, and builds its own.
"""

from __future__ import annotations

import inspect
import typing as t

from ansible.module_utils.urls import Request, make_context

REQUEST_TAKES_CONTEXT = "context" in inspect.signature(Request.open).parameters


class TlsContext:
    """The ``context`` keyword for ``Request.open``, made once on first use with ``make_context``'s options."""

    def __init__(self, **options: t.Any) -> None:
        self._options = options
        self._context: t.Any = None

    def open_kwargs(self) -> dict[str, t.Any]:
        if not REQUEST_TAKES_CONTEXT:
            return {}
        if self._context is None:
            self._context = make_context(**self._options)
        return {"context": self._context}
