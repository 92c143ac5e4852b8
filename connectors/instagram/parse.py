"""Parse Instagram webhook bodies into normalized inbound events (pure functions).

One POST may batch many entries, each with many items (``messaging``, ``standby`` when
another app owns the thread, ``changes`` for comments and the dashboard's test events).
Every item is parsed on its own: a broken one becomes an ``Ignored`` event with the
reason (logged and acknowledged), the good ones of the same batch are kept.

Meta sends ``timestamp`` in epoch milliseconds; older samples and some fixtures carry
seconds or ISO strings: all three are read. Ids are kept as strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from connectors import jsonbody
from connectors.instagram.errors import InstagramPayloadError
from connectors.instagram.raw import (
    RawAttachment,
    RawComment,
    RawItem,
    RawMessage,
    RawPostback,
    RawReaction,
    RawRead,
    RawReferral,
    as_str,
)
from inbox.domain.inbound import (
    ContactUpdate,
    Ignored,
    InboundEvent,
    InboundMessage,
    MessageDeleted,
    ReactionUpdate,
    ReadUpTo,
)
from inbox.domain.models import Attachment, AttachmentKind

MAX_ITEMS = 1000  # Meta batches up to 1000 updates per POST
SOURCE_CHARS = 256


@dataclass(frozen=True, slots=True)
class Context:
    """What the parser must know of the line: the ids naming the business account."""

    account_ids: frozenset[str]


def at(value: Any) -> datetime | None:
    """Epoch milliseconds (Meta), epoch seconds or an ISO string; None when unreadable."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000 if value > 10**11 else value, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return None


_FILE_KINDS = {
    "image": AttachmentKind.IMAGE,
    "animated_image": AttachmentKind.IMAGE,
    "video": AttachmentKind.VIDEO,
    "audio": AttachmentKind.AUDIO,
    "file": AttachmentKind.DOCUMENT,
}
_SHARE_TITLES = {
    "share": "Shared a post",
    "ig_post": "Shared a post",
    "ig_reel": "Shared a reel",
    "reel": "Shared a reel",
    "fallback": "Shared a link",
}
STORY_MENTION = "Mentioned you in their story"
STORY_REPLY = "Replied to your story"
UNSUPPORTED = "A message Instagram does not show to apps: open the Instagram app to see it"


def _attachment(raw: RawAttachment) -> Attachment:
    url = raw.payload.url if raw.payload else None
    if raw.type in _FILE_KINDS:
        return Attachment(kind=_FILE_KINDS[raw.type], url=url)
    if raw.type == "story_mention":
        # The story's media on a CDN link that expires: downloaded at once, like a photo.
        return Attachment(kind=AttachmentKind.IMAGE, url=url, title=STORY_MENTION)
    if raw.type in _SHARE_TITLES:
        title = (raw.payload.title if raw.payload else None) or _SHARE_TITLES[raw.type]
        return Attachment(kind=AttachmentKind.LINK, url=url, title=title)
    return Attachment(kind=AttachmentKind.LINK, title=f"{UNSUPPORTED} ({raw.type})")


def _source(referral: RawReferral | None) -> str | None:
    if referral is None:
        return None
    ref = (referral.ref or "").strip() or (f"ad:{referral.ad_id}" if referral.ad_id else "")
    return ref[:SOURCE_CHARS] or None


