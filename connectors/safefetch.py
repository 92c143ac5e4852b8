"""Downloading a URL named in a webhook without becoming a proxy into our own network.

A Viber media URL comes in the callback body, so whoever can get a callback signed (or a
bug on Viber's side) chooses what the hub fetches. :class:`SafeFetcher` therefore:

- fetches only ``http``/``https`` URLs whose every resolved address is public: loopback,
  private, link-local (cloud metadata), multicast, reserved, shared and unspecified
  ranges are refused, IPv4-mapped IPv6 included;
- resolves through a guarding resolver on its own connection pool, so an address that
  changes between the check and the connection (DNS rebinding) is refused too;
- follows redirects itself, checking each target the same way (at most ``max_redirects``);
- stops reading once ``max_bytes`` arrived, whatever ``Content-Length`` said or when the
  answer is chunked without one.

``FetchPolicy.allow_networks`` is the explicit exception for fakes on loopback (tests,
``inbox demo``): setting ``INBOX_MEDIA_ALLOW_NETWORKS``; empty by default.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024


class FetchRefused(Exception):
    """The URL, an address it resolves to, or the answer's size is not allowed."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    allow_networks: tuple[Network, ...] = ()  # non-public ranges allowed anyway (fakes)
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 3
    timeout_s: float = 30.0

    def permits(self, address: str) -> bool:
        """Whether connecting to ``address`` (an IP literal) is allowed."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allow_networks):
            return True
        return ip.is_global and not (
            ip.is_multicast
            or ip.is_reserved
            or ip.is_private
            or ip.is_loopback
            or ip.is_link_local
            or ip.is_unspecified
        )


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp, then refuses the host if any address is not permitted."""

    def __init__(self, policy: FetchPolicy) -> None:
        self._policy = policy
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        blocked = [r["host"] for r in found if not self._policy.permits(r["host"])]
        if blocked or not found:
            raise FetchRefused(f"{host} resolves to an address that is not public")
        return found

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    body: bytes = b""


class SafeFetcher:
    """GET a URL under a :class:`FetchPolicy`; one connection pool, opened on first use."""

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._resolver = GuardedResolver(self.policy)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=self._resolver, limit=20)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.policy.timeout_s),
                auto_decompress=False,  # the byte cap counts what we store, not a zip bomb
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None

    async def check(self, url: URL) -> None:
        """Refuse a URL whose scheme or any address is not allowed (before connecting)."""
        if url.scheme not in ("http", "https") or not url.host:
            raise FetchRefused("only http and https URLs with a host are fetched")
        host = url.host.strip("[]")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:  # a name: every address it resolves to must be allowed
            await self._resolver.resolve(host, url.port or 0, socket.AF_UNSPEC)
            return
        if not self.policy.permits(host):  # an IP literal never reaches the resolver
            raise FetchRefused(f"{host} is not a public address")

    async def get(self, url: str) -> Fetched:
        """The answer's status and body (empty for 4xx/5xx); raises :class:`FetchRefused`."""
        target = URL(url)
        for _ in range(self.policy.max_redirects + 1):
            await self.check(target)
            async with self._client().get(target, allow_redirects=False) as resp:
                location = resp.headers.get("Location")
                if resp.status in _REDIRECTS and location:
                    target = resp.url.join(URL(location))
                    continue
                if resp.status >= 400:
                    return Fetched(resp.status)
                return Fetched(resp.status, await self._read(resp))
        raise FetchRefused(f"more than {self.policy.max_redirects} redirects")

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self.policy.max_bytes
        if resp.content_length is not None and resp.content_length > limit:
            raise FetchRefused(f"the file is larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise FetchRefused(f"the file is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def policy_from(allow_networks: Any, max_bytes: int) -> FetchPolicy:
    """A policy from settings values (CIDR strings or networks)."""
    networks = tuple(ipaddress.ip_network(str(n), strict=False) for n in allow_networks or ())
    return FetchPolicy(allow_networks=networks, max_bytes=max_bytes)
