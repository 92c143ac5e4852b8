"""Errors of the API channel (all map onto the domain's tree)::

ApiChannelError (PayloadRejected)   malformed or invalid JSON body
"""

from __future__ import annotations

from inbox.domain.errors import PayloadRejected


class ApiChannelError(PayloadRejected):
    code = "invalid_payload"
