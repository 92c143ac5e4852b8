"""HTML mail: readable text for the conversation view, and a sanitized copy to show.

The sanitized copy (nh3, the Python binding of the maintained Ammonia sanitizer) keeps
formatting, tables and links, drops scripts, styles, forms, event handlers and every
unknown scheme. Remote images never load by themselves: their ``src`` moves to
``data-remote-src`` (http/https only), and the page swaps it back when the operator asks.
Inline images (``cid:``) point at our stored copy through ``cid_map``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser

import nh3

MAX_HTML_CHARS = 2_000_000

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"title", "align", "dir", "lang", "class"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "data-remote-src"},
    "td": {"colspan", "rowspan", "width", "valign"},
    "th": {"colspan", "rowspan", "width", "valign"},
    "font": {"color"},
    "table": {"width", "border", "cellpadding", "cellspacing"},
}
_IMG_SRC = re.compile(r"(<img\b[^>]*?\s)src(\s*=)", re.IGNORECASE)


class Sanitized:
    """The sanitized HTML and whether remote images were held back."""

    __slots__ = ("html", "remote_images")

    def __init__(self, html: str, remote_images: bool) -> None:
        self.html = html
        self.remote_images = remote_images


def sanitize(html: str, cid_map: Mapping[str, str] | None = None) -> Sanitized:
    """Safe HTML for the "show original" view; never raises."""
    cids = {k.lower(): v for k, v in (cid_map or {}).items()}
    remote = False

    def attribute(element: str, name: str, value: str) -> str | None:
        nonlocal remote
        if element != "img" or name not in ("src", "data-remote-src"):
            return value
        low = value.strip().lower()
        if low.startswith("cid:"):
            known = low[4:].strip("<>") in cids
            return value if known and name == "data-remote-src" else None
        if low.startswith(("http://", "https://")):
            remote = True
            return value if name == "data-remote-src" else None
        return None  # data:, javascript:, file: ... never

    # Every img src becomes data-remote-src first; the filter then keeps only what is safe.
    prepared = _IMG_SRC.sub(r"\1data-remote-src\2", html[:MAX_HTML_CHARS])
    try:
        clean = nh3.clean(
            prepared,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto", "tel"},
            link_rel="noopener noreferrer nofollow",
            attribute_filter=attribute,
            strip_comments=True,
        )
        clean = _cid_back(clean, cids)
    except Exception:  # the sanitizer must not lose the mail: show its text instead
        return Sanitized("", False)
    return Sanitized(clean, remote)


def _cid_back(html: str, cids: Mapping[str, str]) -> str:
    """Inline images held as ``data-remote-src="cid:..."`` never reached the filter's
    ``src`` branch; give them their stored copy's URL."""
    if not cids:
        return html

    def swap(match: re.Match[str]) -> str:
        local = cids.get(match.group(1).lower())
        return f'src="{local}"' if local else ""

    return re.sub(r'data-remote-src="cid:<?([^">]+)>?"', swap, html, flags=re.IGNORECASE)


_BLOCK = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "blockquote", "pre", "hr", "dt", "dd",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "template", "noscript"}
# Gmail, Outlook, Apple Mail and Thunderbird mark the quoted history with these.
_QUOTE_CLASSES = {"gmail_quote", "moz-cite-prefix", "yahoo_quoted", "ms-outlook-quote"}
_QUOTE_IDS = {"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.quote_parts: list[str] = []
        self._skip = 0
        self._quote_depth = 0
        self._stack: list[bool] = []  # per open element: did it start a quote?
        self._quoted_from_here = False

    def _out(self) -> list[str]:
        return self.quote_parts if (self._quote_depth or self._quoted_from_here) else self.parts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").lower().split())
        starts_quote = (
            tag == "blockquote"
            or bool(classes & _QUOTE_CLASSES)
            or (values.get("id") or "").lower() in _QUOTE_IDS
        )
        if (values.get("id") or "").lower() in _QUOTE_IDS:
            self._quoted_from_here = True  # Outlook: everything after its marker is history
        if tag not in ("br", "img", "hr", "meta", "link", "input", "col"):
            self._stack.append(starts_quote)
            if starts_quote:
                self._quote_depth += 1
        if tag in _BLOCK:
            self._out().append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag in _BLOCK:
            self._out().append("\n")
        if self._stack and tag not in ("br", "img", "hr") and self._stack.pop():
            self._quote_depth = max(0, self._quote_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._out().append(data)


def _tidy(parts: list[str]) -> str:
    text = "".join(parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> tuple[str, str]:
    """``(text, quoted)``: readable text of the new part, and of the quoted history."""
    parser = _TextParser()
    try:
        parser.feed(html[:MAX_HTML_CHARS])
        parser.close()
    except Exception:  # the stdlib parser is lenient; this is a last resort
        return re.sub(r"<[^>]*>", " ", html[:MAX_HTML_CHARS]).strip(), ""
    return _tidy(parser.parts), _tidy(parser.quote_parts)
