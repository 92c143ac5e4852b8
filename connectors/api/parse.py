"""Parse the API channel's JSON body into normalized inbound events (pure functions).

Body shape (``type`` defaults to ``message``)::

    {"type": "message", "message_id": "m-1", "user": {"id": "u-1", "name": "Ann",
     "email": "ann@example.com", "phone": "+380..."}, "text": "Hi",
     "attachments": [{"type": "image", "url": "https://...", "name": "a.png", "size": 10}],
     "reply_to": "m-0", "sent_at": "2026-01-05T09:00:00Z", "source": "pricing-form"}

    {"type": "status", "message_id": "<id we returned>", "status": "delivered"}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors import jsonbody
from connectors.api.errors import ApiChannelError
from inbox.domain.inbound import Ignored, InboundEvent, InboundMessage, StatusUpdate
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RawUser(_Raw):
    id: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=300)
    username: str | None = Field(default=None, max_length=300)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    language: str | None = Field(default=None, max_length=16)


class RawAttachment(_Raw):
    type: AttachmentKind
    url: str | None = Field(default=None, max_length=4096)
    name: str | None = Field(default=None, max_length=500)
    size: int | None = Field(default=None, ge=0)
    mime_type: str | None = Field(default=None, max_length=200)


class RawMessage(_Raw):
    type: Literal["message"] = "message"
    message_id: str = Field(min_length=1, max_length=256)
    user: RawUser
    text: str | None = Field(default=None, max_length=65_536)
    attachments: list[RawAttachment] = Field(default_factory=list, max_length=20)
    reply_to: str | None = None
    sent_at: datetime | None = None
    edited_at: datetime | None = None
    source: str | None = Field(default=None, max_length=500)
    subject: str | None = Field(default=None, max_length=500)


class RawStatus(_Raw):
    type: Literal["status"]
    message_id: str = Field(min_length=1, max_length=256)
    status: Literal["delivered", "read", "failed"]
    error: str | None = None
    at: datetime | None = None


def _message(body: dict[str, Any]) -> InboundEvent:
    raw = RawMessage.model_validate(body)
    if not (raw.text and raw.text.strip()) and not raw.attachments:
        raise ApiChannelError("a message needs text or attachments", code="empty_message")
    return InboundMessage(
        external_id=raw.message_id,
        external_user_id=raw.user.id,
        user_name=raw.user.name,
        username=raw.user.username,
        email=raw.user.email,
        phone=raw.user.phone,
        language=raw.user.language,
        text=raw.text,
        attachments=tuple(
            Attachment(kind=a.type, url=a.url, name=a.name, size=a.size, mime_type=a.mime_type)
            for a in raw.attachments
        ),
        reply_to_external_id=raw.reply_to,
        sent_at=raw.sent_at,
        edited_at=raw.edited_at,
        source=raw.source,
        subject=raw.subject,
    )


def _status(body: dict[str, Any]) -> InboundEvent:
    raw = RawStatus.model_validate(body)
    return StatusUpdate(
        external_id=raw.message_id, status=DeliveryStatus(raw.status), at=raw.at, error=raw.error
    )


HANDLERS: dict[str, Callable[[dict[str, Any]], InboundEvent]] = {
    "message": _message,
    "status": _status,
}


def parse_body(body: bytes) -> InboundEvent:
    """One event from a request body; raises ``ApiChannelError`` with a clear message."""
    try:
        data = jsonbody.loads(body)
    except jsonbody.BodyError as e:
        raise ApiChannelError(str(e), code=e.code) from e
    if not isinstance(data, dict):
        raise ApiChannelError("body must be a JSON object", code="invalid_json")
    kind = data.get("type", "message")
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return Ignored(reason="unknown event type", kind=str(kind)[:64])
    try:
        return handler(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5]
        )
        raise ApiChannelError(f"invalid {kind}: {problems}") from e
