"""The Instagram connector: handshake and signature checks, parsing, the Send API.

GET answers Meta's ``hub.mode=subscribe`` handshake with the bare challenge when the
verify token matches (else 403). POST is verified with ``X-Hub-Signature-256`` over the
exact body bytes, against each app secret of the line, in constant time; a missing,
SHA-1-only or wrong signature is 401 and nothing is stored.
"""

from __future__ import annotations

import hmac
import time
from datetime import timedelta

import aiohttp
import structlog
from pydantic import SecretStr

from connectors.instagram import account
from connectors.instagram.config import (
    PROFILE_TTL_S,
    SIGNATURE_HEADER,
    SIGNATURE_PREFIX,
    InstagramLineConfig,
)
from connectors.instagram.errors import InstagramSetupError
from connectors.instagram.parse import Context, parse_body
from connectors.instagram.send import TIMEOUT, bodies, send_bodies
from connectors.instagram.window import reply_mode
from connectors.signing import verify
from inbox.domain.clock import Clock, SystemClock
from inbox.domain.errors import DeliveryError, Forbidden, Unauthorized
from inbox.domain.inbound import ContactUpdate, WebhookRequest, WebhookResult
from inbox.domain.models import Attachment, AttachmentKind, ChannelKind, Line, Message
from inbox.domain.ports import OutboundTarget, SendReceipt

log = structlog.get_logger(__name__)

MAX_DOWNLOAD = 25 * 1024 * 1024
PROFILE_CACHE_MAX = 50_000
DOWNLOADABLE = frozenset(
    {AttachmentKind.IMAGE, AttachmentKind.VIDEO, AttachmentKind.AUDIO, AttachmentKind.DOCUMENT}
)


class InstagramConnector:
    kind = ChannelKind.INSTAGRAM
    needs_last_inbound = True  # the reply window and comment replies depend on it

    def __init__(self, session: aiohttp.ClientSession, clock: Clock | None = None) -> None:
        self._session = session
        self._clock = clock or SystemClock()
        # (line, user) -> monotonic time until which the stored profile counts as fresh
        self._profiles: dict[tuple[str, str], float] = {}

    # ------------------------------------------------------------ inbound

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult:
        config = InstagramLineConfig.from_line(line)
        if request.method == "GET":
            return self._handshake(config, request)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature or not signature.startswith(SIGNATURE_PREFIX):
            raise Unauthorized("missing X-Hub-Signature-256", code="bad_signature")
        if not any(
            verify(s.get_secret_value(), request.body, signature, prefix=SIGNATURE_PREFIX)
            for s in config.app_secrets
        ):
            raise Unauthorized("bad X-Hub-Signature-256", code="bad_signature")
        events = parse_body(request.body, Context(account_ids=config.account_ids))
        return WebhookResult(events=events, body={})

    @staticmethod
    def _handshake(config: InstagramLineConfig, request: WebhookRequest) -> WebhookResult:
        given = request.query.get("hub.verify_token", "")
        expected = config.verify_token.get_secret_value()
        if (
            request.query.get("hub.mode") != "subscribe"
            or not expected
            or not hmac.compare_digest(given.encode(), expected.encode())
        ):
            raise Forbidden("verify token mismatch", code="bad_verify_token")
        challenge = request.query.get("hub.challenge", "")[:256]
        return WebhookResult(body=challenge)

    # ------------------------------------------------------------ outbound

    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt:
        config = InstagramLineConfig.from_line(target.line)
        mode = reply_mode(
            config,
            customer_id=target.external_user_id,
            conversation=target.conversation,
            message=message,
            last_inbound=target.last_inbound,
            sent_since_last_inbound=target.sent_since_last_inbound,
            now=self._clock.now(),
        )
        return await send_bodies(self._session, config, bodies(mode, message))

    async def register(self, line: Line, webhook_url: str) -> Line:
        """Subscribe the app to the account's fields; the callback URL and the verify
        token are entered in the Meta app dashboard, which then calls the handshake."""
        config = InstagramLineConfig.from_line(line)
        if not config.ig_id or not config.app_secrets or not config.access_token:
            raise InstagramSetupError("an Instagram line needs ig_id, app secret and token")
        try:
            await account.subscribe(self._session, config)
        except DeliveryError as e:
            raise InstagramSetupError(f"Instagram refused the subscription: {e.message}") from e
        log.info("instagram_subscribed", line_id=line.id)
        settings = {**line.settings, "webhook_url": webhook_url}
        settings.setdefault("token_obtained_at", self._clock.now().isoformat())
        return line.model_copy(update={"settings": settings})

    async def fetch_file(self, line: Line, attachment: Attachment) -> bytes | None:
        """Download a CDN link (they expire, so this runs right after ingest)."""
        if not attachment.url or attachment.kind not in DOWNLOADABLE:
            return None  # shares and story links are pages, not files
        try:
            async with self._session.get(attachment.url, timeout=TIMEOUT) as resp:
                if resp.status >= 500 or resp.status == 429:
                    raise DeliveryError(f"media download: HTTP {resp.status}", retryable=True)
                if resp.status >= 400:
                    raise DeliveryError(
                        f"media download: HTTP {resp.status} (the link may have expired)",
                        retryable=False,
                    )
                if resp.content_length is not None and resp.content_length > MAX_DOWNLOAD:
                    raise DeliveryError("the file is too large to keep", retryable=False)
                return await resp.content.read(MAX_DOWNLOAD + 1)
        except (aiohttp.ClientError, TimeoutError) as e:
            raise DeliveryError(
                f"media download failed: {type(e).__name__}", retryable=True
            ) from None

    # ------------------------------------------------------------ account

    async def fetch_profile(self, line: Line, external_user_id: str) -> ContactUpdate | None:
        """The customer's profile, unless it was fetched less than a day ago (cached)."""
        key = (line.id, external_user_id)
        now = time.monotonic()
        if self._profiles.get(key, 0.0) > now:
            return None
        if len(self._profiles) >= PROFILE_CACHE_MAX:
            self._profiles = {k: v for k, v in self._profiles.items() if v > now}
            if len(self._profiles) >= PROFILE_CACHE_MAX:
                self._profiles.clear()
        self._profiles[key] = now + PROFILE_TTL_S
        config = InstagramLineConfig.from_line(line)
        try:
            return await account.profile(self._session, config, external_user_id)
        except DeliveryError as e:
            if e.retryable:
                self._profiles.pop(key, None)  # try again with the next message
            log.warning("instagram_profile_failed", line_id=line.id, reason=e.message)
            return None

    async def refresh_token(self, line: Line) -> Line | None:
        """A line with a fresh long-lived token when it is due; None when not due.

        Raises ``DeliveryError`` or ``ValueError`` when Instagram refuses.
        """
        if line.settings.get("page_id"):
            return None  # Page tokens of the Facebook-Login flavour do not expire
        now = self._clock.now()
        if not account.token_due(line.settings, now, line.created_at):
            return None
        token, lifetime_s = await account.refresh(
            self._session, InstagramLineConfig.from_line(line)
        )
        settings = {
            **line.settings,
            "token_obtained_at": now.isoformat(),
            "token_expires_at": (now + timedelta(seconds=lifetime_s)).isoformat(),
        }
        settings.pop("token_refresh_error", None)
        credentials = {**line.credentials, "access_token": SecretStr(token)}
        return line.model_copy(update={"settings": settings, "credentials": credentials})
