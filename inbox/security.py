"""Password hashing with argon2id (argon2-cffi), and the key sessions are bound with.

An argon2 check takes tens of milliseconds of CPU on purpose. :class:`PasswordChecker` runs
it in a worker thread (argon2-cffi releases the GIL), at most ``concurrency`` at a time, so
a burst of logins neither stalls the event loop (``/healthz``, webhooks, sockets) nor
takes every core.
"""

from __future__ import annotations

import asyncio
import secrets

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import SecretStr

from inbox.domain.errors import StartupError

log = structlog.get_logger(__name__)

_hasher = PasswordHasher()

MIN_PASSWORD = 8
MIN_SECRET_KEY = 32


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


def session_secret(secret_key: SecretStr | None) -> bytes:
    """The key sessions and CSRF tokens are bound with (``INBOX_SECRET_KEY``).

    Unset: random per start (sessions end on restart and are not shared between web
    processes). Too short: :class:`StartupError` with one line that never shows the key.
    """
    if secret_key is None:
        log.info(
            "secret_key_unset",
            effect="sessions end on restart and are not shared between web processes",
        )
        return secrets.token_bytes(32)
    key = secret_key.get_secret_value()
    if len(key) < MIN_SECRET_KEY:
        raise StartupError(
            f"INBOX_SECRET_KEY is too short ({len(key)} characters): use at least"
            f" {MIN_SECRET_KEY} random characters, the same in every web process"
        )
    return key.encode()
