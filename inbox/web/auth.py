"""Who is calling: the authentication middleware and the role checks of every API route.

The middleware resolves the operator from a personal API token
(``Authorization: Bearer inb_...``) and stores it on the request. Route handlers state
what they need with :func:`requires`; nothing under ``/api/v1`` is reachable without it.
The browser uses the second source: a Redis-backed session cookie (HttpOnly,
SameSite=Lax, Secure behind HTTPS). Unsafe requests on a cookie session must carry the
session's CSRF token in ``X-CSRF-Token`` (double submit); token requests need none, since
a browser never attaches a bearer token by itself.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from inbox.domain.errors import Forbidden, NotFound, Unauthorized
from inbox.domain.models import Operator, Role
from inbox.web.keys import HUB

OPERATOR = web.RequestKey("operator", Operator)
SESSION_ID = web.RequestKey("session_id", str)
SESSION_COOKIE = "inbox_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_PATHS = frozenset({"/api/v1/auth/login", "/api/v1/openapi.json"})

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def authenticate(request: web.Request) -> Operator | None:
    """The operator behind this request's credentials, or None when it has none."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return await authenticate_session(request)
    hub = request.app[HUB]
    operator_id = await hub.tokens.operator_for(token.strip())
    if operator_id is None:
        raise Unauthorized("invalid or revoked API token", code="invalid_token")
    try:
        operator = await hub.operators.get(operator_id)
    except NotFound:
        raise Unauthorized("the token's operator no longer exists", code="invalid_token") from None
    return operator if operator.active else None


async def authenticate_session(request: web.Request) -> Operator | None:
    """The operator of a valid session cookie; unsafe methods must echo its CSRF token."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    hub = request.app[HUB]
    session = await hub.sessions.get(session_id)
    if session is None:
        return None  # expired or logged out: the route then asks to log in
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise Forbidden("missing or wrong CSRF token", code="csrf_failed")
    try:
        operator = await hub.operators.get(session.operator_id)
    except NotFound:
        return None
    if not operator.active:
        return None
    request[SESSION_ID] = session_id
    return operator


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/api/") and request.path not in PUBLIC_PATHS:
        operator = await authenticate(request)
        if operator is not None:
            request[OPERATOR] = operator
            structlog.contextvars.bind_contextvars(operator_id=operator.id)
    return await handler(request)


def current_operator(request: web.Request) -> Operator:
    operator: Operator | None = request.get(OPERATOR)
    if operator is None:
        raise Unauthorized("log in or send an API token", code="not_authenticated")
    return operator


def requires(*roles: Role) -> Callable[[RouteHandler], RouteHandler]:
    """Allow a route to these roles (none given: any logged-in operator)."""

    def wrap(handler: RouteHandler) -> RouteHandler:
        @wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            operator = current_operator(request)
            if roles and operator.role not in roles:
                raise Forbidden(f"needs role {' or '.join(r.value for r in roles)}")
            return await handler(request)

        checked.__dict__["required_roles"] = roles  # read by the role-matrix test
        return checked

    return wrap
