"""Media downloads named in a webhook: public addresses only, sizes capped while streaming.

Every server here is on loopback; a fetcher with the default policy must refuse it
without sending anything, and the allowance the tests use must not open other ranges.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from ipaddress import ip_network

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.safefetch import FetchPolicy, FetchRefused, SafeFetcher
from connectors.viber import ViberConnector
from inbox.domain.errors import DeliveryError
from inbox.domain.models import Attachment, AttachmentKind, ChannelKind, Line

LOOPBACK = FetchPolicy(allow_networks=(ip_network("127.0.0.0/8"),), max_bytes=1000)


class Origin:
    """A media host on loopback that counts the requests it got."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.app = web.Application()
        self.app.router.add_get("/{name}", self.serve)
        self.server = TestServer(self.app, host="127.0.0.1")

    async def serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits.append(name)
        if name == "small":
            return web.Response(body=b"x" * 10)
        if name == "chunked":  # no Content-Length: the cap must hold while streaming
            resp = web.StreamResponse()
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            for _ in range(50):
                await resp.write(b"y" * 100)
            await resp.write_eof()
            return resp
        if name == "big":
            return web.Response(body=b"z" * 5000)
        targets = {
            "to-metadata": "http://169.254.169.254/latest/meta-data/",
            "to-private": "http://10.0.0.7/x",
            "to-v6-loopback": "http://[::1]/x",
            "to-mapped": "http://[::ffff:10.0.0.1]:1/x",
            "to-small": "/small",
            "loop": "/loop",
        }
        raise web.HTTPFound(targets[name])

    def url(self, name: str) -> str:
        return str(self.server.make_url(f"/{name}"))


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    o = Origin()
    await o.server.start_server()
    yield o
    await o.server.close()


@pytest.fixture
async def fetcher() -> AsyncIterator[SafeFetcher]:
    f = SafeFetcher(LOOPBACK)
    yield f
    await f.aclose()


async def test_default_policy_refuses_loopback_without_a_request(origin: Origin) -> None:
    public_only = SafeFetcher()
    try:
        for url in (origin.url("small"), origin.url("small").replace("127.0.0.1", "localhost")):
            with pytest.raises(FetchRefused):
                await public_only.get(url)
    finally:
        await public_only.aclose()
    assert origin.hits == []


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "fe80::1", "fc00::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1", "::"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not FetchPolicy().permits(address)


def test_public_addresses_and_the_explicit_allowance() -> None:
    assert FetchPolicy().permits("93.184.216.34")
    assert FetchPolicy().permits("2606:2800:220:1:248:1893:25c8:1946")
    assert LOOPBACK.permits("127.0.0.1")
    assert not LOOPBACK.permits("10.0.0.1")  # the allowance opens only what it names


async def test_non_http_schemes_are_refused(fetcher: SafeFetcher) -> None:
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:6379/_x", "x"):
        with pytest.raises(FetchRefused):
            await fetcher.get(url)


async def test_redirects_are_checked_at_every_hop(origin: Origin, fetcher: SafeFetcher) -> None:
    assert (await fetcher.get(origin.url("to-small"))).body == b"x" * 10
    for name in ("to-metadata", "to-private", "to-v6-loopback", "to-mapped"):
        with pytest.raises(FetchRefused):
            await fetcher.get(origin.url(name))
    with pytest.raises(FetchRefused):
        await fetcher.get(origin.url("loop"))
    assert origin.hits.count("loop") == LOOPBACK.max_redirects + 1


async def test_sizes_are_capped_while_streaming(origin: Origin, fetcher: SafeFetcher) -> None:
    for name in ("chunked", "big"):
        with pytest.raises(FetchRefused):
            await fetcher.get(origin.url(name))


def viber_line() -> Line:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    return Line(
        kind=ChannelKind.VIBER, name="v", credentials={"token": "t"}, created_at=now
    )  # fmt: skip


async def test_viber_connector_refuses_private_media_by_default(origin: Origin) -> None:
    async with aiohttp.ClientSession() as session:
        connector = ViberConnector(session)
        media = Attachment(kind=AttachmentKind.IMAGE, url=origin.url("small"))
        try:
            with pytest.raises(DeliveryError) as refused:
                await connector.fetch_file(viber_line(), media)
        finally:
            await connector.aclose()
    assert refused.value.retryable is False
    assert origin.hits == []


async def test_viber_connector_with_the_allowance_downloads(origin: Origin) -> None:
    async with aiohttp.ClientSession() as session:
        connector = ViberConnector(session, SafeFetcher(LOOPBACK))
        try:
            small = Attachment(kind=AttachmentKind.IMAGE, url=origin.url("small"))
            assert await connector.fetch_file(viber_line(), small) == b"x" * 10
            chunked = Attachment(kind=AttachmentKind.VIDEO, url=origin.url("chunked"))
            with pytest.raises(DeliveryError) as too_big:
                await connector.fetch_file(viber_line(), chunked)
        finally:
            await connector.aclose()
    assert too_big.value.retryable is False
