"""The Telegram connector: secret-token check, update parsing, Bot API calls via aiogram.

One aiogram ``Bot`` per line (token and API base), created on first use and closed with
the connector. ``api_base`` (a line setting) points it at a fake Bot API in tests and in
the demo, so the same code runs against both.
"""

from __future__ import annotations

import hmac

import structlog
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError
from aiogram.utils.token import TokenValidationError

from connectors.telegram.config import ALLOWED_UPDATES, SECRET_HEADER, TelegramLineConfig
from connectors.telegram.errors import TelegramSetupError, delivery_error
from connectors.telegram.parse import parse_update
from connectors.telegram.send import plan, send_parts
from inbox.domain.errors import DeliveryError, Unauthorized
from inbox.domain.inbound import WebhookRequest, WebhookResult
from inbox.domain.models import Attachment, ChannelKind, Line, Message
from inbox.domain.ports import FileStore, OutboundTarget, SendReceipt

log = structlog.get_logger(__name__)

MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile serves files up to 20 MB


class TelegramConnector:
    kind = ChannelKind.TELEGRAM

    def __init__(self, files: FileStore | None = None) -> None:
        self._files = files
        self._bots: dict[tuple[str, str], Bot] = {}

    def bot(self, line: Line) -> Bot:
        """The aiogram client of a line (cached per token and API base)."""
        config = TelegramLineConfig.from_line(line)
        key = (config.token, config.api_base)
        bot = self._bots.get(key)
        if bot is None:
            try:
                session = AiohttpSession(api=TelegramAPIServer.from_base(config.api_base))
                bot = Bot(token=config.token, session=session)
            except TokenValidationError as e:
                raise TelegramSetupError(
                    "the Telegram token must look like 123456:ABC...", code="bad_token"
                ) from e
            self._bots[key] = bot
        return bot

    async def aclose(self) -> None:
        for bot in self._bots.values():
            await bot.session.close()
        self._bots.clear()

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult:
        expected = TelegramLineConfig.from_line(line).secret
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized(
                "bad or missing X-Telegram-Bot-Api-Secret-Token", code="bad_secret_token"
            )
        return WebhookResult(events=parse_update(request.body), body={})

    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt:
        try:
            chat_id = int(target.external_user_id)
        except ValueError as e:
            raise DeliveryError("not a Telegram chat id", retryable=False) from e
        parts = await plan(self.bot(target.line), chat_id, message, self._files)
        return await send_parts(parts)

    async def register(self, line: Line, webhook_url: str) -> Line:
        """getMe (checks the token), then setWebhook with the line's secret as secret_token."""
        config = TelegramLineConfig.from_line(line)
        bot = self.bot(line)
        try:
            me = await bot.get_me()
            await bot.set_webhook(
                url=webhook_url,
                secret_token=config.secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        except AiogramError as e:
            raise TelegramSetupError(f"Telegram refused the setup: {e}") from e
        log.info("telegram_webhook_set", line_id=line.id, bot=me.username)
        settings = {
            **line.settings,
            "webhook_url": webhook_url,
            "bot_id": me.id,
            "bot_username": me.username,
        }
        return line.model_copy(update={"settings": settings})

    async def fetch_file(self, line: Line, attachment: Attachment) -> bytes | None:
        """getFile, then download it (Telegram serves files up to 20 MB to bots)."""
        if attachment.external_id is None:
            return None
        if attachment.size is not None and attachment.size > MAX_DOWNLOAD:
            raise DeliveryError(
                "the file is larger than Telegram lets bots download", retryable=False
            )
        bot = self.bot(line)
        try:
            info = await bot.get_file(attachment.external_id)
            if info.file_path is None:
                raise DeliveryError("Telegram gave no path for the file", retryable=False)
            data = await bot.download_file(info.file_path)
        except AiogramError as e:
            raise delivery_error(e) from e
        except TimeoutError as e:
            raise DeliveryError("the file download timed out", retryable=True) from e
        return data.read() if data is not None else None
