"""Login, cookie sessions, CSRF, rate limiting, logout and personal API tokens."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from inbox.domain.models import Role
from inbox.wiring import Hub
from tests.web.api.support import PASSWORD, login, make_operator


async def test_login_sets_a_safe_session_cookie_and_me_answers(
    client: TestClient, hub: Hub
) -> None:
    await make_operator(hub, "anna")
    resp = await client.post("/api/v1/auth/login", json={"login": "anna", "password": PASSWORD})
    assert resp.status == 200
    body = await resp.json()
    assert body["operator"]["login"] == "anna"
    assert "password" not in str(body)
    cookie = resp.headers["Set-Cookie"]
    assert "inbox_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests
    me = await client.get("/api/v1/me")
    assert me.status == 200
    assert (await me.json())["csrf_token"] == body["csrf_token"]


async def test_cookie_is_secure_behind_https_proxy(client: TestClient, hub: Hub) -> None:
    await make_operator(hub, "anna")
    resp = await client.post(
        "/api/v1/auth/login",
        json={"login": "anna", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert "Secure" in resp.headers["Set-Cookie"]


async def test_wrong_password_unknown_login_and_inactive_are_401(
    client: TestClient, hub: Hub
) -> None:
    await make_operator(hub, "anna")
    await make_operator(hub, "gone", active=False)
    for login_name, password in [
        ("anna", "wrong password"),
        ("nobody", PASSWORD),
        ("gone", PASSWORD),
    ]:
        resp = await client.post(
            "/api/v1/auth/login", json={"login": login_name, "password": password}
        )
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "bad_credentials"
    assert (await client.get("/api/v1/me")).status == 401


async def test_login_is_rate_limited_per_login(client: TestClient, hub: Hub) -> None:
    await make_operator(hub, "anna")
    limit = hub.settings.ui.login_max_attempts
    for _ in range(limit):
        resp = await client.post("/api/v1/auth/login", json={"login": "anna", "password": "nope"})
        assert resp.status == 401
    resp = await client.post("/api/v1/auth/login", json={"login": "anna", "password": PASSWORD})
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0
    # Another login from the same address is not locked out by anna's failures.
    await make_operator(hub, "boris")
    assert await login(client, "boris")


async def test_unsafe_cookie_requests_need_the_csrf_token(client: TestClient, hub: Hub) -> None:
    await make_operator(hub, "anna")
    csrf = await login(client, "anna")
    resp = await client.patch("/api/v1/me", json={"locale": "uk"})
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "csrf_failed"
    resp = await client.patch(
        "/api/v1/me", json={"locale": "uk"}, headers={"X-CSRF-Token": "forged"}
    )
    assert resp.status == 403
    resp = await client.patch("/api/v1/me", json={"locale": "uk"}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 200
    assert (await resp.json())["operator"]["locale"] == "uk"


async def test_logout_ends_the_session_everywhere(client: TestClient, hub: Hub) -> None:
    await make_operator(hub, "anna")
    csrf = await login(client, "anna")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["inbox_session"].value
    resp = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert resp.status == 200
    assert (await client.get("/api/v1/me")).status == 401
    # The old cookie replayed by hand is dead too: the session is gone from Redis.
    resp = await client.get("/api/v1/me", headers={"Cookie": f"inbox_session={cookie}"})
    assert resp.status == 401


async def test_tokens_issue_list_use_and_revoke(client: TestClient, hub: Hub) -> None:
    await make_operator(hub, "anna", Role.MANAGER)
    csrf = await login(client, "anna")
    resp = await client.post(
        "/api/v1/me/tokens", json={"name": "crm sync"}, headers={"X-CSRF-Token": csrf}
    )
    assert resp.status == 201
    issued = await resp.json()
    assert issued["token"].startswith("inb_")
    listed = await (await client.get("/api/v1/me/tokens")).json()
    assert [t["name"] for t in listed["items"]] == ["crm sync"]
    assert issued["token"] not in str(listed)
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    client.session.cookie_jar.clear()
    me = await client.get("/api/v1/me", headers=bearer)
    assert (await me.json())["operator"]["login"] == "anna"
    # Bearer requests need no CSRF token: a browser never attaches one by itself.
    resp = await client.delete(f"/api/v1/me/tokens/{issued['id']}", headers=bearer)
    assert resp.status == 204
    resp = await client.get("/api/v1/me", headers=bearer)
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "invalid_token"


async def test_cannot_revoke_someone_elses_token(client: TestClient, hub: Hub) -> None:
    anna = await make_operator(hub, "anna")
    boris = await make_operator(hub, "boris")
    token_id, _ = await hub.tokens.issue(boris.id, "boris's", hub.clock.now())
    _, token = await hub.tokens.issue(anna.id, "anna's", hub.clock.now())
    resp = await client.delete(
        f"/api/v1/me/tokens/{token_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status == 404
    assert await hub.tokens.list_for(boris.id) == [
        {"id": token_id, "name": "boris's", "created_at": hub.clock.now(), "revoked": False}
    ]
