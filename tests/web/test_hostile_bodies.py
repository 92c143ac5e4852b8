"""Hostile JSON bodies on every JSON write route: a clear 4xx, never a 500.

Invalid UTF-8, nesting deeper than anyone needs, integers past Python's 4,300-digit
limit, lone surrogates, NaN: the probe got 500s (and tracebacks) on login and the write
routes.
"""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient

from inbox.wiring import Hub
from tests.web.api.support import make_world

HOSTILE = {
    "invalid_utf8": b'{"login": "admin", "password": "hunter2\xff"}',
    "deep_nesting": b'{"a": ' + b"[" * 3500 + b"]" * 3500 + b"}",
    "deep_objects": b'{"a": ' + b'{"a": ' * 3500 + b"1" + b"}" * 3501,
    "huge_int": b'{"name": ' + b"9" * 5000 + b"}",
    "lone_surrogate": b'{"name": "\\ud800"}',
    "nan": b'{"name": NaN}',
    "not_json": b"\x00\x01\x02",
}


def json_write_routes(app: web.Application) -> list[tuple[str, str]]:
    out = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path") or ""
        if route.method in ("POST", "PUT", "PATCH") and path.startswith("/api/v1"):
            out.append((route.method, re.sub(r"\{[^}]+\}", "x", path)))
    return sorted(set(out))


async def test_login_and_named_routes_answer_422_invalid_json(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    admin = world.h(world.admin)
    targets = [
        ("POST", "/api/v1/auth/login", {}),
        ("POST", "/api/v1/teams", admin),
        ("PATCH", f"/api/v1/lines/{world.line_a.id}/routing", admin),
        ("PATCH", f"/api/v1/lines/{world.line_a.id}", admin),
    ]
    for method, path, headers in targets:
        for name, body in HOSTILE.items():
            resp = await client.request(
                method,
                path,
                data=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert resp.status == 422, (method, path, name, await resp.text())
            error = (await resp.json())["error"]
            assert error["code"] in ("invalid_json", "bad_json"), (path, name, error)
            assert "hunter2" not in error["message"]
            assert "999" not in error["message"]


async def test_no_json_write_route_fails_on_a_hostile_body(client: TestClient, hub: Hub) -> None:
    world = await make_world(hub)
    routes = json_write_routes(client.app)
    assert len(routes) > 30
    for method, path in routes:
        for name, body in HOSTILE.items():
            resp = await client.request(
                method,
                path,
                data=body,
                headers={**world.h(world.admin), "Content-Type": "application/json"},
            )
            # Routes without a body may ignore it; none may fail on it.
            assert resp.status < 500, (method, path, name, resp.status)
            if resp.status >= 400:
                assert "error" in await resp.json(), (method, path, name)
