"""Log in and out, the caller's own profile and presence, personal API tokens."""

from __future__ import annotations

import structlog
from aiohttp import web

from inbox.domain.errors import NotFound, RateLimited, Unauthorized, UnsupportedMediaType
from inbox.security import hash_password, needs_rehash
from inbox.web.api.registry import ApiRoutes, no_content, read_body, respond
from inbox.web.api.schemas import (
    LoginIn,
    MeIn,
    MeOut,
    Ok,
    PresenceIn,
    TokenIn,
    TokenItem,
    TokenList,
    TokenOut,
)
from inbox.web.auth import SESSION_COOKIE, SESSION_ID, current_operator
from inbox.web.client_address import client_address
from inbox.web.keys import HUB

log = structlog.get_logger(__name__)
api = ApiRoutes(tag="auth")

# Verified against when the login is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = hash_password("not-a-real-password-0")


def secure_cookies(request: web.Request) -> bool:
    public_url = request.app[HUB].settings.public_url or ""
    forwarded = request.headers.get("X-Forwarded-Proto", "").lower()
    return request.secure or forwarded == "https" or public_url.startswith("https://")


@api.route(
    "POST",
    "/auth/login",
    summary="Log in with a password; sets the session cookie",
    public=True,
    body=LoginIn,
    response=MeOut,
)
async def login(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    # JSON only: a cross-site form can post text/plain or form bodies without a CORS
    # preflight, and would log the victim's browser into the attacker's account.
    if request.content_type != "application/json":
        raise UnsupportedMediaType("send the login as application/json")
    body = await read_body(request, LoginIn)
    address = client_address(request)
    # Counted before the check, atomically: a burst of guesses gets at most the limit checked.
    wait = await hub.login_limiter.attempt(body.login, address)
    if wait is not None:
        raise RateLimited("too many failed logins; try again later", retry_after=wait)
    operator = await hub.operators.get_by_login(body.login)
    stored = await hub.operators.password_hash(operator.id) if operator else None
    password = body.password.get_secret_value()
    valid = await hub.passwords.verify(stored or _DUMMY_HASH, password)
    if operator is None or not operator.active or not valid or stored is None:
        log.info("login_failed")
        raise Unauthorized("wrong login or password", code="bad_credentials")
    await hub.login_limiter.succeeded(body.login, address)
    if needs_rehash(stored):
        await hub.operators.set_password_hash(operator.id, await hub.passwords.hash(password))
    session_id, session = await hub.sessions.create(operator.id)
    log.info("login_ok", operator_id=operator.id)
    response = respond(MeOut(operator=operator, csrf_token=session.csrf))
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="Lax",
        secure=secure_cookies(request),
        path="/",
        max_age=hub.settings.ui.session_ttl_s,
    )
    return response


@api.route("POST", "/auth/logout", summary="End the cookie session", response=Ok)
async def logout(request: web.Request) -> web.StreamResponse:
    session_id = request.get(SESSION_ID)
    if session_id:
        await request.app[HUB].sessions.delete(session_id)
    response = respond(Ok())
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def _me(request: web.Request) -> MeOut:
    operator = current_operator(request)
    csrf = None
    session_id = request.get(SESSION_ID)
    if session_id:
        session = await request.app[HUB].sessions.get(session_id)
        csrf = session.csrf if session else None
    return MeOut(operator=operator, csrf_token=csrf)


@api.route("GET", "/me", summary="The logged-in operator (and the CSRF token)", response=MeOut)
async def me(request: web.Request) -> web.StreamResponse:
    return respond(await _me(request))


@api.route(
    "PATCH", "/me", summary="Change own name or interface language", body=MeIn, response=MeOut
)
async def update_me(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, MeIn)
    operator = current_operator(request)
    changes = body.model_dump(exclude_none=True)
    updated = await hub.operators.replace(operator.model_copy(update=changes))
    out = await _me(request)
    return respond(out.model_copy(update={"operator": updated}))


@api.route(
    "POST",
    "/me/presence",
    summary="Set own status: online, away or offline",
    body=PresenceIn,
    response=Ok,
)
async def set_presence(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, PresenceIn)
    operator = current_operator(request)
    # The router publishes the "presence" event (also for heartbeat timeouts): one source.
    await hub.router.set_presence(operator.id, body.status)
    return respond(Ok())


@api.route(
    "GET", "/me/tokens", summary="Own personal API tokens (never their values)", response=TokenList
)
async def list_tokens(request: web.Request) -> web.StreamResponse:
    operator = current_operator(request)
    items = await request.app[HUB].tokens.list_for(operator.id)
    return respond(TokenList(items=[TokenItem.model_validate(i) for i in items]))


@api.route(
    "POST",
    "/me/tokens",
    summary="Issue a personal API token (shown once)",
    body=TokenIn,
    response=TokenOut,
)
async def issue_token(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    body = await read_body(request, TokenIn)
    operator = current_operator(request)
    token_id, token = await hub.tokens.issue(operator.id, body.name, hub.clock.now())
    log.info("api_token_issued", token_id=token_id)
    return respond(TokenOut(id=token_id, name=body.name, token=token), status=201)


@api.route("DELETE", "/me/tokens/{token_id}", summary="Revoke one of own API tokens")
async def revoke_token(request: web.Request) -> web.StreamResponse:
    operator = current_operator(request)
    token_id = request.match_info["token_id"]
    if not await request.app[HUB].tokens.revoke(token_id, operator.id):
        raise NotFound("token not found", code="token_not_found")
    log.info("api_token_revoked", token_id=token_id)
    return no_content()
