"""Bounds of the normalized model: every inbound field has a size, in one place.

Webhook bodies are hostile input even when correctly signed (a platform relays whatever
its users send, an API-channel client may have bugs). Two layers:

- The annotated types below are the hard ceiling of every field of ``InboundMessage``,
  ``ContactUpdate``, ``StatusUpdate`` and ``Attachment``: text is cut with :data:`MARK`,
  lone surrogates (which BSON cannot encode) become U+FFFD, ids are refused when empty or
  too long (cutting an id would merge two customers), numbers and dates outside what
  MongoDB and the platforms know become ``None``, phones become E.164 digits or ``None``.
- :data:`CHANNEL_LIMITS` holds the platforms' own, smaller limits (Telegram text 4096,
  caption 1024...). ``InboundMessage.fit`` applies them; ingest calls it with the line's
  kind, so a connector added later gets both layers without a line of its own.

This module imports nothing of the project (models.py imports it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

MARK = "…"  # ends a text that was cut

TEXT_MAX = 65_536  # email bodies, API channel; every platform allows less
NAME_MAX = 256
USERNAME_MAX = 256
ID_MAX = 256
URL_MAX = 4096
FILE_NAME_MAX = 255
MIME_MAX = 255
TITLE_MAX = 1024
SOURCE_MAX = 256
SUBJECT_MAX = 998  # RFC 5322 line length
EMAIL_MAX = 320  # RFC 5321: 64 + @ + 255
LANGUAGE_MAX = 35  # BCP 47 tags in practice
REASON_MAX = 1024
ATTACHMENTS_MAX = 50
SIZE_MAX = 2**53  # any real file; also exact in JavaScript and far below BSON's int64
PHONE_DIGITS_MIN = 3
PHONE_DIGITS_MAX = 15  # E.164
PHONE_RAW_MAX = 64  # longer input is not a phone number, however it is formatted
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # before any of our platforms existed
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_SURROGATE = re.compile("[\ud800-\udfff]")
_PHONE_JUNK = re.compile(r"[\s().\-/]")


def clean(value: str) -> str:
    """The text with lone surrogates replaced (JSON allows them, UTF-8 and BSON do not)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


def cut(value: str, limit: int) -> str:
    """``value`` at most ``limit`` characters long, ending in :data:`MARK` if it was cut."""
    return value if len(value) <= limit else value[: limit - len(MARK)] + MARK


def _text(limit: int) -> Callable[[Any], Any]:
    def bound(value: Any) -> Any:
        return cut(clean(value), limit) if isinstance(value, str) else value

    return bound


def _optional_text(limit: int) -> Callable[[Any], Any]:
    """Cut like :func:`_text`; a value longer than ``limit`` that must not be cut is None."""

    def bound(value: Any) -> Any:
        if isinstance(value, str):
            return clean(value) if len(value) <= limit else None
        return value

    return bound


def _identifier(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty or blank")
        return clean(value)
    return value


def normalize_phone(value: str) -> str | None:
    """E.164-style ``+digits`` (or bare digits when no ``+`` was given); None when the
    value cannot be a phone number (too short, more than 15 digits, letters)."""
    raw = value.strip()
    if len(raw) > PHONE_RAW_MAX:
        return None
    plus = raw.startswith("+")
    body = _PHONE_JUNK.sub("", raw[1:] if plus else raw)
    if not body.isascii() or not body.isdigit():
        return None
    if not PHONE_DIGITS_MIN <= len(body) <= PHONE_DIGITS_MAX:
        return None
    return ("+" if plus else "") + body


def _phone(value: Any) -> Any:
    return normalize_phone(value) if isinstance(value, str) else value


def _size(value: Any) -> Any:
    """A byte count MongoDB can store and a browser can show exactly, else unknown."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= SIZE_MAX else None


def _when(value: datetime | None) -> datetime | None:
    """UTC, or None for a time no message can have been sent at (or not representable)."""
    if value is None:
        return None
    try:
        at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    return at if EARLIEST <= at < LATEST else None


def _degrees(limit: float) -> Callable[[Any], Any]:
    """A coordinate on the globe, else unknown: a platform's sample with ``lat: 1234`` is
    still a location message the customer sent, so the message is kept without it."""

    def bound(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            degrees = float(value)
        except OverflowError:
            return None
        return degrees if math.isfinite(degrees) and -limit <= degrees <= limit else None

    return bound


def _first(limit: int) -> Callable[[Any], Any]:
    def bound(value: Any) -> Any:
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            return tuple(value[:limit])
        return value

    return bound


Text = Annotated[str, BeforeValidator(_text(TEXT_MAX))]
Name = Annotated[str, BeforeValidator(_text(NAME_MAX))]
Username = Annotated[str, BeforeValidator(_text(USERNAME_MAX))]
Title = Annotated[str, BeforeValidator(_text(TITLE_MAX))]
FileName = Annotated[str, BeforeValidator(_text(FILE_NAME_MAX))]
Source = Annotated[str, BeforeValidator(_text(SOURCE_MAX))]
Subject = Annotated[str, BeforeValidator(_text(SUBJECT_MAX))]
Reason = Annotated[str, BeforeValidator(_text(REASON_MAX))]
Kind = Annotated[str, BeforeValidator(_text(64))]  # an event kind named by the platform
# Values that mean nothing when cut: refused (ids) or dropped (the rest).
ExternalId = Annotated[str, BeforeValidator(_identifier), Field(min_length=1, max_length=ID_MAX)]
OptionalId = Annotated[str | None, BeforeValidator(_optional_text(ID_MAX))]
Url = Annotated[str | None, BeforeValidator(_optional_text(URL_MAX))]
Mime = Annotated[str | None, BeforeValidator(_optional_text(MIME_MAX))]
Email = Annotated[str | None, BeforeValidator(_optional_text(EMAIL_MAX))]
Language = Annotated[str | None, BeforeValidator(_optional_text(LANGUAGE_MAX))]
Phone = Annotated[str | None, BeforeValidator(_phone)]
Size = Annotated[int | None, BeforeValidator(_size)]
When = Annotated[datetime | None, AfterValidator(_when)]
Latitude = Annotated[float | None, BeforeValidator(_degrees(90.0))]
Longitude = Annotated[float | None, BeforeValidator(_degrees(180.0))]


def bounded_tuple(limit: int) -> BeforeValidator:
    """Keep the first ``limit`` items of a list (the rest is dropped, not refused)."""
    return BeforeValidator(_first(limit))


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """A platform's own limits, in characters (what its clients let a user send)."""

    text: int = TEXT_MAX
    caption: int = TEXT_MAX  # text that comes with an attachment
    name: int = NAME_MAX  # the whole display name (first + last)
    username: int = USERNAME_MAX


# Keyed by ``ChannelKind`` value (a StrEnum, so the enum itself looks them up).
CHANNEL_LIMITS: dict[str, ChannelLimits] = {
    # Bot API: text 4096 and caption 1024 after entity parsing; first and last name 64 each
    # (one space between), usernames 5-32.
    "telegram": ChannelLimits(text=4096, caption=1024, name=129, username=32),
    # REST Bot API: text 7000 (client libraries); user names are not documented: 256.
    "viber": ChannelLimits(text=7000, caption=7000),
}


def limits_for(channel: str) -> ChannelLimits:
    """The channel's own limits; channels without any (email, API) get the ceilings."""
    return CHANNEL_LIMITS.get(channel, ChannelLimits())
