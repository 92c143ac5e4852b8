"""Calls to the Viber REST Bot API: ``set_webhook`` and ``send_message``.

Every call is a JSON POST to ``{api_base}/{endpoint}`` with ``X-Viber-Auth-Token``.
Viber answers HTTP 200 with ``status`` 0 on success and another code on failure; the HTTP
status only says whether Viber was reachable (5xx and network errors are retryable).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from connectors.textsplit import split_text
from connectors.viber.config import AUTH_HEADER, TEXT_LIMIT, ViberLineConfig
from connectors.viber.errors import delivery_error
from inbox.domain.errors import DeliveryError
from inbox.domain.models import AttachmentKind, Message
from inbox.domain.ports import OutboundTarget, SendReceipt

TIMEOUT = aiohttp.ClientTimeout(total=15)
PICTURE_TEXT_LIMIT = 768


class Unreachable(DeliveryError):
    """Viber did not give a usable answer (network error, 5xx, not JSON)."""


async def call(
    session: aiohttp.ClientSession, config: ViberLineConfig, endpoint: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """POST one API call; the decoded answer (check its ``status``)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {AUTH_HEADER: config.token.get_secret_value(), "Content-Type": "application/json"}
    try:
        async with session.post(
            f"{config.api_base}/{endpoint}", data=body, headers=headers, timeout=TIMEOUT
        ) as resp:
            text = await resp.text(errors="replace")
            status = resp.status
    except (aiohttp.ClientError, TimeoutError) as e:
        raise Unreachable(f"Viber unreachable: {e or type(e).__name__}", retryable=True) from e
    if status >= 500 or status == 429:
        raise Unreachable(f"Viber answered HTTP {status}", retryable=True)
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as e:
        raise Unreachable(f"Viber answered HTTP {status} without JSON", retryable=True) from e
    if not isinstance(answer, dict):
        raise Unreachable(f"Viber answered HTTP {status} with an unexpected body", retryable=True)
    return answer


def payloads(config: ViberLineConfig, receiver: str, message: Message) -> list[dict[str, Any]]:
    """The ``send_message`` bodies of one reply: text parts first, then each file."""
    sender: dict[str, Any] = {"name": config.sender_name}
    if config.sender_avatar:
        sender["avatar"] = config.sender_avatar
    base = {"receiver": receiver, "sender": sender, "tracking_data": message.id}
    out: list[dict[str, Any]] = []
    text = message.text or ""
    files = [
        a
        for a in message.attachments
        if a.kind not in (AttachmentKind.LOCATION, AttachmentKind.CONTACT, AttachmentKind.LINK)
    ]
    caption = ""
    if (
        len(files) == 1
        and files[0].kind is AttachmentKind.IMAGE
        and len(text) <= PICTURE_TEXT_LIMIT
    ):
        caption, text = text, ""
    if text.strip():
        out.extend(
            {**base, "type": "text", "text": chunk} for chunk in split_text(text, TEXT_LIMIT)
        )
    for a in files:
        if not a.url:
            raise DeliveryError(
                "Viber sends files only from a public URL, and this attachment has none",
                retryable=False,
            )
        if a.kind is AttachmentKind.IMAGE:
            out.append({**base, "type": "picture", "media": a.url, "text": caption})
            caption = ""
        else:
            out.append(
                {
                    **base,
                    "type": "file",
                    "media": a.url,
                    "size": a.size or 0,
                    "file_name": a.name or a.url.rsplit("/", 1)[-1] or "file",
                }
            )
    if not out:
        raise DeliveryError("nothing to send to Viber (no text or file)", retryable=False)
    return out


async def send_message(
    session: aiohttp.ClientSession,
    config: ViberLineConfig,
    target: OutboundTarget,
    message: Message,
) -> SendReceipt:
    tokens: list[str] = []
    bodies = payloads(config, target.external_user_id, message)
    for body in bodies:
        try:
            answer = await call(session, config, "send_message", body)
            status = int(answer.get("status", -1))
            if status != 0:
                raise delivery_error(status, str(answer.get("status_message") or ""))
        except DeliveryError as e:
            if not tokens:
                raise
            partial = DeliveryError(
                f"only {len(tokens)} of {len(bodies)} parts reached the customer: {e.message}",
                retryable=False,  # a retry would send the first parts twice
                contact_unreachable=e.contact_unreachable,
            )
            partial.code = "viber_partial"
            raise partial from e
        tokens.append(str(answer.get("message_token")))
    return SendReceipt(external_id=tokens[0], extra_external_ids=tuple(tokens[1:]))