def _message(item: dict[str, Any], ctx: Context) -> tuple[InboundEvent, ...]:
    head = RawItem.model_validate(item)
    raw = RawMessage.model_validate(item["message"])
    sent_at = at(head.timestamp)
    if raw.is_deleted:
        return (MessageDeleted(external_id=raw.mid, at=sent_at),)
    sender = head.sender.id
    echo = raw.is_echo or sender in ctx.account_ids
    customer = sender
    if echo:
        recipient = head.recipient.id if head.recipient else None
        customer = recipient if recipient and recipient not in ctx.account_ids else sender
    attachments = [_attachment(a) for a in raw.attachments]
    if raw.reply_to is not None and raw.reply_to.story is not None:
        story = raw.reply_to.story
        attachments.append(
            Attachment(
                kind=AttachmentKind.LINK, url=story.url, external_id=story.id, title=STORY_REPLY
            )
        )
    if raw.is_unsupported and not attachments:
        attachments.append(Attachment(kind=AttachmentKind.LINK, title=UNSUPPORTED))
    text = raw.text if raw.text and raw.text.strip() else None
    if text is None and not attachments:
        return (Ignored(reason="empty message", kind="message"),)
    return (
        InboundMessage(
            external_id=raw.mid,
            external_user_id=customer,
            text=text,
            attachments=tuple(attachments),
            reply_to_external_id=raw.reply_to.mid if raw.reply_to else None,
            sent_at=sent_at,
            source=_source(raw.referral),
            payload=raw.quick_reply.payload if raw.quick_reply else None,
            echo=echo,
        ),
    )


def _reaction(item: dict[str, Any], ctx: Context) -> tuple[InboundEvent, ...]:
    head = RawItem.model_validate(item)
    raw = RawReaction.model_validate(item["reaction"])
    emoji = None if raw.action == "unreact" else (raw.emoji or raw.reaction or None)
    return (
        ReactionUpdate(
            external_id=raw.mid,
            external_user_id=head.sender.id,
            emoji=emoji,
            at=at(head.timestamp),
        ),
    )


def _read(item: dict[str, Any], ctx: Context) -> tuple[InboundEvent, ...]:
    head = RawItem.model_validate(item)
    raw = RawRead.model_validate(item["read"])
    if head.sender.id in ctx.account_ids:
        # Someone at the business read the customer's messages in the Instagram app.
        return (Ignored(reason="read by the business in the Instagram app", kind="read"),)
    return (
        ReadUpTo(
            external_user_id=head.sender.id,
            external_id=raw.mid or None,
            watermark=at(raw.watermark) if raw.watermark is not None else None,
        ),
    )


def _postback(item: dict[str, Any], ctx: Context) -> tuple[InboundEvent, ...]:
    head = RawItem.model_validate(item)
    raw = RawPostback.model_validate(item["postback"])
    text = raw.title or raw.payload
    if not text:
        return (Ignored(reason="postback without title or payload", kind="postback"),)
    mid = raw.mid or f"postback:{head.sender.id}:{head.timestamp}"
    return (
        InboundMessage(
            external_id=mid[:256],
            external_user_id=head.sender.id,
            text=text,
            sent_at=at(head.timestamp),
            payload=raw.payload,
            source=_source(raw.referral),
        ),
    )


def _referral(item: dict[str, Any], ctx: Context) -> tuple[InboundEvent, ...]:
    head = RawItem.model_validate(item)
    source = _source(RawReferral.model_validate(item["referral"]))
    if source is None:
        return (Ignored(reason="referral without ref", kind="referral"),)
    # An ig.me link opened in an existing thread: the ref names the conversation the
    # customer's next message starts (as Telegram's /start payload).
    return (ContactUpdate(external_user_id=head.sender.id, source=source, create=True),)


ITEM_HANDLERS: dict[str, Callable[[dict[str, Any], Context], tuple[InboundEvent, ...]]] = {
    "message": _message,
    "reaction": _reaction,
    "read": _read,
    "postback": _postback,
    "referral": _referral,
}
IGNORED_KINDS = ("optin", "delivery", "message_edit", "account_linking", "handover")


