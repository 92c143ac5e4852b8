"""HMAC-SHA256 body signatures, shared by the connectors that sign or verify with them."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None, *, prefix: str = "") -> bool:
    """Constant-time check of ``signature`` (optionally after a scheme prefix like ``sha256=``)."""
    if not signature or not secret:
        return False
    if prefix and signature.startswith(prefix):
        signature = signature[len(prefix) :]
    return hmac.compare_digest(sign(secret, body), signature.strip().lower())
