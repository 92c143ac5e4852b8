"""Login CSRF, password changes that end every credential, and the secret key's use."""

from __future__ import annotations

import json

import aiohttp
from aiohttp.test_utils import TestClient

from inbox.domain.models import Role
from inbox.wiring import Hub
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
