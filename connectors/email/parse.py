"""Parse raw mail bytes into one normalized inbound event (pure functions, never raise).

``parse_mail`` reads the bytes with the standard library (``email.policy.default``) and
collects headers, bodies and files; ``to_event`` turns that into what the hub stores:

- a bounce of one of our messages: ``StatusUpdate(failed, reason)``; a delay warning or
  a bounce we cannot link: ``Ignored``;
- our own mail, or mail from another line of this hub (a loop): ``Ignored``;
- read receipts and feedback reports: ``Ignored``;
- list mail and automatic replies: an ``InboundMessage`` marked ``mail.automatic`` (the
  ingest stores it in a conversation it threads into, never opens one for it, never
  answers it and never counts it as waiting);
- anything else: a customer's ``InboundMessage`` with its visible text (quotes and
  signature cut), the cut part, the sanitized HTML and the threading hints.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors, policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from connectors.email.charset import fix_header
from connectors.email.guards import Verdict, classify
from connectors.email.html import html_to_text, sanitize
from connectors.email.mime import Bodies, Limits, MailFile, collect
from connectors.email.quotes import split_reply
from connectors.email.threads import (
    bare_id,
    is_forward,
    message_ids,
    read_token,
    strip_prefixes,
    subject_key,
)
from inbox.domain.inbound import (
    Ignored,
    InboundEvent,
    InboundMessage,
    StatusUpdate,
    ThreadHints,
)
from inbox.domain.models import Attachment, AttachmentKind, DeliveryStatus, MailDetails

_BROKEN_MULTIPART = (
    errors.StartBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
)
_ANGLE_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>")
MAX_KEY = 250  # external ids are at most 256 characters
MAX_TEXT = 65_536  # the visible text, as for every channel (the rest stays in ``quoted``)
MAX_HTML = 2_000_000


@dataclass(slots=True)
class ParsedMail:
    """Everything we read from one mail; ``key`` is its dedupe key on the line."""

    key: str
    message_id: str | None
    from_address: str | None
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    bodies: Bodies
    verdict: Verdict
    defects: int = 0
    files: list[MailFile] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MailContext:
    """What parsing needs to know about the line: its address and the hub's others."""

    address: str
    token_key: str
    hub_addresses: frozenset[str] = frozenset()


def external_key(mid: str) -> str:
    """A Message-ID as a stored external id (long ones hashed to fit)."""
    if len(mid) <= MAX_KEY:
        return mid
    return "mid-sha256:" + hashlib.sha256(mid.encode("utf-8", "replace")).hexdigest()


def raw_key(raw: bytes) -> str:
    """The dedupe key of a mail without Message-ID: a hash of its bytes (CRLF-normalized,
    since IMAP hands back CRLF whatever was stored)."""
    normalized = raw.replace(b"\r\n", b"\n")
    return "raw-sha256:" + hashlib.sha256(normalized).hexdigest()


