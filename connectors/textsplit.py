"""Split long text into parts a platform accepts, at the most natural boundary available.

Limits are counted in UTF-16 code units, as Telegram counts them (an emoji outside the
Basic Multilingual Plane counts twice), so a part never goes over, whatever the script.
A cut prefers a paragraph break, then a line break, then a sentence end, then a space;
only a single word longer than the limit is cut inside, and never inside a surrogate pair
or between a character and its combining marks.
"""

from __future__ import annotations

import unicodedata


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The largest prefix length (in code points) of ``text`` within ``limit`` UTF-16 units."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


def _cut(rest: str, fits: int) -> int:
    """Where to end the next part: ``fits`` code points of ``rest`` are allowed."""
    window = rest[:fits]
    for sep in ("\n\n", "\n", ". ", "! ", "? ", " "):
        at = window.rfind(sep)
        if at > 0:
            return at + len(sep)
    cut = fits
    # Step back over combining marks and joiners so one visible character stays whole.
    while cut > 1 and (unicodedata.combining(rest[cut]) or rest[cut] in "\u200d\ufe0f"):
        cut -= 1
    return cut


def split_text(text: str, limit: int) -> list[str]:
    """Parts of ``text`` each at most ``limit`` UTF-16 units; joined they give back ``text``.

    Whitespace at a cut stays at the end of the earlier part, so nothing is lost.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        fits = _fit(rest, limit)
        cut = _cut(rest, fits)
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest or not parts:
        parts.append(rest)
    return parts
