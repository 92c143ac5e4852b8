"""Cut the quoted history and the signature from a reply's text (the original is kept).

mail-parser-reply (maintained, many languages: en, de, fr, es, it, nl, pl, sv, da, cs,
ja, ko, zh) finds reply headers ("On ... wrote:", Outlook's "From:/Sent:/To:" block,
"-----Original Message-----"). It has no Ukrainian or Russian, so our own patterns below
add them ("... написав(ла):", "... пише:", "... писал(а):", "... пишет:", Outlook's
"Від:/Надіслано:/Кому:/Тема:" and "От:/Отправлено:/Кому:/Тема:" blocks, Gmail's
"ср, 30 апр. 2025 г. в 15:19, Name <a@b>:"). The earliest cut found by either wins.
Signatures are cut at the RFC 3676 delimiter ("-- "). The library's own signature
heuristics ("Thanks," ends the mail) are not used: they cut real text.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES

MAX_SPLIT_CHARS = 200_000  # longer bodies are shown whole (regexes stay linear in time)

_LANGUAGES = [lang for lang in MAIL_LANGUAGES if len(lang) == 2]
_PARSER = EmailReplyParser(languages=_LANGUAGES)

_Q = r"(?:> ?)*"  # inside quoted levels too
_WROTE = re.compile(
    rf"^{_Q}[^\n]{{0,300}}?(?:"
    r"написав\(ла\)|написала?|написав|пише|писал\(а\)|писала?|пишет|"
    r"wrote|написал\(а\)"
    r")\s*:\s*$",
    re.MULTILINE | re.IGNORECASE,
)
# Gmail in many languages: "<date>, <name> <address>:" on one line, ending in a colon.
_ADDR = r"<[^<>@\s]+@[^<>\s]+>"
_ADDRESS_HEADER = re.compile(
    rf"^{_Q}[^\n]{{0,200}}\d[^\n]{{0,200}}{_ADDR}[^\n]{{0,40}}:\s*$"
    rf"|^{_Q}[^\n]{{0,200}}\d[^\n]{{0,200}}\n{_Q}[^\n]{{0,200}}{_ADDR}[^\n]{{0,40}}:\s*$",
    re.MULTILINE,
)
# The same header wrapped by the client: a paragraph of at most three lines that starts
# with a date, holds an address and ends in a colon ("... John <j@x.com>\na écrit :").
_WRAPPED_HEADER = re.compile(
    rf"(?:\A|\n\n){_Q}(?=[^\n]{{0,200}}\d)(?=(?:[^\n]*\n?){{1,3}}?[^\n]*@)"
    rf"[^\n]{{1,200}}(?:\n{_Q}[^\n]{{1,200}}){{1,2}}:\s*(?:\n|\Z)"
)
_BLOCK_WORDS = (
    r"From|Sent|To|Subject|Date|Cc|"
    r"Від|Надіслано|Відправлено|Кому|Тема|Дата|Копія|"
    r"От|Отправлено|Кому|Тема|Дата|Копия"
)
# Outlook's header block: two or more "Word:" lines in a row.
_OUTLOOK_BLOCK = re.compile(
    rf"^{_Q}[* ]*(?:{_BLOCK_WORDS})\s*:[^\n]*\n(?:[^\n:]{{1,200}}\n)?"
    rf"(?:{_Q}[* ]*(?:{_BLOCK_WORDS})\s*:[^\n]*\n?)+",
    re.MULTILINE | re.IGNORECASE,
)
# "-----Original Message-----" in any language, and a bare rule of dashes.
_SEPARATOR = re.compile(r"^\s*-{3,}[^\n-]{3,60}-{3,}\s*$|^\s*-{20,}\s*$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^(?:Sent from my|Sent from Outlook|Get Outlook for|Envoyé à partir de|Envoyé de mon|"
    r"Gesendet von|Надіслано з|Отправлено с)(?:\s+[\w<>:/.\-]+){1,6}\s*$",
    re.MULTILINE | re.IGNORECASE,
)
# "-Ann" alone as the last paragraph: a signature, not a one-item list.
_DASH_NAME = re.compile(r"\n\n-\s?\w[^\n]{0,40}\s*\Z")
_OUTLOOK_RULE = re.compile(r"^_{30,}\s*$", re.MULTILINE)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_QUOTED_TAIL = re.compile(r"(?:^>[^\n]*\n?)+\Z", re.MULTILINE)


def _library_cut(text: str) -> int | None:
    """Where the library's second fragment starts, as an offset into ``text``."""
    stripped = "\n".join(line.strip() for line in text.split("\n"))
    try:
        message = _PARSER.read(stripped)
    except Exception:  # a third-party regex failure must not lose the mail
        return None
    if len(message.replies) < 2 or not message.replies[1].headers:
        return None
    position = message.text.find(message.replies[1].headers)
    if position < 0:
        return None
    line_no = message.text[:position].count("\n")
    return sum(len(line) + 1 for line in text.split("\n")[:line_no])


def _own_cut(text: str) -> int | None:
    cuts = [
        m.start()
        for pattern in (_WROTE, _ADDRESS_HEADER, _OUTLOOK_BLOCK, _SEPARATOR, _OUTLOOK_RULE)
        if (m := pattern.search(text)) is not None
    ]
    wrapped = _WRAPPED_HEADER.search(text)
    if wrapped is not None:
        cuts.append(wrapped.start())
    tail = _QUOTED_TAIL.search(text)
    if tail is not None:
        cuts.append(tail.start())
    return min(cuts) if cuts else None


def _header_start(text: str, cut: int) -> int:
    """Move a cut up over the wrapped first lines of a reply header ("02.04.2012 14:20
    пользователь "bob@x" <" above "bob@x> написал:")."""
    for _ in range(2):
        if cut == 0:
            break
        start = text.rfind("\n", 0, cut - 1) + 1
        previous = text[start : cut - 1]
        if not previous.strip() or not re.search(r"\d.*[<@]|[<@].*\d|<\s*$", previous):
            break
        cut = start
    return cut


def _bottom_posted(text: str) -> tuple[str, str] | None:
    """A reply written below the quote: header and ``>`` lines first, new text after."""
    lines = text.split("\n")
    last_quoted = max((i for i, line in enumerate(lines) if line.startswith(">")), default=-1)
    if last_quoted < 0:
        return None
    after = "\n".join(lines[last_quoted + 1 :]).strip()
    if not after:
        return None
    return after, "\n".join(lines[: last_quoted + 1]).strip()


def split_reply(text: str) -> tuple[str, str]:
    """``(visible, cut)``: the new text of a reply, and the quoted history and signature."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > MAX_SPLIT_CHARS:
        return text.strip(), ""
    normalized = "\n".join(line.rstrip() for line in text.split("\n"))
    cut_points = [c for c in (_library_cut(normalized), _own_cut(normalized)) if c is not None]
    cut = _header_start(normalized, min(cut_points)) if cut_points else len(normalized)
    visible, rest = normalized[:cut], normalized[cut:]
    if not visible.strip() and cut_points:
        bottom = _bottom_posted(normalized)
        if bottom is not None:
            visible, rest = bottom
    for pattern in (_SIGNATURE, _SENT_FROM, _DASH_NAME):
        signature = pattern.search(visible)
        if signature is not None and visible[: signature.start()].strip():
            visible, rest = visible[: signature.start()], visible[signature.start() :] + rest
    visible = visible.strip()
    if not visible:  # all of it looked quoted: show it whole rather than nothing
        return normalized.strip(), ""
    return visible, rest.strip()
