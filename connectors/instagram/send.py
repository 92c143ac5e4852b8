"""Calls to the Graph API and the Send API bodies of one reply.

Every call carries the token in an ``Authorization: Bearer`` header (never in a URL we
log). Graph answers errors as ``{"error": {"code", "error_subcode", "message"}}``, mapped
by :func:`connectors.instagram.errors.delivery_error`. A reply becomes one Send API call
per text part (split at the platform's limit), per file, with the quick replies on the
last text part.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from connectors.instagram.config import (
    QUICK_REPLIES_MAX,
    QUICK_REPLY_TITLE_MAX,
    TEXT_LIMIT,
    InstagramLineConfig,
)
from connectors.instagram.errors import delivery_error, refused
from connectors.instagram.window import Mode
from connectors.textsplit import split_text
from inbox.domain.errors import DeliveryError
from inbox.domain.models import AttachmentKind, Message
from inbox.domain.ports import SendReceipt

TIMEOUT = aiohttp.ClientTimeout(total=15)
_MEDIA_TYPES = {
    AttachmentKind.IMAGE: "image",
    AttachmentKind.STICKER: "image",
    AttachmentKind.VIDEO: "video",
    AttachmentKind.AUDIO: "audio",
    AttachmentKind.VOICE: "audio",
    AttachmentKind.DOCUMENT: "file",
}


class Unreachable(DeliveryError):
    """Graph did not give a usable answer (network error, not JSON)."""


async def call(
    session: aiohttp.ClientSession,
    config: InstagramLineConfig,
    method: str,
    url: str,
    *,
    payload: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
    what: str = "message",
) -> dict[str, Any]:
    """One Graph call; the decoded answer, or ``DeliveryError`` with a readable reason
    (``what`` names the thing refused: the message, the profile lookup...)."""
    headers = {"Authorization": f"Bearer {config.access_token.get_secret_value()}"}
    data = None
    if payload is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    try:
        async with session.request(
            method, url, data=data, params=params, headers=headers, timeout=TIMEOUT
        ) as resp:
            text = await resp.text(errors="replace")
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as e:
        raise Unreachable(f"Instagram unreachable: {type(e).__name__}", retryable=True) from None
    try:
        answer = json.loads(text) if text else {}
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        raise Unreachable(f"Instagram answered HTTP {status} without JSON", retryable=True)
    error = answer.get("error")
    if status >= 400 or isinstance(error, dict):
        err = error if isinstance(error, dict) else {}
        code = err.get("code") if isinstance(err.get("code"), int) else None
        sub = err.get("error_subcode") if isinstance(err.get("error_subcode"), int) else None
        message = str(err.get("message") or f"HTTP {status}")
        raise delivery_error(status, code, sub, _redact(message, config), what)
    return answer


def _redact(text: str, config: InstagramLineConfig) -> str:
    token = config.access_token.get_secret_value()
    return text.replace(token, "<token>") if token else text


def split_utf8(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most ``limit`` UTF-8 bytes each, cut at natural boundaries; joined they
    give back ``text``."""
    out: list[str] = []
    for part in split_text(text, limit):
        size = len(part.encode())
        if size <= limit:
            out.append(part)
        else:  # 2 to 4 bytes a character: cut this part finer, in proportion
            out.extend(_finer(part, limit, size))
    return out


def _finer(text: str, limit: int, size: int) -> list[str]:
    units = max(2, limit * len(text) // size)
    out: list[str] = []
    for part in split_text(text, units):
        part_size = len(part.encode())
        out.extend([part] if part_size <= limit else _finer(part, limit, part_size))
    return out


def quick_replies(message: Message) -> list[dict[str, str]]:
    choices = message.quick_replies
    if len(choices) > QUICK_REPLIES_MAX:
        raise refused(
            f"Instagram shows at most {QUICK_REPLIES_MAX} quick replies, this message has "
            f"{len(choices)}",
            "instagram_quick_replies",
        )
    for title in choices:
        if not title.strip() or len(title) > QUICK_REPLY_TITLE_MAX:
            raise refused(
                f"a quick reply title must have 1 to {QUICK_REPLY_TITLE_MAX} characters: "
                f"{title[:40]!r}",
                "instagram_quick_replies",
            )
    return [{"content_type": "text", "title": t, "payload": t} for t in choices]


def bodies(mode: Mode, message: Message) -> list[dict[str, Any]]:
    """The Send API bodies of one reply: text parts, then each file."""
    base: dict[str, Any] = {"recipient": mode.recipient, **mode.fields}
    out: list[dict[str, Any]] = []
    text = message.text or ""
    if text.strip():
        out.extend({**base, "message": {"text": part}} for part in split_utf8(text))
    choices = quick_replies(message)
    if choices:
        if not out:
            raise refused("quick replies need a text to go with", "instagram_quick_replies")
        out[-1]["message"]["quick_replies"] = choices
    for a in message.attachments:
        kind = _MEDIA_TYPES.get(a.kind)
        if kind is None:
            raise refused(
                f"Instagram cannot send a {a.kind.value} attachment", "instagram_attachment"
            )
        if not a.url:
            raise refused(
                "Instagram sends files only from a public URL, and this attachment has none",
                "instagram_attachment",
            )
        out.append({**base, "message": {"attachment": {"type": kind, "payload": {"url": a.url}}}})
    if not out:
        raise refused("nothing to send to Instagram (no text or file)", "instagram_empty")
    if mode.private_reply and len(out) > 1:
        raise refused(
            "a private reply to a comment is one text message of at most "
            f"{TEXT_LIMIT} bytes, without files",
            "instagram_private_reply_size",
        )
    return out


async def send_bodies(
    session: aiohttp.ClientSession, config: InstagramLineConfig, parts: list[dict[str, Any]]
) -> SendReceipt:
    ids: list[str] = []
    for body in parts:
        try:
            answer = await call(session, config, "POST", config.send_path, payload=body)
        except DeliveryError as e:
            if not ids:
                raise
            partial = DeliveryError(
                f"only {len(ids)} of {len(parts)} parts reached the customer: {e.message}",
                retryable=False,  # a retry would send the first parts twice
                contact_unreachable=e.contact_unreachable,
            )
            partial.code = "instagram_partial"
            raise partial from e
        mid = answer.get("message_id")
        if not isinstance(mid, str) or not mid:
            raise Unreachable("Instagram accepted the call but named no message", retryable=False)
        ids.append(mid)
    return SendReceipt(external_id=ids[0], extra_external_ids=tuple(ids[1:]))
