"""Identifiers: 24 hex characters, sortable by creation time (like a MongoDB ObjectId).

Sortable ids let lists paginate on ``_id`` alone, and keep the domain free of ``bson``.
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time

_lock = threading.Lock()
_counter = itertools.count(secrets.randbelow(1 << 24))
_process = secrets.token_bytes(5)
_pid = os.getpid()


def new_id() -> str:
    """Return a new id: 4 bytes of seconds, 5 random per process, 3 of a counter (hex)."""
    global _process, _pid
    with _lock:
        if os.getpid() != _pid:  # a forked child must not repeat its parent's ids
            _pid = os.getpid()
            _process = secrets.token_bytes(5)
        count = next(_counter) & 0xFFFFFF
    return (int(time.time()).to_bytes(4, "big") + _process + count.to_bytes(3, "big")).hex()


def new_secret(nbytes: int = 24) -> str:
    """A URL-safe random secret, for webhook signing keys and tokens."""
    return secrets.token_urlsafe(nbytes)
