"""Walk a parsed mail: its text and HTML bodies and its files, within limits.

Malformed MIME is the norm, not the exception: a missing final boundary, two
Content-Type headers, an unknown transfer encoding, a body declared but absent. Every
step here tolerates that, and the number of parts, the nesting depth and the bytes
decoded are bounded, so a hostile mail costs a bounded amount of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message

from connectors.email.charset import decode_bytes, fix_header

MAX_PARTS = 300
MAX_DEPTH = 20


@dataclass(frozen=True, slots=True)
class Limits:
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 25 * 1024 * 1024
    max_files: int = 20
    max_text_chars: int = 200_000


@dataclass(slots=True)
class MailFile:
    """One attachment or inline image; ``data`` is None when it was over a limit."""

    name: str | None
    mime_type: str
    size: int
    data: bytes | None
    content_id: str | None = None
    inline: bool = False
    note: str | None = None  # why the bytes were not kept


@dataclass(slots=True)
class Bodies:
    text: str = ""
    html: str = ""
    files: list[MailFile] = field(default_factory=list)
    truncated: bool = False


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # an undecodable body is kept as empty, not a crash
        return b""
    return data if isinstance(data, bytes) else b""


def part_text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(_payload(part), charset)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # a broken RFC 2231 parameter
        return None
    if not name:
        return None
    name = fix_header(str(name)).replace("\\", "/").rsplit("/", 1)[-1]  # no paths
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or None


def _estimated_size(part: Message) -> int:
    raw = part.get_payload()
    if not isinstance(raw, str):
        return 0
    cte = str(part.get("Content-Transfer-Encoding", "")).lower()
    return len(raw) * 3 // 4 if "base64" in cte else len(raw)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    return disposition == "attachment" or (disposition != "inline" and _filename(part) is not None)


def collect(msg: Message, limits: Limits) -> Bodies:
    """The first plain and HTML bodies and every file of ``msg``."""
    out = Bodies()
    total = 0
    stack: list[tuple[Message, int]] = [(msg, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop(0)
        seen += 1
        if seen > MAX_PARTS:
            out.truncated = True
            break
        ctype = part.get_content_type()
        if part.is_multipart():
            children = part.get_payload()
            if depth < MAX_DEPTH and isinstance(children, list):
                stack[:0] = [(c, depth + 1) for c in children if isinstance(c, Message)]
            if ctype == "message/rfc822":
                total += _add_forwarded(part, out, limits, total)
            continue
        if ctype in ("text/plain", "text/html") and not _is_attachment(part):
            text = part_text(part)[: limits.max_text_chars]
            if ctype == "text/plain" and not out.text.strip():
                out.text = text
            elif ctype == "text/html" and not out.html.strip():
                out.html = text
            continue
        if ctype.startswith("multipart/") or ctype == "message/delivery-status":
            continue
        total += _add_file(part, out, limits, total)
    return out


def _add_file(part: Message, out: Bodies, limits: Limits, total: int) -> int:
    ctype = part.get_content_type()
    name = _filename(part)
    cid = part.get("Content-ID")
    content_id = str(cid).strip().strip("<>")[:300] if cid else None
    estimate = _estimated_size(part)
    note = None
    data: bytes | None = None
    if len(out.files) >= limits.max_files:
        out.truncated = True  # more files than the limit: the rest are not listed
        return 0
    if estimate > limits.max_attachment_bytes:
        note = f"larger than {limits.max_attachment_bytes // (1024 * 1024)} MB: not kept"
    else:
        data = _payload(part)
        if total + len(data) > limits.max_total_bytes:
            data, note = None, "the mail's files exceed the total limit: not kept"
    if not name and data is not None and not data and content_id is None:
        return 0  # an empty anonymous part: nothing to show
    out.files.append(
        MailFile(
            name=name,
            mime_type=ctype[:200],
            size=len(data) if data is not None else estimate,
            data=data,
            content_id=content_id,
            inline=content_id is not None and not _is_attachment(part),
            note=note,
        )
    )
    return len(data) if data else 0


def _add_forwarded(part: Message, out: Bodies, limits: Limits, total: int) -> int:
    """A forwarded mail (message/rfc822): kept whole as an .eml file."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):
        return 0
    try:
        data = inner.as_bytes()
    except Exception:  # re-serializing a broken inner mail can fail
        return 0
    if len(out.files) >= limits.max_files or total + len(data) > limits.max_total_bytes:
        return 0
    subject = fix_header(str(inner.get("Subject", "") or ""))[:100].strip()
    name = f"{subject or 'forwarded message'}.eml".replace("/", "_")
    out.files.append(MailFile(name=name, mime_type="message/rfc822", size=len(data), data=data))
    return len(data)
