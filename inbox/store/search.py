"""Search without ``$text``: normalised word lists stored beside the data, matched by prefix.

Each searchable document keeps a small array of lower-cased words (``search_words`` on
messages, ``name_words`` on contacts) under a multikey index; a query word becomes an
anchored, escaped regex (``^word``), which MongoDB answers from the index.
"""

from __future__ import annotations

import re

MAX_WORDS = 200
MAX_WORD = 40
PHONE_DIGITS = 15  # E.164
PHONE_CHARS = 64  # a formatted number is never longer
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str | None) -> list[str]:
    """The distinct normalised words of a text, in order of first appearance."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text.casefold()):
        seen.setdefault(match.group()[:MAX_WORD], None)
        if len(seen) >= MAX_WORDS:
            break
    return list(seen)


def prefix_regex(word: str) -> dict[str, str]:
    """An anchored, escaped regex matching values that start with ``word``."""
    return {"$regex": "^" + re.escape(word)}


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def phone_suffixes(phones: tuple[str, ...] | list[str]) -> list[str]:
    """Every digit suffix (4+ digits) of each phone: "050 123" then finds "+380501234567"
    with an anchored regex, whatever country prefix the number was stored with.

    Only the last 15 digits (E.164's maximum) count: the index grows with the square of
    the length, and a 5,002-digit "phone" once took 46 s to store."""
    out: dict[str, None] = {}
    for phone in phones:
        number = digits(phone[-PHONE_CHARS:])[-PHONE_DIGITS:]
        for start in range(max(0, len(number) - 3)):
            out.setdefault(number[start:], None)
    return list(out)
