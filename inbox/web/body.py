"""Reading request bodies: one place for the size limit, the read deadline and JSON.

Every JSON route and the webhooks read through here, so hostile bodies get the same clear
answer everywhere: too large -> 413, too slow -> 408, not JSON (invalid UTF-8, lone
surrogates, nesting deeper than ``pydantic_core``'s limit of 200 levels, numbers longer
than Python's 4,300-digit int limit, bare NaN/Infinity) -> 422 ``invalid_json``. Never a
500, and the error message never quotes the body.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic_core
from aiohttp import web

from inbox.domain.errors import PayloadTooLarge, ValidationFailed
from inbox.web.keys import HUB

JSON_MAX_BODY = 1024 * 1024  # aiohttp's own default client_max_size


def _timeout(request: web.Request) -> float:
    return request.app[HUB].settings.body_timeout_s


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refusing anything larger than ``limit`` (without reading it all) or slower
    than the body deadline (``INBOX_BODY_TIMEOUT_S``: a slow client holds a connection)."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(_timeout(request)):
            async for chunk in request.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"body is larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise web.HTTPRequestTimeout(text="the request body arrived too slowly") from None
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    """Decoded JSON, or ``ValidationFailed(code="invalid_json")``; an empty body is ``{}``."""
    if not raw.strip():
        return {}
    try:
        return pydantic_core.from_json(raw, allow_inf_nan=False, cache_strings=False)
    except ValueError as e:
        # The parser's reason names a position, never the content.
        raise ValidationFailed(f"the body is not valid JSON: {e}", code="invalid_json") from None


async def read_json(request: web.Request, limit: int = JSON_MAX_BODY) -> Any:
    """The request's JSON body, read within the size limit and the deadline."""
    return parse_json(await read_limited(request, limit))
