"""File names as we store and serve them: one safe component, printable, bounded.

A name comes from an operator's upload or from a platform and may hold anything: CR/LF
(which can never go back into a ``Content-Disposition`` header, so the file could not be
downloaded), other control characters, lone surrogates, path separators or ``..``.
"""

from __future__ import annotations

import unicodedata

MAX_NAME = 200
_DROP = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})  # controls, format, surrogates


def safe_filename(name: str | None, default: str = "file") -> str:
    """The last path component of ``name`` without control characters, at most 200 chars."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(" " if unicodedata.category(ch) in _DROP else ch for ch in text)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = " ".join(text.split()).strip(". ")
    if len(text) > MAX_NAME:  # keep the extension, which says what the file is
        _stem, dot, ext = text.rpartition(".")
        keep = f"{dot}{ext}" if dot and len(ext) <= 16 else ""
        text = text[: MAX_NAME - len(keep)] + keep
    return text or default
