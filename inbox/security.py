"""Password hashing with argon2id (argon2-cffi), tuned by the library's defaults.

An argon2 check takes tens of milliseconds of CPU on purpose. :class:`PasswordChecker` runs
it in a worker thread (argon2-cffi releases the GIL), at most ``concurrency`` at a time, so
a burst of logins neither stalls the event loop (``/healthz``, webhooks, sockets) nor
takes every core.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-time check; False for a missing or malformed hash."""
    if not password_hash:
        return False
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return bool(_hasher.check_needs_rehash(password_hash))


class PasswordChecker:
    """argon2 off the event loop, in threads, with bounded concurrency."""

    def __init__(self, concurrency: int = 2) -> None:
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self.verified = 0  # checks run so far, for metrics and tests

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._slots:
            self.verified += 1
            return await asyncio.to_thread(verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(hash_password, password)