def _comment(value: dict[str, Any], ctx: Context) -> tuple[InboundEvent, ...]:
    raw = RawComment.model_validate(value)
    if raw.from_.id in ctx.account_ids:
        return (Ignored(reason="a comment by the account itself", kind="comments"),)
    if not (raw.text and raw.text.strip()):
        return (Ignored(reason="empty comment", kind="comments"),)
    media = raw.media.id if raw.media else None
    post = Attachment(kind=AttachmentKind.LINK, external_id=media, title="Comment on your post")
    return (
        InboundMessage(
            external_id=f"comment:{raw.id}",
            external_user_id=raw.from_.id,
            user_name=raw.from_.username or "",
            username=raw.from_.username,
            text=raw.text,
            attachments=(post,),
            source=f"comment on post {media}"[:SOURCE_CHARS] if media else "comment",
        ),
    )


def _problems(e: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5]
    )[:500]


def parse_item(item: Any, ctx: Context) -> tuple[InboundEvent, ...]:
    """The events of one ``messaging``/``standby`` item; a broken item is ``Ignored``."""
    if not isinstance(item, dict):
        return (Ignored(reason="item is not an object", kind="invalid"),)
    kind = next((k for k in ITEM_HANDLERS if isinstance(item.get(k), dict)), None)
    if kind is None:
        other = next((k for k in item if k not in ("sender", "recipient", "timestamp")), "none")
        reason = "item kind not handled" if other in IGNORED_KINDS else "unknown item kind"
        return (Ignored(reason=reason, kind=str(other)[:64]),)
    try:
        return ITEM_HANDLERS[kind](item, ctx)
    except ValidationError as e:
        return (Ignored(reason=f"invalid {kind} item: {_problems(e)}", kind="invalid"),)


def parse_change(change: Any, ctx: Context) -> tuple[InboundEvent, ...]:
    """One ``changes`` item: comments, or a messaging field (the dashboard's test events)."""
    if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
        return (Ignored(reason="change without a value", kind="invalid"),)
    field = str(change.get("field"))[:64]
    if field == "comments":
        try:
            return _comment(change["value"], ctx)
        except ValidationError as e:
            return (Ignored(reason=f"invalid comment: {_problems(e)}", kind="invalid"),)
    if field in ("messages", "message_reactions", "messaging_seen", "messaging_postbacks"):
        return parse_item(change["value"], ctx)
    return (Ignored(reason="change field not handled", kind=field),)


def parse_entry(entry: Any, ctx: Context) -> list[InboundEvent]:
    if not isinstance(entry, dict):
        return [Ignored(reason="entry is not an object", kind="invalid")]
    account = as_str(entry.get("id"))
    if not isinstance(account, str):
        return [Ignored(reason="entry without an account id", kind="invalid")]
    if ctx.account_ids and account not in ctx.account_ids:
        # The dashboard's test events name account "0"; one app's webhook URL may also
        # receive another account's events: neither belongs on this line.
        return [Ignored(reason=f"entry for another account ({str(account)[:64]})", kind="entry")]
    events: list[InboundEvent] = []
    for key in ("messaging", "standby"):
        items = entry.get(key)
        if isinstance(items, list):
            for item in items:
                events.extend(parse_item(item, ctx))
    changes = entry.get("changes")
    if isinstance(changes, list):
        for change in changes:
            events.extend(parse_change(change, ctx))
    return events or [Ignored(reason="entry without items", kind="entry")]


def parse_body(body: bytes, ctx: Context) -> tuple[InboundEvent, ...]:
    """Every event of one webhook body; raises ``InstagramPayloadError`` when not JSON."""
    try:
        data = jsonbody.loads(body)
    except jsonbody.BodyError as e:
        raise InstagramPayloadError(str(e), code=e.code) from e
    if not isinstance(data, dict):
        raise InstagramPayloadError("body must be a JSON object", code="invalid_json")
    if data.get("object") != "instagram":
        return (Ignored(reason="not an Instagram event", kind=str(data.get("object"))[:64]),)
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise InstagramPayloadError("an Instagram event needs an entry list")
    events: list[InboundEvent] = []
    for entry in entries:
        events.extend(parse_entry(entry, ctx))
        if len(events) > MAX_ITEMS:
            raise InstagramPayloadError(f"more than {MAX_ITEMS} items in one body")
    return tuple(events)
