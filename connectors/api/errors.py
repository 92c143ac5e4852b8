"""Errors of the API channel (all map onto the domain's tree)::

ApiChannelError (ValidationFailed)   malformed or invalid JSON body
"""

from __future__ import annotations

from inbox.domain.errors import ValidationFailed


class ApiChannelError(ValidationFailed):
    code = "invalid_payload"
