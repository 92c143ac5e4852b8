"""The API channel connector: verify the HMAC signature, parse, and send to the callback."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import aiohttp

from connectors.api.config import (
    NEW_LINE_SCHEME,
    SIGNATURE_HEADER,
    SIGNATURE_PREFIX,
    TIMESTAMP_HEADER,
    TOLERANCE_S,
    ApiLineConfig,
)
from connectors.api.parse import parse_body
from connectors.api.send import callback_body, post_callback
from connectors.signing import verify, verify_timestamped
from inbox.domain.clock import Clock, SystemClock
from inbox.domain.errors import Unauthorized
from inbox.domain.inbound import WebhookRequest, WebhookResult
from inbox.domain.models import ChannelKind, Line, Message
from inbox.domain.ports import OutboundTarget, SendReceipt


class ApiConnector:
    kind = ChannelKind.API
    # The caller is a developer's system, not a platform that retries for hours: a refused
    # body gets 422 with the reason (it is also recorded in rejected_webhooks).
    reject_status = 422
    # New lines sign with a timestamp; lines stored without the setting keep the old scheme.
    new_line_settings: Mapping[str, Any] = MappingProxyType({"signature_scheme": NEW_LINE_SCHEME})

    def __init__(self, session: aiohttp.ClientSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult:
        config = ApiLineConfig.from_line(line)
        secret = config.secret.get_secret_value()
        signature = request.headers.get(SIGNATURE_HEADER.lower())
        if config.scheme == "body":
            if not verify(secret, request.body, signature, prefix=SIGNATURE_PREFIX):
                raise Unauthorized("bad or missing X-Inbox-Signature", code="bad_signature")
        elif not verify_timestamped(
            secret,
            request.body,
            signature,
            request.headers.get(TIMESTAMP_HEADER.lower()),
            now=self._clock.now().timestamp(),
            tolerance_s=TOLERANCE_S,
            prefix=SIGNATURE_PREFIX,
        ):
            raise Unauthorized(
                "bad or missing X-Inbox-Signature, or X-Inbox-Timestamp missing or more than "
                f"{int(TOLERANCE_S)} s away from the hub's clock",
                code="bad_signature",
            )
        event = parse_body(request.body)
        return WebhookResult(events=(event,), body={"ok": True})

    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt:
        config = ApiLineConfig.from_line(target.line)
        return await post_callback(
            self._session,
            config,
            callback_body(target, message),
            message.id,
            now=self._clock.now().timestamp(),
        )

    async def register(self, line: Line, webhook_url: str) -> Line:
        # Nothing to call: the other system is told the URL and the secret by the admin.
        settings = {**line.settings, "webhook_url": webhook_url}
        return line.model_copy(update={"settings": settings})
