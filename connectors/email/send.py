"""Send an operator's reply by SMTP (aiosmtplib), threaded like a mail client does.

The reply carries our Message-ID with the reply token, ``In-Reply-To`` the customer's
last mail, ``References`` its chain plus it, ``Reply-To`` the line's address, the subject
with "Re:" once, a text and an HTML part, the attachments, and the quoted history below.
Every header value is built from structured parts (``Address``) after removing control
characters, so a customer's name or subject cannot inject a header.

SMTP answers: 4xx (and connection failures, timeouts) are retryable, the hub's queue
retries with backoff; 5xx fail with the server's own words shown to the operator.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from connectors.email.config import EmailLineConfig, TlsMode
from connectors.email.threads import make_message_id, reply_subject
from inbox.domain.errors import DeliveryError
from inbox.domain.models import Direction, Message
from inbox.domain.ports import FileStore, OutboundTarget

SMTP_TIMEOUT_S = 30.0
MAX_REFERENCES = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def clean_header(value: str | None, limit: int = 300) -> str:
    """A header value with every line break and control character replaced by a space."""
    return _CONTROL.sub(" ", value or "").strip()[:limit]


def _address(name: str | None, addr: str) -> Address:
    local, _, domain = clean_header(addr, 320).partition("@")
    if not local or not domain or " " in local or " " in domain:
        raise DeliveryError(f"not a usable email address: {addr[:80]!r}", retryable=False)
    return Address(display_name=clean_header(name, 200), username=local, domain=domain)


def parent_mail(history: Sequence[Message], current: Message) -> Message | None:
    """The customer's latest mail before ``current`` (history is newest first)."""
    return next(
        (m for m in history if m.direction is Direction.IN and m.mail and m.id != current.id),
        None,
    )


def _quote(parent: Message, name: str) -> tuple[str, str]:
    """The quoted history below a reply, as text and HTML."""
    when = parent.sent_at or parent.created_at
    header = f"On {format_datetime(when.astimezone(UTC))}, {clean_header(name) or 'you'} wrote:"
    quoted = parent.mail.quoted if parent.mail else None
    body = "\n\n".join(p for p in (parent.text or "", quoted or "") if p)
    text = header + "\n" + "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
    quoted_html = html.escape(body).replace("\n", "<br>\n")
    return text, (
        f"<div>{html.escape(header)}</div>"
        f'<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">'
        f"{quoted_html}</blockquote>"
    )


async def build_reply(
    config: EmailLineConfig,
    target: OutboundTarget,
    message: Message,
    history: Sequence[Message],
    files: FileStore | None,
    now: datetime,
) -> tuple[EmailMessage, str]:
    """The mail to send and its bare Message-ID."""
    parent = parent_mail(history, message)
    conversation = target.conversation
    mid = make_message_id(
        message.id, conversation.id, config.token_secret.get_secret_value(), config.domain
    )
    mail = EmailMessage()
    mail["From"] = _address(config.from_name, config.address)
    contact_name = target.contact.name if target.contact.name != target.external_user_id else ""
    mail["To"] = _address(contact_name, target.external_user_id)
    mail["Reply-To"] = _address(config.from_name, config.address)
    subject = conversation.subject or (parent.mail.subject if parent and parent.mail else None)
    mail["Subject"] = clean_header(reply_subject(subject), 900)
    mail["Date"] = format_datetime(now.astimezone(UTC))
    mail["Message-ID"] = f"<{mid}>"
    if parent is not None and parent.mail is not None and parent.mail.message_id:
        chain = [*parent.mail.references, parent.mail.message_id][-MAX_REFERENCES:]
        mail["In-Reply-To"] = f"<{clean_header(parent.mail.message_id, 900)}>"
        mail["References"] = " ".join(f"<{clean_header(r, 900)}>" for r in chain)
    text = message.text or ""
    body_html = html.escape(text).replace("\n", "<br>\n")
    if parent is not None:
        quote_text, quote_html = _quote(parent, target.contact.name)
        text = f"{text}\n\n{quote_text}"
        body_html = f"<div>{body_html}</div><br>{quote_html}"
    mail.set_content(text)
    mail.add_alternative(f"<html><body>{body_html}</body></html>", subtype="html")
    for attachment in message.attachments:
        if attachment.file_id is None or files is None:
            continue
        data, meta = await files.get(attachment.file_id)
        maintype, _, subtype = str(
            meta.get("mime_type") or attachment.mime_type or "application/octet-stream"
        ).partition("/")
        mail.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=clean_header(attachment.name or "file", 200),
        )
    return mail, mid


def _smtp_error(e: aiosmtplib.SMTPException) -> DeliveryError:
    if isinstance(e, aiosmtplib.SMTPRecipientsRefused) and e.recipients:
        e = e.recipients[0]
    code = getattr(e, "code", None)
    text = clean_header(getattr(e, "message", None) or str(e), 300)
    if isinstance(code, int) and 500 <= code < 600:
        return DeliveryError(f"the mail server refused: {code} {text}", retryable=False)
    if isinstance(code, int) and 400 <= code < 500:
        return DeliveryError(f"the mail server asked to retry: {code} {text}", retryable=True)
    return DeliveryError(f"mail server unreachable: {text}", retryable=True)


async def smtp_send(config: EmailLineConfig, mail: EmailMessage) -> None:
    """Hand the mail to the line's SMTP server; raises ``DeliveryError``."""
    try:
        await aiosmtplib.send(
            mail,
            hostname=config.smtp_host,
            port=config.smtp_port,
            username=config.smtp_user,
            password=config.smtp_secret,
            use_tls=config.smtp_tls is TlsMode.IMPLICIT,
            start_tls=config.smtp_tls is TlsMode.STARTTLS,
            tls_context=config.ssl_context() if config.smtp_tls is not TlsMode.NONE else None,
            timeout=SMTP_TIMEOUT_S,
        )
    except aiosmtplib.SMTPException as e:
        raise _smtp_error(e) from e
    except (OSError, TimeoutError) as e:
        raise DeliveryError(f"mail server unreachable: {type(e).__name__}", retryable=True) from e
