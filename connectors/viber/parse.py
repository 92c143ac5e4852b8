"""Parse Viber callbacks into normalized inbound events (pure functions).

``message_token`` is a 64-bit integer (sometimes a string in SDK samples): it is kept as
its decimal string, never a float. Timestamps are milliseconds. Receipts (``delivered``,
``seen``, ``failed``) carry the token of *our* message they report on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors import jsonbody
from connectors.viber.errors import ViberPayloadError
from inbox.domain.inbound import ContactUpdate, Ignored, InboundEvent, InboundMessage, StatusUpdate
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus

CONTEXT_CHARS = 256  # a deep-link context kept as a conversation source, at most


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RawUser(_Raw):
    id: str
    name: str = ""
    language: str | None = None
    country: str | None = None


class RawLocation(_Raw):
    lat: float
    lon: float


class RawContact(_Raw):
    name: str | None = None
    phone_number: str | None = None


class RawContent(_Raw):
    type: str
    text: str | None = None
    media: str | None = None
    file_name: str | None = None
    size: int | None = None
    sticker_id: int | str | None = None
    location: RawLocation | None = None
    contact: RawContact | None = None


class RawMessageEvent(_Raw):
    timestamp: int | None = None
    message_token: int | str
    sender: RawUser
    message: RawContent


class RawUserEvent(_Raw):
    timestamp: int | None = None
    user: RawUser
    subscribed: bool | None = None
    context: str | None = None


class RawReceipt(_Raw):
    timestamp: int | None = None
    message_token: int | str
    user_id: str | None = None
    desc: str | None = None


class RawUnsubscribed(_Raw):
    timestamp: int | None = None
    user_id: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """The events of one callback, and whether Viber lets us answer with a welcome."""

    events: tuple[InboundEvent, ...]
    welcome_allowed: bool = False
    context: str | None = None


def _at(ms: int | None) -> datetime | None:
    if not ms:
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None  # the SDK's test vector carries a nonsense timestamp


def _attachments(content: RawContent) -> tuple[Attachment, ...] | None:
    kind = content.type
    if kind == "text":
        return ()
    if kind == "picture":
        return (
            Attachment(
                kind=AttachmentKind.IMAGE,
                url=content.media,
                name=content.file_name,
                size=content.size,
            ),
        )
    if kind == "video":
        return (Attachment(kind=AttachmentKind.VIDEO, url=content.media, size=content.size),)
    if kind == "file":
        return (
            Attachment(
                kind=AttachmentKind.DOCUMENT,
                url=content.media,
                name=content.file_name,
                size=content.size,
            ),
        )
    if kind == "sticker":
        sticker = str(content.sticker_id) if content.sticker_id is not None else None
        return (Attachment(kind=AttachmentKind.STICKER, external_id=sticker, url=content.media),)
    if kind == "url":
        return (Attachment(kind=AttachmentKind.LINK, url=content.media),)
    if kind == "location" and content.location is not None:
        return (
            Attachment(
                kind=AttachmentKind.LOCATION,
                latitude=content.location.lat,
                longitude=content.location.lon,
            ),
        )
    if kind == "contact" and content.contact is not None:
        return (
            Attachment(
                kind=AttachmentKind.CONTACT,
                name=content.contact.name,
                phone=content.contact.phone_number,
            ),
        )
    return None


def _message(data: dict[str, Any]) -> Parsed:
    raw = RawMessageEvent.model_validate(data)
    attachments = _attachments(raw.message)
    if attachments is None:
        return Parsed((Ignored(reason="message type not handled", kind=raw.message.type[:64]),))
    text = raw.message.text
    if not (text and text.strip()) and not attachments:
        return Parsed((Ignored(reason="empty message", kind=raw.message.type[:64]),))
    return Parsed(
        (
            InboundMessage(
                external_id=str(raw.message_token),
                external_user_id=raw.sender.id,
                user_name=raw.sender.name,
                language=raw.sender.language,
                text=text,
                attachments=attachments,
                sent_at=_at(raw.timestamp),
            ),
        )
    )


def _user_update(
    data: dict[str, Any], *, reachable: bool | None, source: str | None = None
) -> ContactUpdate:
    raw = RawUserEvent.model_validate(data)
    return ContactUpdate(
        external_user_id=raw.user.id,
        user_name=raw.user.name or None,
        language=raw.user.language,
        reachable=reachable,
        create=True,  # Viber tells us who they are before they write: keep them
        source=source,
    )


def _conversation_started(data: dict[str, Any]) -> Parsed:
    raw = RawUserEvent.model_validate(data)
    # A subscriber coming back must not get a second welcome.
    # The deep link's context (viber://pa?chatURI=...&context=...) becomes the source of
    # the conversation the customer's first message starts, as Telegram's /start payload.
    context = (raw.context or "").strip()[:CONTEXT_CHARS] or None
    return Parsed(
        (_user_update(data, reachable=None, source=context),),
        welcome_allowed=not raw.subscribed,
        context=raw.context,
    )


def _subscribed(data: dict[str, Any]) -> Parsed:
    return Parsed((_user_update(data, reachable=True),))


def _unsubscribed(data: dict[str, Any]) -> Parsed:
    raw = RawUnsubscribed.model_validate(data)
    return Parsed((ContactUpdate(external_user_id=raw.user_id, reachable=False),))


def _receipt(status: DeliveryStatus) -> Callable[[dict[str, Any]], Parsed]:
    def parse(data: dict[str, Any]) -> Parsed:
        raw = RawReceipt.model_validate(data)
        return Parsed(
            (
                StatusUpdate(
                    external_id=str(raw.message_token),
                    status=status,
                    at=_at(raw.timestamp),
                    error=(raw.desc or "Viber could not deliver the message")
                    if status is DeliveryStatus.FAILED
                    else None,
                ),
            )
        )

    return parse


def _webhook(data: dict[str, Any]) -> Parsed:
    return Parsed((Ignored(reason="webhook verification", kind="webhook"),))


HANDLERS: dict[str, Callable[[dict[str, Any]], Parsed]] = {
    "message": _message,
    "conversation_started": _conversation_started,
    "subscribed": _subscribed,
    "unsubscribed": _unsubscribed,
    "delivered": _receipt(DeliveryStatus.DELIVERED),
    "seen": _receipt(DeliveryStatus.READ),
    "failed": _receipt(DeliveryStatus.FAILED),
    "webhook": _webhook,
}


def parse_callback(body: bytes) -> Parsed:
    """The events of one callback body; raises ``ViberPayloadError`` when malformed."""
    try:
        data = jsonbody.loads(body)
    except jsonbody.BodyError as e:
        raise ViberPayloadError(str(e), code=e.code) from e
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise ViberPayloadError("body is not a Viber callback (no event)")
    kind = data["event"]
    handler = HANDLERS.get(kind)
    if handler is None:
        return Parsed((Ignored(reason="event not handled", kind=kind[:64]),))
    try:
        return handler(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5]
        )
        raise ViberPayloadError(f"invalid {kind}: {problems}") from e