def _raw_header(msg: Message, name: str) -> str:
    """A header the modern parser refuses (e.g. an encoded line break in a display name),
    decoded by the old forgiving one; line breaks become spaces."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            try:
                return str(make_header(decode_header(value)))
            except Exception:
                return str(value)
    return ""


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # the modern parser refused it: the forgiving one reads it
        value = _raw_header(msg, name)
    if value is None:
        return ""
    text = fix_header(str(value))
    return " ".join(text.split())[:2000]


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    try:
        header = msg.get(name)
        found = [
            (fix_header(a.display_name), a.addr_spec)
            for a in getattr(header, "addresses", ())
            if a.addr_spec and "@" in a.addr_spec
        ]
    except Exception:  # the strict parser failed: the forgiving one reads it below
        found = []
    if not found:
        # The strict parser refused the header (a display name holding an encoded line
        # break, say): trust only what stands in angle brackets, never a name's words.
        value = _header(msg, name)
        angle = _ANGLE_ADDRESS.findall(value)
        if angle:
            found = [("", a) for a in angle]
        else:
            found = [(n, a) for n, a in getaddresses([value]) if "@" in a]
    return [
        (" ".join(fix_header(n).split())[:200], fix_header(a).strip().lower()[:320])
        for n, a in found[:64]
    ]


def _date(msg: Message) -> datetime | None:
    try:
        value = msg.get("Date")
        when = getattr(value, "datetime", None)
    except Exception:
        return None
    if not isinstance(when, datetime) or not (1990 <= when.year <= 2100):
        return None  # absent, unreadable or absurd (the corpus has year 3609)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_mail(raw: bytes, limits: Limits | None = None) -> ParsedMail:
    limits = limits or Limits()
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
    except Exception:  # RecursionError on absurd nesting, or a parser bug
        msg = email.message_from_bytes(raw.split(b"\n\n", 1)[0], policy=policy.default)
    assert isinstance(msg, EmailMessage)
    structure: Message = msg
    if any(isinstance(d, _BROKEN_MULTIPART) for d in msg.defects):
        # The modern header parser misreads some unquoted boundaries ("----=_NextPart");
        # the compat32 parser reads them as every mail client does.
        try:
            structure = email.message_from_bytes(raw, policy=policy.compat32)
        except Exception:
            structure = msg
    try:
        bodies = collect(structure, limits)
    except Exception:  # a last resort: the mail is kept with no body rather than lost
        bodies = Bodies(truncated=True)
    mid = bare_id(_header(msg, "Message-ID"))
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    name, address = senders[0] if senders else ("", None)
    text = bodies.text or html_to_text(bodies.html)[0]
    try:
        verdict = classify(msg, text)
    except Exception:
        verdict = Verdict(None)
    return ParsedMail(
        key=external_key(mid) if mid else raw_key(raw),
        message_id=mid,
        from_address=address,
        from_name=name,
        to=tuple(a for _, a in _addresses(msg, "To")),
        cc=tuple(a for _, a in _addresses(msg, "Cc")),
        subject=_header(msg, "Subject")[:998],
        date=_date(msg),
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        bodies=bodies,
        verdict=verdict,
        defects=len(getattr(msg, "defects", ())),
        files=bodies.files,
    )


def attachment_kind(mime_type: str) -> AttachmentKind:
    major = mime_type.split("/", 1)[0]
    return {
        "image": AttachmentKind.IMAGE,
        "video": AttachmentKind.VIDEO,
        "audio": AttachmentKind.AUDIO,
    }.get(major, AttachmentKind.DOCUMENT)


def _own(parsed: ParsedMail, ctx: MailContext) -> str | None:
    sender = parsed.from_address or ""
    if sender == ctx.address.lower():
        return "our own mail"
    if sender in ctx.hub_addresses:
        return "mail from another line of this hub"
    if parsed.message_id and read_token(parsed.message_id, ctx.token_key) is not None:
        return "our own mail (our Message-ID)"
    return None


def to_event(
    parsed: ParsedMail,
    ctx: MailContext,
    stored_files: Mapping[int, str] | None = None,
    file_url: Callable[[str], str] | None = None,
) -> InboundEvent:
    """The event to ingest. ``stored_files`` maps a file's index to its stored id."""
    verdict = parsed.verdict
    if verdict.kind == "bounce":
        bounce = verdict.bounce
        if bounce is None or not bounce.message_id or not bounce.failed:
            return Ignored(reason="delivery report (not linked, or a delay)", kind="bounce")
        return StatusUpdate(
            external_id=external_key(bounce.message_id),
            status=DeliveryStatus.FAILED,
            error=bounce.reason,
        )
    own = _own(parsed, ctx)
    if own is not None:
        return Ignored(reason=own, kind="loop")
    if verdict.kind == "report":
        return Ignored(reason=verdict.reason or "report", kind="report")
    if not parsed.from_address:
        return Ignored(reason="no sender address to answer", kind="no_sender")
    return _message(parsed, ctx, stored_files or {}, file_url or (lambda fid: fid))


