"""The client's address, as seen by our own edge.

By default it is the socket peer. Behind a reverse proxy every request comes from the
proxy, so one attacker would exhaust the per-address login limit for everyone: with
``INBOX_TRUSTED_PROXY_HEADER`` set (``X-Forwarded-For``, ``X-Real-IP``...) and the peer
among ``INBOX_TRUSTED_PROXIES``, the client is the right-most address of that header that
is not itself a trusted proxy. A header from anyone else is ignored: it is client input.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from inbox.web.keys import HUB

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str | None, proxies: Sequence[Network]) -> bool:
    ip = _parse(address) if address else None
    return ip is not None and any(ip in net for net in proxies)


def resolve_client(peer: str | None, header_value: str | None, proxies: Sequence[Network]) -> str:
    """The client address from the peer and the trusted header's value (when configured)."""
    fallback = peer or "unknown"
    if header_value is None or not _trusted(peer, proxies):
        return fallback
    for hop in reversed(header_value.split(",")):
        ip = _parse(hop)
        if ip is None:
            return fallback  # a malformed hop: believe only what we saw ourselves
        if not any(ip in net for net in proxies):
            return str(ip)
    return fallback


def client_address(request: web.Request) -> str:
    settings = request.app[HUB].settings
    header = settings.trusted_proxy_header
    value = request.headers.get(header) if header else None
    return resolve_client(request.remote, value, settings.trusted_proxies)
