"""Login CSRF, password changes that end every credential, and the secret key's use."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.web.api.support import PASSWORD, make_operator

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
