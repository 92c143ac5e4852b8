"""The API channel connector: verify the HMAC signature, parse, and send to the callback."""

from __future__ import annotations

import aiohttp

from connectors.api.config import SIGNATURE_HEADER, SIGNATURE_PREFIX, ApiLineConfig
from connectors.api.parse import parse_body
from connectors.api.send import callback_body, post_callback
from connectors.signing import verify
from inbox.domain.errors import Unauthorized
from inbox.domain.inbound import WebhookRequest, WebhookResult
from inbox.domain.models import ChannelKind, Line, Message
from inbox.domain.ports import OutboundTarget, SendReceipt


class ApiConnector:
    kind = ChannelKind.API
    # The caller is a developer's system, not a platform that retries for hours: a refused
    # body gets 422 with the reason (it is also recorded in rejected_webhooks).
    reject_status = 422

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult:
        config = ApiLineConfig.from_line(line)
        signature = request.headers.get(SIGNATURE_HEADER.lower())
        if not verify(config.secret, request.body, signature, prefix=SIGNATURE_PREFIX):
            raise Unauthorized("bad or missing X-Inbox-Signature", code="bad_signature")
        event = parse_body(request.body)
        return WebhookResult(events=(event,), body={"ok": True})

    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt:
        config = ApiLineConfig.from_line(target.line)
        return await post_callback(
            self._session, config, callback_body(target, message), message.id
        )

    async def register(self, line: Line, webhook_url: str) -> Line:
        # Nothing to call: the other system is told the URL and the secret by the admin.
        return line.model_copy(update={"settings": {**line.settings, "webhook_url": webhook_url}})