def _message(
    parsed: ParsedMail,
    ctx: MailContext,
    stored: Mapping[int, str],
    file_url: Callable[[str], str],
) -> InboundMessage:
    bodies = parsed.bodies
    html_text, html_quoted = html_to_text(bodies.html) if bodies.html else ("", "")
    if bodies.text.strip():
        visible, cut = split_reply(bodies.text)
    else:
        visible, cut = split_reply(html_text)
        cut = "\n\n".join(p for p in (cut, html_quoted) if p)
    cids = {
        f.content_id: file_url(stored[i])
        for i, f in enumerate(parsed.files)
        if f.content_id and i in stored
    }
    clean = sanitize(bodies.html, cids) if bodies.html else None
    attachments = tuple(
        Attachment(
            kind=attachment_kind(f.mime_type),
            name=f.name,
            mime_type=f.mime_type,
            size=f.size,
            file_id=stored.get(i),
            title=f.note,
        )
        for i, f in enumerate(parsed.files)
    )  # inline images too: the file route finds a file through its message's attachments
    refs = tuple(reversed(parsed.references))
    ordered = tuple(dict.fromkeys((*parsed.in_reply_to, *refs)))
    conversation_id = next(
        (t[1] for r in ordered if (t := read_token(r, ctx.token_key)) is not None), None
    )
    automatic = parsed.verdict.reason if parsed.verdict.kind in ("list", "auto") else None
    subject = parsed.subject or None
    if len(visible) > MAX_TEXT:
        visible, cut = visible[:MAX_TEXT], visible[MAX_TEXT:] + "\n\n" + cut
    html = clean.html if clean and clean.html and len(clean.html) <= MAX_HTML else None
    return InboundMessage(
        external_id=parsed.key,
        external_user_id=external_key(parsed.from_address or ""),
        user_name=parsed.from_name,
        email=parsed.from_address,
        text=visible or None,
        attachments=attachments,
        reply_to_external_id=external_key(parsed.in_reply_to[0]) if parsed.in_reply_to else None,
        sent_at=parsed.date,
        subject=strip_prefixes(subject) if subject and not is_forward(subject) else subject,
        mail=MailDetails(
            message_id=parsed.message_id,
            subject=subject,
            references=tuple(external_key(r) for r in parsed.references[-20:]),
            to=parsed.to,
            cc=parsed.cc,
            html=html,
            remote_images=bool(clean and clean.remote_images),
            quoted=cut[:200_000] or None,
            automatic=automatic,
        ),
        thread=ThreadHints(
            references=tuple(external_key(r) for r in ordered[:64]),
            conversation_id=conversation_id,
            subject_key=subject_key(subject),
            thread_key=parsed.key,
        ),
    )


UNREADABLE = "[The hub could not read this mail; its sender and subject are kept.]"


def fallback_event(raw: bytes) -> InboundEvent:
    """A mail that broke the parser: its sender and subject with a note, never lost."""
    head = raw[:65_536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    msg = email.message_from_bytes(head, policy=policy.compat32)
    sender = parseaddr(fix_header(str(msg.get("From", "") or "")))[1].strip().lower()
    if "@" not in sender:
        return Ignored(reason="could not be parsed, no sender", kind="parse_error")
    mid = bare_id(fix_header(str(msg.get("Message-ID", "") or "")))
    key = external_key(mid) if mid else raw_key(raw)
    subject = " ".join(fix_header(str(msg.get("Subject", "") or "")).split())[:998] or None
    return InboundMessage(
        external_id=key,
        external_user_id=external_key(sender[:320]),
        email=sender[:320],
        text=UNREADABLE,
        subject=subject,
        mail=MailDetails(message_id=mid, subject=subject),
        thread=ThreadHints(thread_key=key, subject_key=subject_key(subject)),
    )
