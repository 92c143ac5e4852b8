"""Hostile values, the categories of issue 18, and Hypothesis strategies built from them.

A JSON document may hold :class:`Raw` leaves: bytes spliced into the encoded body as they
are, for what ``json.dumps`` cannot write (4,300+ digit integers, 3,000-deep nesting,
invalid UTF-8, lone surrogates as raw bytes).
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

DEEP = 3_200  # past the ~3,000 where the probe found the 500s
HUGE_DIGITS = 4_400  # past Python's 4,300-digit int/str conversion limit
HUGE_STRING = 300_000  # characters; large, yet far below the webhook body limit


@dataclass(frozen=True)
class Raw:
    """Bytes written into the body verbatim where this leaf stands."""

    data: bytes
    label: str


def deep_array(depth: int = DEEP) -> Raw:
    return Raw(b"[" * depth + b"]" * depth, f"array nested {depth} deep")


def deep_object(depth: int = DEEP) -> Raw:
    return Raw(b'{"a":' * depth + b"1" + b"}" * depth, f"object nested {depth} deep")


def huge_int(digits: int = HUGE_DIGITS, sign: str = "") -> Raw:
    return Raw((sign + "9" * digits).encode(), f"{digits}-digit integer")


INVALID_UTF8 = Raw(b'"\xff\xfe\xc3\x28"', "string with invalid UTF-8 bytes")
RAW_SURROGATE = Raw('"\ud800x"'.encode("utf-8", "surrogatepass"), "raw lone surrogate bytes")

# Leaves that each hit one category of the issue (plus classics).
BIG_INTS: list[Any] = [2**63, 2**63 + 1, 2**64, -(2**63) - 1, 10**20, -1, 0]
EDGE_DATES: list[Any] = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-14:00",
    "10000-01-01T00:00:00Z",
    "0000-00-00T00:00:00Z",
    "2026-02-30T25:61:61Z",
    "1970-01-01",
    253_402_300_800,  # 10000-01-01 as a Unix time
    -62_135_596_801,  # just before 0001-01-01
    2**63,
    1e308,
]
SURROGATES: list[Any] = ["\ud800", "a\udfffb", "\udc00" * 3, "\ud83d"]
ODD_STRINGS: list[Any] = [
    "",
    " ",
    "\x00",
    "\r\nX-Injected: 1",
    "../../etc/passwd",
    "$where",
    "a.b",
    "$gt",
    "<script>alert(1)</script>",
    "\u202e\u0000\ufeff",
    "😀" * 50,
    "Ω" * 5000,
    "x" * 5000,
    "Not/AZone",
    "NaN",
]
IDS: list[Any] = ["", " ", "x" * 300, "x" * 5000, "\x00", "..", "%2e%2e", "$ne", "😀", "\ud800"]
HUGE: list[Any] = ["x" * HUGE_STRING, "й" * (HUGE_STRING // 2)]
RAWS: list[Raw] = [
    deep_array(),
    deep_object(),
    huge_int(),
    huge_int(sign="-"),
    Raw(b"1e999999", "float overflowing to infinity"),
    Raw(b"NaN", "NaN literal"),
    INVALID_UTF8,
    RAW_SURROGATE,
    Raw(b'"\\ud800"', "escaped lone surrogate"),
]
LEAVES: list[Any] = [*BIG_INTS, *EDGE_DATES, *SURROGATES, *ODD_STRINGS, *IDS, *RAWS]

# Whole bodies that are hostile before any schema: parsers must answer 4xx, not 500.
RAW_BODIES: dict[str, bytes] = {
    "empty body": b"",
    "not JSON": b"hello",
    "invalid UTF-8 body": b'{"text": "\xff\xfe\xfd"}',
    "JSON array": b"[]",
    "JSON null": b"null",
    "JSON string": b'"x"',
    "deep array body": deep_array().data,
    "deep object body": deep_object().data,
    "huge integer body": huge_int().data,
    "huge integer field": b'{"id": ' + huge_int().data + b"}",
    "lone surrogate body": b'{"text": "\\udc00"}',
    "truncated JSON": b'{"a": [1, 2',
    "BOM then JSON": b"\xef\xbb\xbf{}",
    "UTF-16 JSON": '{"a": 1}'.encode("utf-16"),
    "NUL bytes": b'{"a": "\x00"}\x00\x00',
    "duplicate keys": b'{"a": 1, "a": {"$gt": ""}}',
}

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/xml",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "application/octet-stream",
    "",
]

# Cursors and paging values: base64 of junk, operators, overflow, nonsense.
CURSORS: list[str] = [
    "",
    "!!!",
    "=",
    base64.urlsafe_b64encode(b'{"$gt": ""}').decode(),
    base64.urlsafe_b64encode(b"\xff" * 20).decode(),
    base64.urlsafe_b64encode(json.dumps({"t": "9999-99-99", "id": 2**70}).encode()).decode(),
    base64.urlsafe_b64encode(b"[" * 50).decode(),
    "9" * HUGE_DIGITS,
    str(2**63),
    "-1",
    "1e400",
    "0001-01-01T00:00:00",
    "10000-01-01T00:00:00+00:00",
    "A" * 5000,
    "%00",
    "\ud800",
    # Well-formed cursors (base64 of "<time>|<id>") carrying edge times and odd ids.
    *(
        base64.urlsafe_b64encode(f"{at}|{cid}".encode()).decode()
        for at in (
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "2026-01-01T00:00:00",
            "9999-12-31T23:59:59.999999",
            "0001-01-01",
        )
        for cid in ("6b1307f5e26c70593a83639b", "")
    ),
    base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|" + b"\xff" * 4).decode(),
    base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|" + b"x" * 3000).decode(),
]

# Signature headers that no secret produced.
FORGED_SIGNATURES: list[str | bytes] = [
    "",
    "sha256=",
    "sha256=" + "0" * 64,
    "0" * 64,
    "sha256=" + "g" * 64,
    "sha256=ü" + "a" * 63,
    "ключ",
    "😀",
    "sha256=" + "a" * 10_000,
    "x" * 20_000,
    "sha256=\t",
    "SHA256=" + "f" * 64,
    "é".encode("latin-1"),
    b"\xff\xfe\xfd",
    "sha256=" + "ab" * 32 + " ",
]


def multipart_bodies(boundary: str = "fzb") -> dict[str, tuple[str, bytes]]:
    """Malformed multipart uploads: (content type, body) by label."""
    ct = f"multipart/form-data; boundary={boundary}"
    b = boundary.encode()
    part = b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n'
    return {
        "multipart without boundary": ("multipart/form-data", b"--x\r\n" + part + b"--x--\r\n"),
        "multipart unterminated": (ct, b"--" + b + b"\r\n" + part),
        "multipart garbage": (ct, b"not multipart at all"),
        "multipart empty": (ct, b""),
        "multipart header garbage": (
            ct,
            b"--" + b + b"\r\n\xff\xfe: \x00\r\n\r\nx\r\n--" + b + b"--",
        ),
        "multipart CRLF file name": (
            ct,
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; '
            b'filename="a\r\nb.txt"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--' + b + b"--\r\n",
        ),
        "multipart valid upload": (
            ct,
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="note.txt"'
            b"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--" + b + b"--\r\n",
        ),
        "multipart file name with encoded CR/LF": (
            ct,
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; '
            b"filename*=UTF-8''a%0D%0AX-Injected%3A%201.txt\r\nContent-Type: text/plain\r\n\r\n"
            b"hi\r\n--" + b + b"--\r\n",
        ),
        "multipart file name with quoted CR/LF": (
            ct,
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="a\\\r\nb.txt"'
            b"\r\nContent-Type: text/plain\r\n\r\nhi\r\n--" + b + b"--\r\n",
        ),
        "multipart non-UTF-8 file name": (
            ct,
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; '
            b'filename="\xff\xfe.txt"\r\n\r\nhi\r\n--' + b + b"--\r\n",
        ),
        "multipart huge part header": (
            ct,
            b"--" + b + b"\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\nhi\r\n--" + b + b"--\r\n",
        ),
        "multipart text field invalid UTF-8": (
            ct,
            b"--"
            + b
            + b'\r\nContent-Disposition: form-data; name="text"\r\n\r\n\xff\xfe\r\n--'
            + b
            + b"--\r\n",
        ),
    }


def encode(doc: Any, *, ascii_only: bool = True) -> bytes:
    """JSON bytes of ``doc`` with every :class:`Raw` leaf spliced in verbatim."""
    raws: list[bytes] = []

    def swap(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.data)
            return f"__fzraw{len(raws) - 1}__"
        if isinstance(value, dict):
            return {str(k): swap(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(doc), ensure_ascii=ascii_only, allow_nan=True)
    body = text.encode("utf-8", "surrogatepass")
    for i, data in enumerate(raws):
        body = body.replace(f'"__fzraw{i}__"'.encode(), data)
    return body


# --- Hypothesis strategies --------------------------------------------------------------

leaves = st.sampled_from(LEAVES)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    leaves,
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
path_texts = st.one_of(
    st.sampled_from(IDS),
    st.text(max_size=30),
    st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=40),
)


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """``doc`` with one to three spots replaced by hostile values, keys dropped or added."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        doc = _mutate_once(draw, doc)
    return doc


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _mutate_once(draw: st.DrawFn, doc: Any) -> Any:
    path = draw(st.sampled_from(_paths(doc)))
    action = draw(st.sampled_from(["leaf", "leaf", "leaf", "value", "drop", "extra"]))
    if action == "leaf":
        new: Any = draw(leaves)
    elif action == "value":
        new = draw(json_values)
    else:
        new = None
    return _set(doc, path, new, action, draw)


def _set(doc: Any, path: tuple[Any, ...], new: Any, action: str, draw: st.DrawFn) -> Any:
    if not path:
        if action == "extra" and isinstance(doc, dict):
            return {**doc, draw(st.sampled_from(["$where", "a.b", "_id", "extra"])): draw(leaves)}
        return doc if action in ("drop", "extra") else new
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        copy = dict(doc)
        if not rest and action == "drop":
            copy.pop(head, None)
        else:
            copy[head] = _set(doc[head], rest, new, action, draw)
        return copy
    copy_list = list(doc)
    copy_list[head] = _set(doc[head], rest, new, action, draw)
    return copy_list
