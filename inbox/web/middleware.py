"""Request boundary: a request id bound to the logs, one mapping of errors to JSON, and the
security headers of every answer.

Every error body is ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from inbox.domain.errors import InboxError, RateLimited, Unavailable

log = structlog.get_logger(__name__)


def error_response(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status, headers=headers or None
    )


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    request_id = (
        incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    response = await handler(request)
    response.headers["X-Request-Id"] = request_id
    return response


@web.middleware
async def errors_to_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except InboxError as e:
        if e.status >= 500:
            log.error("request_failed", code=e.code, error=e.message, path=request.path)
        else:
            log.info("request_rejected", code=e.code, error=e.message, path=request.path)
        headers: dict[str, Any] = {}
        if isinstance(e, RateLimited | Unavailable) and e.retry_after is not None:
            headers["Retry-After"] = str(int(e.retry_after + 0.999))
        return error_response(e.status, e.code, e.message, **headers)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        code = (e.reason or "error").lower().replace(" ", "_")
        return error_response(e.status, code, e.text or e.reason or "error")
    except Exception:  # the request boundary: log it, answer 500, keep serving
        log.exception("request_crashed", path=request.path)
        return error_response(500, "internal_error", "internal error")


HSTS = "max-age=31536000; includeSubDomains"


def came_over_https(request: web.Request) -> bool:
    """Directly over TLS, or through a proxy that says so (``X-Forwarded-Proto``).

    Browsers ignore HSTS received over plain HTTP, so a forged header cannot hurt here.
    """
    if request.secure:
        return True
    proto = request.headers.get("X-Forwarded-Proto", "")
    return proto.split(",")[0].strip().lower() == "https"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every answer (JSON, files, errors, the socket's handshake)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if came_over_https(request):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
