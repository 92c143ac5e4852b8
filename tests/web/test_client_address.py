"""Which address a request comes from, with and without a trusted proxy in front."""

from __future__ import annotations

from ipaddress import ip_network

from inbox.web.client_address import resolve_client

PROXIES = (ip_network("10.0.0.0/8"), ip_network("::1/128"))


def test_without_a_header_or_from_an_untrusted_peer_it_is_the_peer() -> None:
    assert resolve_client("203.0.113.9", None, PROXIES) == "203.0.113.9"
    assert resolve_client("203.0.113.9", "198.51.100.1", PROXIES) == "203.0.113.9"
    assert resolve_client(None, None, PROXIES) == "unknown"


def test_from_a_trusted_proxy_it_is_the_right_most_untrusted_hop() -> None:
    # The client may prepend anything; only what our proxies appended is believed.
    assert resolve_client("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.7", PROXIES) == (
        "198.51.100.1"
    )
    assert resolve_client("::1", "2001:db8::5", PROXIES) == "2001:db8::5"


def test_a_malformed_or_all_proxy_header_falls_back_to_the_peer() -> None:
    assert resolve_client("10.0.0.2", "198.51.100.1, not-an-ip", PROXIES) == "10.0.0.2"
    assert resolve_client("10.0.0.2", "10.0.0.3", PROXIES) == "10.0.0.2"
    assert resolve_client("10.0.0.2", "", PROXIES) == "10.0.0.2"
