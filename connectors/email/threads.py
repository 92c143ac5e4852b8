"""Threading helpers: subjects, Message-ID lists, and our reply token.

Our outbound Message-ID carries a reply token: ``<{message}.{conversation}.{sig}@domain>``
where ``sig`` is an HMAC of both ids under the line's secret. A customer's client copies
it into In-Reply-To/References, so even when the stored Message-ID cannot be found (a
crash between the SMTP answer and our bookkeeping) the reply finds its conversation, and
nobody can forge a token that joins someone else's conversation.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MAX_REFERENCES = 50
_MSGID = re.compile(r"<([^<>\s]{1,900})>")
_TOKEN = re.compile(r"^([0-9a-f]{24})\.([0-9a-f]{24})\.([0-9a-f]{16})@(.+)$")
# Reply and forward prefixes of common clients, in English, Ukrainian, Russian, German...
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|odp|r|ответ|відповідь|отв)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+",
    re.IGNORECASE,
)
_FORWARD_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw)\s*:\s*)*(?:fwd?|fw|wg|tr|доб|пересл|переслано|пересылка|"
    r"переслати|пересланий)\s*:",
    re.IGNORECASE,
)
_LIST_TAG = re.compile(r"^\s*\[[^\]]{1,40}\]\s*")


def message_ids(value: str | None, limit: int = MAX_REFERENCES) -> tuple[str, ...]:
    """The ``<id>`` values of an In-Reply-To or References header, bare, in order."""
    if not value:
        return ()
    found = _MSGID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]  # a client that forgot the angle brackets
    out: list[str] = []
    for mid in found:
        if mid not in out:
            out.append(mid)
    return tuple(out[-limit:])


def bare_id(value: str | None) -> str | None:
    ids = message_ids(value, 1)
    return ids[0] if ids else None


def is_forward(subject: str | None) -> bool:
    return bool(subject and _FORWARD_PREFIX.match(subject))


def is_reply(subject: str | None) -> bool:
    return bool(subject and _REPLY_PREFIX.match(subject))


def strip_prefixes(subject: str) -> str:
    """The subject without its "Re:"/"Відповідь:" prefixes (any number of them)."""
    return _REPLY_PREFIX.sub("", subject).strip()


def subject_key(subject: str | None) -> str | None:
    """The normalized subject used to find a thread; None for a forward or nothing."""
    if not subject or is_forward(subject):
        return None
    core = strip_prefixes(_LIST_TAG.sub("", subject))
    core = re.sub(r"\s+", " ", core).strip().casefold()
    return core[:300] or None


def reply_subject(subject: str | None) -> str:
    """ "Re: " once, never "Re: Re: "."""
    core = strip_prefixes(subject or "")
    return f"Re: {core}" if core else "Re: your message"


def _sig(key: str, message_id: str, conversation_id: str) -> str:
    mac = hmac.new(key.encode(), f"{message_id}.{conversation_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:16]


def make_message_id(message_id: str, conversation_id: str, key: str, domain: str) -> str:
    """Our outbound Message-ID (bare, without angle brackets) with the reply token."""
    return f"{message_id}.{conversation_id}.{_sig(key, message_id, conversation_id)}@{domain}"


def read_token(mid: str, key: str) -> tuple[str, str] | None:
    """``(message_id, conversation_id)`` of one of our Message-IDs, if its token is genuine."""
    match = _TOKEN.match(mid)
    if match is None or not key:
        return None
    message_id, conversation_id, sig = match.group(1), match.group(2), match.group(3)
    if not hmac.compare_digest(sig, _sig(key, message_id, conversation_id)):
        return None
    return message_id, conversation_id
