"""Turn mail bytes into text whatever the charset label says.

Ukrainian and Russian mail comes in windows-1251, koi8-r, koi8-u and mac-cyrillic, and is
often labelled wrongly: no label, ``us-ascii`` or ``iso-8859-1`` on Cyrillic bytes, or one
Cyrillic code page named for another. A declared charset is trusted when the bytes decode
cleanly and read as text; otherwise charset-normalizer (a maintained detector) chooses
among the declared charset and the Cyrillic code pages. Nothing here raises.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

# Single-byte labels that accept any byte sequence, so a clean decode proves nothing.
_PERMISSIVE = {"latin_1", "iso8859_1", "cp1252", "ascii", "iso8859_15"}
_CYRILLIC = ("cp1251", "koi8_r", "koi8_u", "mac_cyrillic", "cp866", "iso8859_5")
_ALIASES = {"x-mac-cyrillic": "mac_cyrillic", "unicode-1-1-utf-7": "utf_7", "none": ""}
_CYR_LETTER = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_CYR_LOWER = re.compile(r"[а-яёіїєґ]")
MAX_DETECT = 64 * 1024  # the detector reads a bounded sample


def codec_name(label: str | None) -> str | None:
    """Python's name for a charset label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip('"').lower()
    label = _ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None


def _cyrillic_quality(text: str) -> float:
    """Share of lower-case among Cyrillic letters: real text is mostly lower case, a wrong
    Cyrillic code page turns it into mostly capitals."""
    letters = len(_CYR_LETTER.findall(text))
    if letters < 8:
        return 1.0
    return len(_CYR_LOWER.findall(text)) / letters


def _detect(data: bytes, declared: str | None) -> str | None:
    candidates = [c for c in (declared, "utf_8", *_CYRILLIC) if c]
    try:
        best = from_bytes(data[:MAX_DETECT], cp_isolation=candidates).best()
    except Exception:  # a detector bug must not lose the mail: fall back below
        return None
    return codec_name(best.encoding) if best is not None else None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text of ``data``; ``declared`` is the charset label found in the mail, if any."""
    if not data:
        return ""
    codec = codec_name(declared)
    if data.isascii() and codec in (None, "ascii", "utf_8", *_PERMISSIVE):
        return data.decode("ascii")
    if codec != "utf_8" and not data.isascii():
        # Valid multi-byte UTF-8 is next to impossible by chance in 8-bit text, so it wins
        # over a single-byte label (a common mislabel of modern clients' mail).
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec == "koi8_r":
        codec = "koi8_u"  # the same letters, plus Ukrainian ones koi8-r shows as box lines
    if codec is not None and codec not in _PERMISSIVE:
        try:
            text = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            text = None
        if text is not None and (codec not in _CYRILLIC or _cyrillic_quality(text) >= 0.5):
            return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = _detect(data, codec)
    if codec in _PERMISSIVE and guess not in _CYRILLIC:
        guess = codec  # a Western mail correctly labelled: keep its label
    for name in (guess, codec, "cp1251"):
        if name:
            try:
                return data.decode(name, errors="replace")
            except LookupError:
                continue
    return data.decode("utf-8", errors="replace")


def fix_header(value: str) -> str:
    """A header the parser decoded with surrogate escapes (raw 8-bit bytes): decode it."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    raw = value.encode("utf-8", errors="surrogateescape")
    return decode_bytes(raw)
