"""Send an operator's reply through the Bot API: text (split at 4096), photos, documents.

This module and :mod:`connectors.telegram.client` are the only ones that import aiogram,
which takes seconds to import: the connector loads them on first use, so the CLI and a
hub without Telegram lines never pay for it (webhooks are parsed without aiogram).

Errors are translated by :func:`delivery_error` (at the end). When a reply
needs several Bot API calls (long text, several files) and a later call fails after an
earlier one went out, retrying the whole reply would send the first part twice. So a
later part waits out a short 429 here and tries again; if it still fails, the reply fails
with a reason that says how much the customer got, and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InputFile
from aiogram.types import Message as TgMessage

from connectors.telegram.config import CAPTION_LIMIT, TEXT_LIMIT
from connectors.textsplit import split_text, utf16_len
from inbox.domain.errors import DeliveryError
from inbox.domain.models import Attachment, AttachmentKind, Message
from inbox.domain.ports import FileStore, SendReceipt

log = structlog.get_logger(__name__)

# A later part waits at most this long for a 429 to pass before the reply fails.
INLINE_WAIT_S = 10.0
INLINE_TRIES = 3

Call = Callable[[], Awaitable[TgMessage]]


@dataclass(frozen=True, slots=True)
class Part:
    what: str
    call: Call


async def _media(files: FileStore | None, attachment: Attachment) -> InputFile | str:
    """What to give the Bot API for a file: our stored bytes, a URL or a Telegram file id."""
    if attachment.file_id is not None and files is not None:
        data, meta = await files.get(attachment.file_id)
        name = attachment.name or str(meta.get("name") or "file")
        return BufferedInputFile(data, filename=name)
    if attachment.url:
        return attachment.url
    if attachment.external_id:
        return attachment.external_id
    raise DeliveryError("the attachment has no file, URL or Telegram file id", retryable=False)


async def plan(bot: Bot, chat_id: int, message: Message, files: FileStore | None) -> list[Part]:
    """The Bot API calls one reply needs, in order."""
    text = message.text or ""
    sendable = [
        a
        for a in message.attachments
        if a.kind not in (AttachmentKind.LOCATION, AttachmentKind.CONTACT, AttachmentKind.LINK)
    ]
    caption: str | None = None
    if len(sendable) == 1 and text and utf16_len(text) <= CAPTION_LIMIT:
        caption, text = text, ""
    parts: list[Part] = []
    if text.strip():
        for chunk in split_text(text, TEXT_LIMIT):
            parts.append(Part("text", partial(bot.send_message, chat_id, chunk)))
    for attachment in sendable:
        media = await _media(files, attachment)
        if attachment.kind is AttachmentKind.IMAGE:
            parts.append(Part("photo", partial(bot.send_photo, chat_id, media, caption=caption)))
        else:
            parts.append(
                Part("document", partial(bot.send_document, chat_id, media, caption=caption))
            )
        caption = None
    if not parts:
        raise DeliveryError("nothing to send to Telegram (no text or file)", retryable=False)
    return parts


async def _later_part(part: Part) -> TgMessage:
    for attempt in range(INLINE_TRIES):
        try:
            return await part.call()
        except TelegramRetryAfter as e:
            if e.retry_after > INLINE_WAIT_S or attempt == INLINE_TRIES - 1:
                raise
            await asyncio.sleep(e.retry_after)
    raise AssertionError("unreachable")  # pragma: no cover


async def send_parts(parts: list[Part]) -> SendReceipt:
    """Run the calls; the receipt names every Telegram message as ``chat_id:message_id``."""
    ids: list[str] = []
    for index, part in enumerate(parts):
        try:
            sent = await (part.call() if index == 0 else _later_part(part))
        except AiogramError as e:
            error = delivery_error(e)
            if not ids:
                raise error from e
            log.warning("telegram_partial_send", sent=len(ids), total=len(parts))
            partial = DeliveryError(
                f"only {len(ids)} of {len(parts)} parts reached the customer: {error.message}",
                retryable=False,  # a retry would send the first parts twice
                contact_unreachable=error.contact_unreachable,
            )
            partial.code = "telegram_partial"
            raise partial from e
        ids.append(f"{sent.chat.id}:{sent.message_id}")
    return SendReceipt(external_id=ids[0], extra_external_ids=tuple(ids[1:]))


def delivery_error(e: AiogramError) -> DeliveryError:
    """The hub's view of a failed Bot API call: retryable or not, and why, for the operator."""
    error: DeliveryError
    if isinstance(e, TelegramRetryAfter):
        error = DeliveryError(
            f"Telegram rate limit: retry after {e.retry_after} s",
            retryable=True,
            retry_after=float(e.retry_after),
        )
        error.code = "telegram_429"
    elif isinstance(e, TelegramForbiddenError):
        error = DeliveryError(
            f"The customer blocked the bot or deleted the account ({e.message})",
            retryable=False,
            contact_unreachable=True,
        )
        error.code = "telegram_403"
    elif isinstance(e, TelegramUnauthorizedError):
        error = DeliveryError(f"Telegram rejected the bot token ({e.message})", retryable=False)
        error.code = "telegram_401"
    elif isinstance(e, TelegramBadRequest | TelegramNotFound | TelegramMigrateToChat):
        error = DeliveryError(f"Telegram refused the message: {e.message}", retryable=False)
        error.code = "telegram_400"
    elif isinstance(e, TelegramServerError | TelegramNetworkError | ClientDecodeError):
        error = DeliveryError(f"Telegram is unavailable: {_describe(e)}", retryable=True)
        error.code = "telegram_unavailable"
    else:  # other API errors (409 conflict...) and unknown ones: try again later
        error = DeliveryError(f"Telegram error: {_describe(e)}", retryable=True)
        error.code = "telegram_error"
    return error


def _describe(e: AiogramError) -> str:
    if isinstance(e, TelegramAPIError):
        return e.message
    return str(e) or type(e).__name__
