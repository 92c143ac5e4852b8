"""Parse Telegram webhook updates into normalized inbound events (pure functions).

Raw models are lenient (``extra="ignore"``, optional fields): Telegram adds fields every
release and old payloads lack some (``chat.type``, ``from.is_bot``). aiogram's own types
are strict about those, so they are used for the Bot API client only.

Only private chats are a customer conversation; group, supergroup and channel updates,
service messages and update kinds we do not handle come back as ``Ignored``.
Message ids are unique per chat only, so the external id is ``"{chat_id}:{message_id}"``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors import jsonbody
from connectors.telegram.errors import TelegramPayloadError
from inbox.domain.inbound import ContactUpdate, Ignored, InboundEvent, InboundMessage
from inbox.domain.models import Attachment, AttachmentKind


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RawUser(_Raw):
    id: int
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


class RawChat(_Raw):
    id: int
    type: str | None = None  # missing in Telegram's oldest documented samples


class RawFile(_Raw):
    file_id: str
    file_unique_id: str | None = None
    file_size: int | None = None
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    emoji: str | None = None  # stickers
    title: str | None = None  # audio


class RawLocation(_Raw):
    latitude: float
    longitude: float


class RawVenue(_Raw):
    location: RawLocation
    title: str | None = None
    address: str | None = None


class RawContact(_Raw):
    phone_number: str
    first_name: str = ""
    last_name: str | None = None
    user_id: int | None = None


class RawReplyTo(_Raw):
    message_id: int


class RawMessage(_Raw):
    message_id: int
    date: int
    chat: RawChat
    from_: RawUser | None = Field(default=None, alias="from")
    edit_date: int | None = None
    text: str | None = None
    caption: str | None = None
    reply_to_message: RawReplyTo | None = None
    media_group_id: str | None = None
    photo: list[RawFile] | None = None
    document: RawFile | None = None
    video: RawFile | None = None
    video_note: RawFile | None = None
    animation: RawFile | None = None
    voice: RawFile | None = None
    audio: RawFile | None = None
    sticker: RawFile | None = None
    location: RawLocation | None = None
    venue: RawVenue | None = None
    contact: RawContact | None = None


class RawMember(_Raw):
    status: str


class RawChatMemberUpdated(_Raw):
    chat: RawChat
    from_: RawUser = Field(alias="from")
    date: int
    old_chat_member: RawMember
    new_chat_member: RawMember


# Member statuses after which the bot can no longer write to a private chat.
_GONE = {"kicked", "left"}


def _at(seconds: int | None) -> datetime | None:
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _is_private(chat: RawChat, sender: RawUser | None) -> bool:
    if chat.type is not None:
        return chat.type == "private"
    # Legacy samples omit chat.type: a private chat's id is the user's id (positive).
    return sender is not None and chat.id == sender.id


def _full_name(user: RawUser) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p).strip()


def _file(kind: AttachmentKind, raw: RawFile, name: str | None = None) -> Attachment:
    return Attachment(
        kind=kind,
        external_id=raw.file_id,
        name=raw.file_name or name or raw.title,
        mime_type=raw.mime_type,
        size=raw.file_size,
        title=raw.emoji if kind is AttachmentKind.STICKER else raw.title,
    )


def attachments_of(msg: RawMessage) -> tuple[Attachment, ...]:
    """Every attachment of one message, largest photo size only."""
    out: list[Attachment] = []
    if msg.photo:
        largest = max(msg.photo, key=lambda p: (p.width or 0) * (p.height or 0), default=None)
        if largest is not None:
            out.append(_file(AttachmentKind.IMAGE, largest))
    if msg.animation is not None:
        out.append(_file(AttachmentKind.VIDEO, msg.animation))
    elif msg.document is not None:
        out.append(_file(AttachmentKind.DOCUMENT, msg.document))
    if msg.video is not None:
        out.append(_file(AttachmentKind.VIDEO, msg.video))
    if msg.video_note is not None:
        out.append(_file(AttachmentKind.VIDEO, msg.video_note, name="video_note.mp4"))
    if msg.voice is not None:
        out.append(_file(AttachmentKind.VOICE, msg.voice))
    if msg.audio is not None:
        out.append(_file(AttachmentKind.AUDIO, msg.audio))
    if msg.sticker is not None:
        out.append(_file(AttachmentKind.STICKER, msg.sticker))
    if msg.venue is not None:
        loc = msg.venue.location
        out.append(
            Attachment(
                kind=AttachmentKind.LOCATION,
                latitude=loc.latitude,
                longitude=loc.longitude,
                title=msg.venue.title,
                name=msg.venue.address,
            )
        )
    elif msg.location is not None:
        out.append(
            Attachment(
                kind=AttachmentKind.LOCATION,
                latitude=msg.location.latitude,
                longitude=msg.location.longitude,
            )
        )
    if msg.contact is not None:
        c = msg.contact
        out.append(
            Attachment(
                kind=AttachmentKind.CONTACT,
                phone=c.phone_number,
                name=" ".join(p for p in (c.first_name, c.last_name) if p) or None,
            )
        )
    return tuple(out)


def start_payload(text: str | None) -> str | None:
    """The deep-link payload of ``/start <payload>`` (t.me/bot?start=payload), if any."""
    if not text or not text.startswith("/start"):
        return None
    command, _, rest = text.partition(" ")
    if command not in ("/start",) and not command.startswith("/start@"):
        return None
    return rest.strip() or None


def message_events(msg: RawMessage, *, edited: bool) -> tuple[InboundEvent, ...]:
    """A private-chat message (or its edit) as an inbound message, plus a phone update."""
    sender = msg.from_
    if not _is_private(msg.chat, sender) or sender is None:
        return (Ignored(reason="not a private chat", kind=msg.chat.type or "unknown"),)
    if sender.is_bot:
        return (Ignored(reason="message from a bot", kind="bot"),)
    text = msg.text if msg.text is not None else msg.caption
    attachments = attachments_of(msg)
    if not (text and text.strip()) and not attachments:
        return (Ignored(reason="no content we store (service message or unsupported)"),)
    chat_id = msg.chat.id
    phone = None
    if msg.contact is not None and msg.contact.user_id in (None, sender.id):
        phone = msg.contact.phone_number
    inbound = InboundMessage(
        external_id=f"{chat_id}:{msg.message_id}",
        external_user_id=str(sender.id),
        user_name=_full_name(sender),
        username=sender.username,
        phone=phone,
        language=sender.language_code,
        text=text,
        attachments=attachments,
        reply_to_external_id=(
            f"{chat_id}:{msg.reply_to_message.message_id}" if msg.reply_to_message else None
        ),
        sent_at=_at(msg.date),
        edited_at=(_at(msg.edit_date) or _at(msg.date)) if edited else None,
        source=None if edited else start_payload(msg.text),
    )
    events: list[InboundEvent] = [inbound]
    if inbound.phone:
        # A contact card of the customer's own number fills the contact's phone even when
        # the contact existed before (a new contact gets it from the message itself).
        events.append(ContactUpdate(external_user_id=str(sender.id), phone=inbound.phone))
    return tuple(events)


def _message(update: dict[str, Any]) -> tuple[InboundEvent, ...]:
    return message_events(RawMessage.model_validate(update["message"]), edited=False)


def _edited(update: dict[str, Any]) -> tuple[InboundEvent, ...]:
    return message_events(RawMessage.model_validate(update["edited_message"]), edited=True)


def _my_chat_member(update: dict[str, Any]) -> tuple[InboundEvent, ...]:
    raw = RawChatMemberUpdated.model_validate(update["my_chat_member"])
    if not _is_private(raw.chat, raw.from_):
        return (Ignored(reason="bot membership changed in a group", kind="my_chat_member"),)
    was = raw.old_chat_member.status not in _GONE
    now = raw.new_chat_member.status not in _GONE
    if was == now:
        return (Ignored(reason="membership change without effect", kind="my_chat_member"),)
    # kicked: the user blocked the bot; back to member: unblocked (or /start again).
    return (ContactUpdate(external_user_id=str(raw.from_.id), reachable=now),)


HANDLERS: dict[str, Callable[[dict[str, Any]], tuple[InboundEvent, ...]]] = {
    "message": _message,
    "edited_message": _edited,
    "my_chat_member": _my_chat_member,
}


def update_kind(update: dict[str, Any]) -> str:
    """The kind of an update: its one key besides ``update_id``."""
    return next((k for k in update if k != "update_id"), "empty")


def parse_update(body: bytes) -> tuple[InboundEvent, ...]:
    """The events of one webhook body; raises ``TelegramPayloadError`` when malformed."""
    try:
        data = jsonbody.loads(body)
    except jsonbody.BodyError as e:
        raise TelegramPayloadError(str(e), code=e.code) from e
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise TelegramPayloadError("body is not a Telegram update (no update_id)")
    kind = update_kind(data)
    handler = HANDLERS.get(kind)
    if handler is None:
        return (Ignored(reason="update kind not handled", kind=kind[:64]),)
    if not isinstance(data[kind], dict):
        raise TelegramPayloadError(f"{kind} must be an object")
    try:
        return handler(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5]
        )
        raise TelegramPayloadError(f"invalid {kind}: {problems}") from e
