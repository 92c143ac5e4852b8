"""HMAC-SHA256 signatures, shared by the connectors that sign or verify with them.

Two shapes: over the exact body bytes (Viber, the API channel's legacy scheme), and over
``timestamp + "." + body`` (the API channel's default), where the timestamp is Unix
seconds sent beside the signature and must lie within a tolerance of the receiver's clock,
so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_TIMESTAMP_DIGITS = 12


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_timestamped(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body``."""
    return sign(secret, str(timestamp).encode() + b"." + body)


def secrets_equal(given: str | None, expected: str) -> bool:
    """Constant-time equality of a header value and a secret; False for non-ASCII input."""
    if not given or not expected or not given.isascii():
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _matches(expected: str, signature: str | None, prefix: str) -> bool:
    if not signature:
        return False
    if prefix and signature.startswith(prefix):
        signature = signature[len(prefix) :]
    given = signature.strip().lower()
    # A header is attacker-controlled text; only ASCII can equal a hex digest, and
    # compare_digest refuses non-ASCII str with a TypeError.
    if not given.isascii():
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def verify(secret: str, body: bytes, signature: str | None, *, prefix: str = "") -> bool:
    """Constant-time check of ``signature`` (optionally after a scheme prefix like ``sha256=``)."""
    if not secret:
        return False
    return _matches(sign(secret, body), signature, prefix)


def parse_timestamp(value: str | None) -> int | None:
    """Unix seconds from a header, or None when missing or not a plain number."""
    if not value:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_TIMESTAMP_DIGITS:
        return None
    return int(value)


def verify_timestamped(
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    now: float,
    tolerance_s: float,
    prefix: str = "",
) -> bool:
    """The signature over ``timestamp.body`` is right and the timestamp is recent enough."""
    ts = parse_timestamp(timestamp)
    if not secret or ts is None or abs(now - ts) > tolerance_s:
        return False
    return _matches(sign_timestamped(secret, ts, body), signature, prefix)
