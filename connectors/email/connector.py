"""The email connector: no webhook (mail arrives by IMAP, see ``imap.py``); replies by SMTP."""

from __future__ import annotations

import structlog

from connectors.email.config import EmailLineConfig
from connectors.email.errors import EmailConfigError
from connectors.email.imapwire import append_copy
from connectors.email.send import build_reply, smtp_send
from inbox.domain.clock import Clock, SystemClock
from inbox.domain.errors import DeliveryError, ValidationFailed
from inbox.domain.inbound import WebhookRequest, WebhookResult
from inbox.domain.models import ChannelKind, Line, Message
from inbox.domain.ports import FileStore, MessageRepository, OutboundTarget, SendReceipt

log = structlog.get_logger(__name__)


class EmailConnector:
    kind = ChannelKind.EMAIL

    def __init__(
        self,
        files: FileStore | None = None,
        history: MessageRepository | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._files = files
        self._history = history
        self._clock = clock or SystemClock()

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult:
        raise ValidationFailed(
            "email lines receive mail over IMAP, not by webhook", code="no_webhook"
        )

    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt:
        try:
            config = EmailLineConfig.from_line(target.line)
        except EmailConfigError as e:
            raise DeliveryError(e.message, retryable=False) from None
        history = (
            await self._history.list_for_conversation(target.conversation.id, limit=20)
            if self._history is not None
            else []
        )
        mail, mid = await build_reply(
            config, target, message, history, self._files, self._clock.now()
        )
        await smtp_send(config, mail)
        if config.sent_folder:
            try:
                await append_copy(config, mail.as_bytes())
            except Exception as e:  # the customer has the mail; a missing copy is not a failure
                log.warning("mail_sent_copy_failed", line_id=target.line.id, error=str(e)[:200])
        return SendReceipt(external_id=mid)

    def validate(self, line: Line) -> None:
        """Raise ``EmailConfigError`` (a 4xx) saying what a new line's settings lack."""
        EmailLineConfig.from_line(line)

    async def register(self, line: Line, webhook_url: str) -> Line:
        self.validate(line)
        return line
