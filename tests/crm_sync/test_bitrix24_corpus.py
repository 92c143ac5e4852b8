"""Real Bitrix24 answers from ../shared/corpus/bitrix24 (read at test time, never copied).

Each answer is served verbatim with its documented HTTP status; the client must read the
ids and classify the errors (retry or not) as the manifest says. Skipped when the corpus
folder is absent (set INBOX_CORPUS_DIR to point elsewhere).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from crm_sync.bitrix24 import Bitrix24Client, Bitrix24Config, Bitrix24Crm
from crm_sync.bitrix24.errors import Bitrix24Error

CORPUS = (
    Path(
        os.environ.get(
            "INBOX_CORPUS_DIR", Path(__file__).resolve().parents[3] / "shared" / "corpus"
        )
    )
    / "bitrix24"
)

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.json").is_file(), reason=f"no Bitrix24 corpus at {CORPUS}"
)


def manifest() -> dict[str, Any]:
    return json.loads((CORPUS / "MANIFEST.json").read_text())  # type: ignore[no-any-return]


def status_of(entry: dict[str, Any]) -> int:
    status = entry.get("http_status", 200)
    return 400 if status == "40x" else int(status)


class Replay:
    """Answers every request with one corpus file, byte for byte."""

    def __init__(self) -> None:
        self.name = ""

    async def start(self) -> AsyncIterator[str]:
        async def handler(_request: web.Request) -> web.Response:
            entry = manifest()[self.name]
            return web.Response(
                body=(CORPUS / self.name).read_bytes(),
                status=status_of(entry),
                content_type="application/json",
            )

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app, port=0)
        await server.start_server()
        yield str(server.make_url("/rest/1/key/"))
        await server.close()


@pytest.fixture
async def replay() -> AsyncIterator[tuple[Replay, Bitrix24Client, Bitrix24Crm]]:
    r = Replay()
    gen = r.start()
    url = await gen.__anext__()
    config = Bitrix24Config(webhook_url=SecretStr(url))
    async with aiohttp.ClientSession() as session:
        client = Bitrix24Client(session, config)
        yield r, client, Bitrix24Crm(client, config)
    await gen.aclose()


async def test_single_method_answers(replay: tuple[Replay, Bitrix24Client, Bitrix24Crm]) -> None:
    r, client, _ = replay
    checked = 0
    for name, entry in manifest().items():
        meaning = entry["meaning"]
        method = meaning.get("method", "crm.lead.add")
        if method == "batch":
            continue
        r.name = name
        if "expected_id" in meaning:
            assert await client.call(method, {"fields": {}}) == meaning["expected_id"], name
        else:
            with pytest.raises(Bitrix24Error) as caught:
                await client.call(method, {"fields": {}})
            assert caught.value.retryable is bool(meaning.get("retry", False)), name
            assert "<br>" not in caught.value.message
        checked += 1
    assert checked >= 10


async def test_batch_partial_errors_are_read_per_command(
    replay: tuple[Replay, Bitrix24Client, Bitrix24Crm],
) -> None:
    r, _, adapter = replay
    r.name = "batch.ok.json"
    results, errors = await adapter.run_batch({"get_user": "user.get", "get_department": "x"})
    assert errors == {}
    assert results["get_user"]["ID"] == "1"
    r.name = "batch.partial_errors_halt0.json"
    results, errors = await adapter.run_batch({"get_user": "user.get", "get_department": "x"})
    assert results == {}
    assert {n: e.remote_code for n, e in errors.items()} == {
        "get_user": "insufficient_scope",
        "get_department": "insufficient_scope",
    }
    assert not any(e.retryable for e in errors.values())
