"""The Bitrix24 REST client: one portal, a client-side rate limit, errors translated.

Bitrix24 allows about 2 requests/s per portal with a burst of 50 (a leaky bucket) and
answers ``QUERY_LIMIT_EXCEEDED`` (HTTP 503) beyond it. The client keeps its own token
bucket of the same shape so it rarely gets there, and when it does it empties the bucket
and reports a retryable error (the request was not executed, so a retry is safe).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog

from crm_sync.bitrix24.config import Bitrix24Config
from crm_sync.bitrix24.errors import Bitrix24Error
from inbox.domain.clock import Clock, SystemClock
from inbox.domain.ports import CredentialStore

log = structlog.get_logger(__name__)


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; waits at most ``max_wait`` for one."""

    def __init__(
        self,
        rate: float,
        burst: int,
        max_wait: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_wait = max_wait
        self._now = monotonic
        self._tokens = float(burst)
        self._at = monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now

    async def take(self) -> None:
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                wait = (1 - self._tokens) / self._rate
                if wait > self._max_wait:
                    raise Bitrix24Error(
                        "QUERY_LIMIT_EXCEEDED", "local rate limit", retry_after=wait
                    )
                await asyncio.sleep(wait)
                self._refill()
            self._tokens -= 1

    def empty(self) -> None:
        """The server said we are over its limit: stop until the bucket refills."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)


class Bitrix24Client:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: Bitrix24Config,
        *,
        vault: CredentialStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._session = session
        self._config = config
        self._vault = vault
        self._clock = clock or SystemClock()
        self._vault_key = f"bitrix24:{config.portal_url or ''}:refresh_token"
        self._bucket = TokenBucket(config.rate_per_s, config.burst, config.max_wait_s)
        self._access_token: str | None = None
        self._refresh_token = (
            config.refresh_token.get_secret_value() if config.refresh_token else None
        )

    def _url(self, method: str) -> str:
        if self._config.webhook_url is not None:
            return f"{self._config.webhook_url.get_secret_value().rstrip('/')}/{method}.json"
        return f"{(self._config.portal_url or '').rstrip('/')}/rest/{method}.json"

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Call one method; returns its ``result`` or raises :class:`Bitrix24Error`."""
        for attempt in range(2):
            if self._config.uses_oauth and self._access_token is None:
                await self._refresh()
            try:
                return await self._post(method, params)
            except Bitrix24Error as e:
                if e.remote_code in ("expired_token", "invalid_token") and attempt == 0:
                    self._access_token = None  # refresh once and try again
                    continue
                raise
        raise Bitrix24Error("expired_token", "token refresh did not help", retryable=True)

    async def batch(self, commands: dict[str, str], *, halt: bool = False) -> dict[str, Any]:
        """Run up to 50 commands in one request: ``{"result": {...}, "result_error": {...}}``."""
        answer = await self.call("batch", {"halt": 1 if halt else 0, "cmd": commands})
        if not isinstance(answer, dict):
            raise Bitrix24Error("bad_answer", "batch answer is not an object", retryable=True)
        return answer

    async def _post(self, method: str, params: dict[str, Any]) -> Any:
        await self._bucket.take()
        query = {"auth": self._access_token or ""} if self._config.uses_oauth else None
        timeout = aiohttp.ClientTimeout(total=self._config.timeout_s)
        try:
            async with self._session.post(
                self._url(method), json=params, params=query, timeout=timeout
            ) as resp:
                status = resp.status
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientError, TimeoutError) as e:
            # The request may or may not have run: the caller's idempotency check decides.
            raise Bitrix24Error("network_error", type(e).__name__, retryable=True) from e
        if isinstance(body, dict) and "error" in body:
            code = str(body.get("error") or "")
            description = str(body.get("error_description") or "")
            if code == "QUERY_LIMIT_EXCEEDED":
                self._bucket.empty()
                log.info("bitrix24_rate_limited", method=method)
                raise Bitrix24Error(code, description, retry_after=1.0 / self._config.rate_per_s)
            raise Bitrix24Error(code, description, retryable=status >= 500 or None)
        if status >= 400 or not isinstance(body, dict) or "result" not in body:
            raise Bitrix24Error(
                f"http_{status}", "unexpected answer", retryable=status >= 500 or status == 429
            )
        return body["result"]

    async def _refresh(self) -> None:
        config = self._config
        if self._vault is not None:
            # Bitrix24 rotates refresh tokens: after a restart the configured one is spent,
            # the last one we were given is in the vault.
            self._refresh_token = await self._vault.get(self._vault_key) or self._refresh_token
        if not (config.client_id and config.client_secret and self._refresh_token):
            raise Bitrix24Error(
                "not_configured", "no webhook URL or OAuth credentials", retryable=False
            )
        params = {
            "grant_type": "refresh_token",
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
            "refresh_token": self._refresh_token,
        }
        try:
            async with self._session.get(
                config.oauth_url,
                params=params,
                timeout=aiohttp.ClientTimeout(total=config.timeout_s),
            ) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            raise Bitrix24Error("network_error", "token refresh failed", retryable=True) from e
        if not isinstance(body, dict) or "access_token" not in body:
            code = str(body.get("error", "")) if isinstance(body, dict) else ""
            raise Bitrix24Error(code or "oauth_error", "token refresh refused", retryable=False)
        self._access_token = str(body["access_token"])
        self._refresh_token = str(body.get("refresh_token") or self._refresh_token)
        if self._vault is not None:
            await self._vault.put(self._vault_key, self._refresh_token, self._clock.now())
        log.info("bitrix24_token_refreshed")
