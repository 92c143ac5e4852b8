"""Login under attack: concurrent guesses, proxies, and a loop that keeps serving."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import Hub, open_hub
from tests.conftest import existing_hub
from tests.web.api.support import PASSWORD, make_operator

LOGIN = "/api/v1/auth/login"


async def test_concurrent_guesses_get_at_most_the_limit_checked(
    client: TestClient, hub: Hub
) -> None:
    await make_operator(hub, "anna")
    limit = hub.settings.ui.login_max_attempts
    guesses = [
        client.post(LOGIN, json={"login": "anna", "password": f"guess-{i}"}) for i in range(60)
    ]
    answers = await asyncio.gather(*guesses)
    statuses = sorted(r.status for r in answers)
    assert statuses == [401] * limit + [429] * (60 - limit)
    assert all(int(r.headers["Retry-After"]) > 0 for r in answers if r.status == 429)
    assert hub.passwords.verified == limit
    # Even the right password waits out the window now.
    resp = await client.post(LOGIN, json={"login": "anna", "password": PASSWORD})
    assert resp.status == 429


async def test_a_success_resets_the_login_count(client: TestClient, hub: Hub) -> None:
    await make_operator(hub, "anna")
    limit = hub.settings.ui.login_max_attempts
    for _ in range(limit - 1):
        assert (await client.post(LOGIN, json={"login": "anna", "password": "x" * 9})).status == 401
    assert (await client.post(LOGIN, json={"login": "anna", "password": PASSWORD})).status == 200
    for _ in range(limit):
        assert (await client.post(LOGIN, json={"login": "anna", "password": "x" * 9})).status == 401


def _call(url: str, body: dict[str, str] | None, order: list[str], name: str) -> int:
    """One blocking HTTP call from a thread: a client the server's event loop cannot stall."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(req, timeout=60) as answer:  # noqa: S310 - loopback only
            status = int(answer.status)
    except urllib.error.HTTPError as e:
        status = e.code
    order.append(name)
    return status


async def test_healthz_answers_while_logins_are_checked(client: TestClient, hub: Hub) -> None:
    logins, probes = 12, 10
    for i in range(logins):
        await make_operator(hub, f"op{i}")
    loop = asyncio.get_running_loop()
    order: list[str] = []
    with ThreadPoolExecutor(logins + 1) as pool:
        guesses = [
            loop.run_in_executor(
                pool,
                _call,
                str(client.make_url(LOGIN)),
                {"login": f"op{i}", "password": "wrong-pw"},
                order,
                "login",
            )
            for i in range(logins)
        ]
        await asyncio.wait(guesses, return_when=asyncio.FIRST_COMPLETED)
        for _ in range(probes):  # one after the other, while the rest are being checked
            url = str(client.make_url("/healthz"))
            assert await loop.run_in_executor(pool, _call, url, None, order, "healthz") == 200
        assert await asyncio.gather(*guesses) == [401] * logins
    first, last = order.index("healthz"), len(order) - 1 - order[::-1].index("healthz")
    # argon2 in the event loop let a login finish between almost every two probes (10 of
    # 11 were measured); in threads the probes never wait for a check.
    assert order[first:last].count("login") <= 3, "".join(o[0] for o in order)


@contextlib.asynccontextmanager
async def serving(
    settings: Settings, proxy_header: str | None
) -> AsyncIterator[tuple[Hub, TestClient[Any, Any]]]:
    """A hub with a login limit of 1 (so 10 per address) behind this proxy header."""
    own = settings.model_copy(
        update={
            "trusted_proxy_header": proxy_header,
            "ui": settings.ui.model_copy(update={"login_max_attempts": 1}),
        }
    )
    async with open_hub(own) as hub, TestClient(TestServer(build_app(own, existing_hub(hub)))) as c:
        yield hub, c
        await hub.db.client.drop_database(own.mongo_db)


async def _spray(
    client: TestClient[Any, Any], forwarded_for: str, count: int, first: int = 0
) -> list[int]:
    """Wrong passwords for ``count`` different logins from one claimed address."""
    statuses = []
    for i in range(first, first + count):
        resp = await client.post(
            LOGIN,
            json={"login": f"victim{i}", "password": "wrong-pw"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        statuses.append(resp.status)
    return statuses


async def test_behind_a_trusted_proxy_one_attacker_locks_out_only_himself(
    settings: Settings,
) -> None:
    async with serving(settings, "X-Forwarded-For") as (hub, client):
        await make_operator(hub, "anna")
        per_address = 10  # ten times the login limit of 1
        assert await _spray(client, "203.0.113.7", per_address) == [401] * per_address
        assert await _spray(client, "203.0.113.7", 1, first=per_address) == [429]
        resp = await client.post(
            LOGIN,
            json={"login": "anna", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.2, 127.0.0.1"},
        )
        assert resp.status == 200


async def test_the_forwarded_header_is_ignored_unless_configured(settings: Settings) -> None:
    async with serving(settings, None) as (hub, client):
        await make_operator(hub, "anna")
        per_address = 10
        # A client cannot dodge the per-address limit by inventing a new address each time,
        assert [
            (await _spray(client, f"198.51.100.{i}", 1, first=i))[0] for i in range(per_address)
        ] == [401] * per_address
        # and so one attacker behind an unconfigured proxy locks everyone out.
        resp = await client.post(
            LOGIN,
            json={"login": "anna", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.200"},
        )
        assert resp.status == 429
