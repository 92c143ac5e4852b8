"""Deliver a reply to the line's callback URL, signed like inbound requests (the line's
scheme: ``X-Inbox-Timestamp`` and a signature over ``timestamp.body``, or the body only).

The receiving system answers 2xx (optionally ``{"id": "..."}`` to name the message on its
side). 429 and 5xx are retryable (``Retry-After`` honoured), other 4xx are permanent.
Connection errors get two quick retries here (tenacity), then go back to the hub's
persistent retry queue.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from connectors.api.config import ApiLineConfig, signed_headers
from inbox.domain.errors import DeliveryError
from inbox.domain.models import Message
from inbox.domain.ports import OutboundTarget, SendReceipt

TIMEOUT = aiohttp.ClientTimeout(total=15)


def callback_body(target: OutboundTarget, message: Message) -> bytes:
    payload: dict[str, Any] = {
        "type": "message",
        "message_id": message.id,  # also the receiver's idempotency key across our retries
        "conversation_id": target.conversation.id,
        "user_id": target.external_user_id,
        "text": message.text,
        "attachments": [a.model_dump(mode="json", exclude_none=True) for a in message.attachments],
        "created_at": message.created_at.isoformat(),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


async def post_callback(
    session: aiohttp.ClientSession,
    config: ApiLineConfig,
    body: bytes,
    message_id: str,
    *,
    now: float,
) -> SendReceipt:
    if config.callback_url is None:
        raise DeliveryError("this line has no callback URL for replies", retryable=False)
    headers = {
        "Content-Type": "application/json",
        **signed_headers(config.secret.get_secret_value(), body, now=now, scheme=config.scheme),
        "Idempotency-Key": message_id,
    }
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(aiohttp.ClientConnectionError),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
        ):
            with attempt:
                async with session.post(
                    str(config.callback_url), data=body, headers=headers, timeout=TIMEOUT
                ) as resp:
                    text = await resp.text(errors="replace")
                    status = resp.status
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
    except (aiohttp.ClientError, TimeoutError) as e:
        raise DeliveryError(f"callback unreachable: {e or type(e).__name__}", retryable=True) from e
    if status == 429 or status >= 500:
        raise DeliveryError(f"callback answered {status}", retryable=True, retry_after=retry_after)
    if status >= 400:
        raise DeliveryError(f"callback answered {status}: {text[:200]}", retryable=False)
    external_id = message_id
    try:
        answer = json.loads(text) if text else {}
        if isinstance(answer, dict) and isinstance(answer.get("id"), str | int):
            external_id = str(answer["id"])
    except json.JSONDecodeError:
        pass  # a 2xx without JSON is still a success
    return SendReceipt(external_id=external_id)
