"""Decoding webhook bodies: JSON with bounded nesting and numbers, for every connector.

``json.loads`` alone turns hostile but signed bodies into crashes: nesting deeper than
the interpreter's recursion limit raises ``RecursionError``, an integer of more than
4,300 digits raises a plain ``ValueError``, ``1e999`` becomes ``inf``. :func:`loads` turns
each into :class:`BodyError`, which a connector raises as its own payload error.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 64  # far deeper than any platform's payload
MAX_INT_DIGITS = 40  # int64 ids have 19 digits; anything near 40 is not an id


class BodyError(ValueError):
    """The body is not JSON we accept; ``code`` is ``invalid_json``."""

    code = "invalid_json"


def _int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise BodyError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError("a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise BodyError(f"{name} is not a JSON number")


def _depth_ok(data: Any) -> bool:
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def loads(body: bytes) -> Any:
    """The decoded body; raises :class:`BodyError` with a short, safe message."""
    try:
        data = json.loads(body, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except BodyError:
        raise
    except RecursionError:
        raise BodyError(f"nesting is deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BodyError(f"body is not valid JSON: {e}") from e
    except ValueError as e:  # what else the decoder refuses
        raise BodyError(f"body is not valid JSON: {e}") from e
    # Fewer brackets than the limit cannot nest deeper: the common case skips the walk.
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and not _depth_ok(data):
        raise BodyError(f"nesting is deeper than {MAX_DEPTH} levels")
    return data
