"""The Telegram connector: secret-token check, update parsing, Bot API calls via aiogram.

One aiogram ``Bot`` per line (token and API base), created on first use and closed with
the connector. ``api_base`` (a line setting) points it at a fake Bot API in tests and in
the demo, so the same code runs against both. aiogram is imported lazily (see send.py):
handling a webhook never needs it.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import structlog

from connectors.signing import secrets_equal
from connectors.telegram.config import SECRET_HEADER, TelegramLineConfig
from connectors.telegram.parse import parse_update
from inbox.domain.errors import DeliveryError, Unauthorized
from inbox.domain.inbound import WebhookRequest, WebhookResult
from inbox.domain.models import Attachment, ChannelKind, Line, Message
from inbox.domain.ports import FileStore, OutboundTarget, SendReceipt

if TYPE_CHECKING:
    from aiogram import Bot

log = structlog.get_logger(__name__)


class TelegramConnector:
    kind = ChannelKind.TELEGRAM

    def __init__(self, files: FileStore | None = None) -> None:
        self._files = files
        self._bots: dict[tuple[str, str], Any] = {}

    def bot(self, line: Line) -> Bot:
        """The aiogram client of a line (cached per token and API base)."""
        from connectors.telegram.client import make_bot

        config = TelegramLineConfig.from_line(line)
        # Keyed by a digest: the plain token stays out of this object's state.
        key = (
            hashlib.sha256(config.token.get_secret_value().encode()).hexdigest(),
            config.api_base,
        )
        if key not in self._bots:
            self._bots[key] = make_bot(config)
        bot: Bot = self._bots[key]
        return bot

    async def aclose(self) -> None:
        if self._bots:
            from connectors.telegram.client import close_bot

            for bot in self._bots.values():
                await close_bot(bot)
        self._bots.clear()

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult:
        expected = TelegramLineConfig.from_line(line).secret.get_secret_value()
        if not secrets_equal(request.headers.get(SECRET_HEADER), expected):
            raise Unauthorized(
                "bad or missing X-Telegram-Bot-Api-Secret-Token", code="bad_secret_token"
            )
        return WebhookResult(events=parse_update(request.body), body={})

    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt:
        from connectors.telegram.client import scrub
        from connectors.telegram.send import plan, send_parts

        try:
            chat_id = int(target.external_user_id)
        except ValueError as e:
            raise DeliveryError("not a Telegram chat id", retryable=False) from e
        bot = self.bot(target.line)
        try:
            return await send_parts(await plan(bot, chat_id, message, self._files))
        except DeliveryError as e:
            raise scrub(e, bot.token) from None  # shown to operators and logged

    async def register(self, line: Line, webhook_url: str) -> Line:
        """getMe (checks the token), then setWebhook with the line's secret as secret_token."""
        from connectors.telegram.client import register

        config = TelegramLineConfig.from_line(line)
        bot_id, username = await register(self.bot(line), config, webhook_url)
        log.info("telegram_webhook_set", line_id=line.id, bot=username)
        settings = {
            **line.settings,
            "webhook_url": webhook_url,
            "bot_id": bot_id,
            "bot_username": username,
        }
        return line.model_copy(update={"settings": settings})

    async def fetch_file(self, line: Line, attachment: Attachment) -> bytes | None:
        """getFile, then download it (Telegram serves files up to 20 MB to bots)."""
        if attachment.external_id is None:
            return None
        from connectors.telegram.client import download

        return await download(self.bot(line), attachment)
