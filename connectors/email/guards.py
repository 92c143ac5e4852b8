"""Loop and noise guards: which mails are automatic, lists, bounces or reports.

Order matters: a bounce often also says ``Auto-Submitted`` (RFC 3464 reports are
automatic by nature), and a vacation reply may come through a list server. The first
matching class wins: bounce, report, list, automatic. RFC 3834: anything whose
``Auto-Submitted`` is not ``no`` is never answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

from connectors.email.threads import bare_id

_MAILER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|delivery failure|failure notice|"
    r"returned mail|mail delivery failed|не доставлено|недоставлен|не вдалося доставити",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?reply|autoreply|auto response|"
    r"out of (?:the )?office|abwesenheitsnotiz|réponse automatique|"
    r"автоматический ответ|автоматична відповідь|автоответ)\s*:?",
    re.IGNORECASE,
)
_STATUS = re.compile(r"^Status:\s*([245]\.\d{1,3}\.\d{1,3})", re.MULTILINE | re.IGNORECASE)
_ACTION = re.compile(r"^Action:\s*(\w+)", re.MULTILINE | re.IGNORECASE)
_DIAGNOSTIC = re.compile(
    r"^Diagnostic-Code:\s*(?:[\w-]+;\s*)?(.+(?:\n[ \t].+)*)", re.MULTILINE | re.I
)
_RECIPIENT = re.compile(r"^Final-Recipient:\s*(?:[\w-]+;\s*)?(\S+)", re.MULTILINE | re.IGNORECASE)
_EMBEDDED_ID = re.compile(r"^Message-ID:\s*(<[^<>\s]+>)", re.MULTILINE | re.IGNORECASE)
MAX_SCAN = 256 * 1024


@dataclass(frozen=True, slots=True)
class Bounce:
    """What a delivery report says about one of our messages."""

    message_id: str | None  # the bounced message's Message-ID (bare), if found
    failed: bool  # False for "delayed" warnings: the message may still arrive
    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str | None  # "bounce", "report", "list", "auto" or None (a person wrote it)
    reason: str | None = None
    bounce: Bounce | None = None


def _h(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a malformed header is treated as absent
        return ""
    return str(value).strip() if value is not None else ""


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if isinstance(payload, bytes):
        return payload[:MAX_SCAN].decode("utf-8", errors="replace")
    inner = part.get_payload()
    if isinstance(inner, list):  # message/delivery-status parses into header blocks
        return "\n".join(str(p) for p in inner)[:MAX_SCAN]
    return str(inner)[:MAX_SCAN]


def _bounce(msg: Message, text: str) -> Bounce:
    status_text, embedded = "", None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            status_text += _part_text(part) + "\n"
        elif ctype in ("text/rfc822-headers", "message/rfc822", "message/rfc822-headers"):
            found = _EMBEDDED_ID.search(_part_text(part))
            inner = part.get_payload()
            if ctype == "message/rfc822" and isinstance(inner, list) and inner:
                first = inner[0]
                if isinstance(first, Message):
                    embedded = embedded or bare_id(_h(first, "Message-ID"))
            if found and embedded is None:
                embedded = bare_id(found.group(1))
    scan = status_text or text
    if embedded is None:
        found = _EMBEDDED_ID.search(text[:MAX_SCAN])
        embedded = bare_id(found.group(1)) if found else bare_id(_h(msg, "In-Reply-To"))
    actions = {a.lower() for a in _ACTION.findall(scan)}
    status = _STATUS.search(scan)
    diagnostic = _DIAGNOSTIC.search(scan)
    recipient = _RECIPIENT.search(scan)
    failed = "failed" in actions or (status is not None and status.group(1).startswith("5"))
    if actions and actions <= {"delayed", "delivered", "relayed", "expanded"}:
        failed = False
    if not actions and status is None:
        failed = "warning" not in _h(msg, "Subject").lower()
    parts = [p for p in (status.group(1) if status else None,) if p]
    if diagnostic:
        parts.append(re.sub(r"\s+", " ", diagnostic.group(1)).strip())
    if recipient:
        parts.append(f"for {recipient.group(1)}")
    reason = " ".join(parts) or _h(msg, "Subject") or "the mail server returned the message"
    return Bounce(message_id=embedded, failed=failed, reason=("bounced: " + reason)[:500])


def classify(msg: EmailMessage, text: str) -> Verdict:
    """The class of a parsed mail; ``text`` is its plain text (for text/plain bounces)."""
    ctype = msg.get_content_type()
    report_type = msg.get_param("report-type", header="content-type") or ""
    report_type = str(report_type).lower()
    sender = _h(msg, "From")
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    subject = _h(msg, "Subject")
    if ctype == "multipart/report" and report_type == "delivery-status":
        return Verdict("bounce", "delivery status report", _bounce(msg, text))
    if ctype == "multipart/report" or (
        _h(msg, "Disposition-Notification-To") and ctype.startswith("message/disposition")
    ):
        return Verdict("report", f"report: {report_type or 'unknown'}")
    if (_MAILER.match(address) or _h(msg, "Return-Path") == "<>") and (
        _BOUNCE_SUBJECT.search(subject) or _h(msg, "X-Failed-Recipients")
    ):
        return Verdict("bounce", "bounce from the mail system", _bounce(msg, text))
    if _h(msg, "List-Id") or _h(msg, "List-Unsubscribe") or _h(msg, "Precedence").lower() == "list":
        return Verdict("list", "mailing list")
    auto = _h(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        return Verdict("auto", f"Auto-Submitted: {auto[:60]}")
    precedence = _h(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        return Verdict("auto", f"Precedence: {precedence}")
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if _h(msg, header):
            return Verdict("auto", header)
    if _AUTO_SUBJECT.match(subject):
        return Verdict("auto", "automatic reply subject")
    if _MAILER.match(address):
        return Verdict("auto", "from the mail system")
    return Verdict(None)
