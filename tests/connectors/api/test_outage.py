"""A store outage during a signed webhook: 503 with Retry-After (the platform delivers
again), never a 500 and never a 2xx for something that was not stored."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from inbox.embedded import EmbeddedServers
from inbox.settings import Settings
from inbox.web.app import build_app
from inbox.wiring import open_hub
from tests.conftest import existing_hub
from tests.helpers import api_body, make_line, signed


async def test_store_outage_is_503_with_retry_after(settings: Settings, tmp_path: Path) -> None:
    own = EmbeddedServers(tmp_path / "own", memory=True)
    own.start(redis=False)
    try:
        ours = settings.model_copy(update={"mongo_url": SecretStr(own.mongo_url)})
        async with open_hub(ours) as hub:
            line = await make_line(hub)
            app = build_app(ours, existing_hub(hub))
            async with TestClient(TestServer(app)) as client:
                own.stop()  # the database goes away after the line was read once
                body = api_body("m-1")
                resp = await client.post(
                    f"/webhooks/api/{line.id}", data=body, headers=signed(line, body, hub)
                )
                answer = await resp.json()
                assert resp.status == 503, answer
                assert answer["error"]["code"] == "temporarily_unavailable"
                assert int(resp.headers["Retry-After"]) > 0
    finally:
        own.stop()
