"""Login CSRF, password changes that end every credential, and the secret key's use."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from inbox.domain.errors import StartupError
from inbox.domain.models import Role
from inbox.settings import Settings
from inbox.store.sessions import RedisSessionStore
from inbox.wiring import Hub, open_hub
from tests.helpers import run_inbox
from tests.web.api.support import PASSWORD, login, make_operator, token_for

LOGIN = "/api/v1/auth/login"


async def test_login_accepts_only_a_json_body(client: TestClient, hub: Hub) -> None:
    await make_operator(hub, "anna")
    creds = json.dumps({"login": "anna", "password": PASSWORD})
    # A cross-site form can send text/plain or a form body without a preflight: refused.
    for content_type, body in [
        ("text/plain", creds),
        ("application/x-www-form-urlencoded", f"login=anna&password={PASSWORD}"),
        ("multipart/form-data; boundary=x", creds),
        ("", creds),
    ]:
        headers = {"Content-Type": content_type} if content_type else {}
        resp = await client.post(LOGIN, data=body.encode(), headers=headers)
        assert resp.status == 415, (content_type, resp.status)
        assert (await resp.json())["error"]["code"] == "unsupported_media_type"
    assert (await client.get("/api/v1/me")).status == 401
    resp = await client.post(
        LOGIN, data=creds, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert resp.status == 200


def _cookie(client: TestClient) -> str:
    return str(
        client.session.cookie_jar.filter_cookies(client.make_url("/"))["inbox_session"].value
    )


async def _me_with(client: TestClient, cookie: str) -> int:
    """GET /me with only this session cookie (not the test client's own jar)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as bare:
        url = client.make_url("/api/v1/me")
        async with bare.get(url, headers={"Cookie": f"inbox_session={cookie}"}) as resp:
            return resp.status


async def test_a_password_change_revokes_tokens_and_other_sessions(
    client: TestClient, hub: Hub
) -> None:
    admin = await make_operator(hub, "root", Role.ADMIN)
    anna = await make_operator(hub, "anna")
    anna_token = await token_for(hub, anna)
    await login(client, "anna")
    anna_session = _cookie(client)
    client.session.cookie_jar.clear()
    await login(client, "root")
    old_root_session = _cookie(client)
    root_token = await token_for(hub, admin)
    client.session.cookie_jar.clear()
    csrf = await login(client, "root")  # the session that makes the changes

    resp = await client.patch(
        f"/api/v1/operators/{anna.id}",
        json={"password": "brand new pass"},
        headers={"X-CSRF-Token": csrf},
    )
    assert resp.status == 200
    me = await client.get("/api/v1/me", headers=anna_token)
    assert me.status == 401
    assert (await me.json())["error"]["code"] == "invalid_token"
    assert all(t["revoked"] for t in await hub.tokens.list_for(anna.id))
    assert await _me_with(client, anna_session) == 401

    # The admin's own change ends their other credentials, not the session making it.
    resp = await client.patch(
        f"/api/v1/operators/{admin.id}",
        json={"password": "another new pass"},
        headers={"X-CSRF-Token": csrf},
    )
    assert resp.status == 200
    assert (await client.get("/api/v1/me")).status == 200
    assert (await client.get("/api/v1/me", headers=root_token)).status == 401
    assert await _me_with(client, old_root_session) == 401


async def test_a_redis_dump_or_write_yields_no_usable_session(client: TestClient, hub: Hub) -> None:
    admin = await make_operator(hub, "root", Role.ADMIN)
    csrf = await login(client, "root")
    cookie = _cookie(client)
    prefix = hub.settings.redis_prefix
    dump = b""
    async for key in hub.redis.scan_iter(match=f"{prefix}*"):
        kind = await hub.redis.type(key)
        value = await hub.redis.get(key) if kind == b"string" else b""
        members = b"".join(await hub.redis.smembers(key)) if kind == b"set" else b""
        dump += key + value + members
    assert cookie.encode() not in dump
    assert csrf.encode() not in dump
    # Someone who can write to Redis cannot mint a session without INBOX_SECRET_KEY.
    forged = "forged-session-id-0123456789abcdef"
    for digest in (hashlib.sha256(forged.encode()).hexdigest(), forged):
        payload = json.dumps({"operator_id": admin.id, "csrf": "x"})
        await hub.redis.set(f"{prefix}session:{digest}", payload)
    assert await _me_with(client, forged) == 401


async def test_web_processes_share_sessions_only_with_the_same_secret_key(
    settings: Settings, hub: Hub
) -> None:
    anna = await make_operator(hub, "anna")
    key = "k" * 40

    def process(secret: str) -> RedisSessionStore:
        return RedisSessionStore(hub.redis, settings.redis_prefix, 60, secret.encode())

    session_id, session = await process(key).create(anna.id)
    assert await process(key).get(session_id) == session
    assert await process("another key of forty characters.........").get(session_id) is None


async def test_a_short_secret_key_stops_the_start_with_one_clear_line(
    settings: Settings,
) -> None:
    short = settings.model_copy(update={"secret_key": SecretStr("too-short")})
    with pytest.raises(StartupError) as raised:
        async with open_hub(short):
            pass
    message = raised.value.message
    assert "INBOX_SECRET_KEY" in message
    assert "\n" not in message
    assert "too-short" not in message


def test_serve_with_a_short_secret_key_exits_with_one_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "INBOX_SECRET_KEY": "too-short"}
    result = run_inbox(["serve", "--port", "0"], env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: INBOX_SECRET_KEY is too short (9 characters): use at least 32 random"
        " characters, the same in every web process"
    ]
