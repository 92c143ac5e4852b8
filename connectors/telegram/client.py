"""aiogram ``Bot`` clients, one per token and API base (imported on first use: see send.py)."""

from __future__ import annotations

from typing import TypeVar

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError
from aiogram.utils.token import TokenValidationError

from connectors.telegram.config import ALLOWED_UPDATES, TelegramLineConfig
from connectors.telegram.errors import TelegramSetupError
from connectors.telegram.send import delivery_error
from inbox.domain.errors import DeliveryError, InboxError
from inbox.domain.models import Attachment

E = TypeVar("E", bound=InboxError)
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile serves files up to 20 MB


def make_bot(config: TelegramLineConfig) -> Bot:
    """A client for one bot, pointed at ``api_base`` (a fake in tests and the demo)."""
    try:
        session = AiohttpSession(api=TelegramAPIServer.from_base(config.api_base))
        return Bot(token=config.token.get_secret_value(), session=session)
    except TokenValidationError as e:
        raise TelegramSetupError(
            "the Telegram token must look like 123456:ABC...", code="bad_token"
        ) from e


async def close_bot(bot: Bot) -> None:
    await bot.session.close()


async def register(bot: Bot, config: TelegramLineConfig, webhook_url: str) -> tuple[int, str]:
    """getMe (checks the token), then setWebhook; returns the bot's id and username."""
    try:
        me = await bot.get_me()
        await bot.set_webhook(
            url=webhook_url,
            secret_token=config.secret.get_secret_value(),
            allowed_updates=list(ALLOWED_UPDATES),
        )
    except AiogramError as e:
        reason = redact(str(e), config.token.get_secret_value())
        # from None: the aiogram error may quote the Bot API URL, which holds the token.
        raise TelegramSetupError(f"Telegram refused the setup: {reason}") from None
    return me.id, me.username or ""


def redact(text: str, token: str) -> str:
    """Bot API URLs carry the token (``/bot<token>/``): keep it out of reasons and logs."""
    return text.replace(token, "<token>") if token else text


def scrub(error: E, token: str) -> E:
    """``error`` with the token removed from its message and its args (what str/repr show),
    and cut from the aiogram error that caused it, whose text may quote the Bot API URL."""
    error.message = redact(error.message, token)
    error.args = tuple(redact(a, token) if isinstance(a, str) else a for a in error.args)
    error.__cause__ = None
    error.__suppress_context__ = True
    return error


async def download(bot: Bot, attachment: Attachment) -> bytes | None:
    """getFile, then the file itself (its URL holds the token: errors never show it)."""
    if attachment.external_id is None:
        return None
    if attachment.size is not None and attachment.size > MAX_DOWNLOAD:
        raise DeliveryError("the file is larger than Telegram lets bots download", retryable=False)
    try:
        info = await bot.get_file(attachment.external_id)
        if info.file_path is None:
            raise DeliveryError("Telegram gave no path for the file", retryable=False)
        data = await bot.download_file(info.file_path)
    except AiogramError as e:
        raise scrub(delivery_error(e), bot.token) from None
    except aiohttp.ClientResponseError as e:
        # 4xx: the file_path link expired or the file is gone; asking again will not help.
        raise DeliveryError(f"file download: HTTP {e.status}", retryable=e.status >= 500) from None
    except (aiohttp.ClientError, TimeoutError) as e:
        raise DeliveryError(f"file download failed: {type(e).__name__}", retryable=True) from None
    return data.read() if data is not None else None
