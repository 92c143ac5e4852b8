"""The Viber connector: signature check, callback parsing, REST API calls with aiohttp."""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog

from connectors.safefetch import FetchRefused, SafeFetcher
from connectors.signing import verify
from connectors.viber.config import EVENT_TYPES, SIGNATURE_HEADER, ViberLineConfig
from connectors.viber.errors import ViberSetupError
from connectors.viber.parse import parse_callback
from connectors.viber.send import call, send_message
from inbox.domain.errors import DeliveryError, Unauthorized
from inbox.domain.inbound import WebhookRequest, WebhookResult
from inbox.domain.models import Attachment, ChannelKind, Line, Message
from inbox.domain.ports import OutboundTarget, SendReceipt

log = structlog.get_logger(__name__)

UNANSWERED_RETRY_S = 600.0


class ViberConnector:
    kind = ChannelKind.VIBER

    def __init__(self, session: aiohttp.ClientSession, media: SafeFetcher | None = None) -> None:
        self._session = session
        self._media = media or SafeFetcher()  # public addresses only unless told otherwise

    async def handle(self, line: Line, request: WebhookRequest) -> WebhookResult:
        config = ViberLineConfig.from_line(line)
        if not verify(
            config.token.get_secret_value(), request.body, request.headers.get(SIGNATURE_HEADER)
        ):
            raise Unauthorized("bad or missing X-Viber-Content-Signature", code="bad_signature")
        parsed = parse_callback(request.body)
        body: dict[str, Any] = {}
        if parsed.welcome_allowed and line.welcome_text:
            # Viber delivers a message put in the answer to conversation_started.
            body = {
                "sender": {"name": config.sender_name},
                "type": "text",
                "text": line.welcome_text,
            }
        return WebhookResult(events=parsed.events, body=body)

    async def send(self, target: OutboundTarget, message: Message) -> SendReceipt:
        config = ViberLineConfig.from_line(target.line)
        if target.unanswered >= config.max_unanswered:
            error = DeliveryError(
                f"Viber allows {config.max_unanswered} messages an hour to a customer who has "
                "not replied; this one waits for the customer's answer or the next hour",
                retryable=True,
                retry_after=UNANSWERED_RETRY_S,
            )
            error.code = "viber_unanswered_limit"
            raise error
        return await send_message(self._session, config, target, message)

    async def register(self, line: Line, webhook_url: str) -> Line:
        """set_webhook; Viber checks the URL at once with a signed ``webhook`` callback."""
        config = ViberLineConfig.from_line(line)
        payload = {
            "url": webhook_url,
            "event_types": list(EVENT_TYPES),
            "send_name": True,
            "send_photo": True,
        }
        try:
            answer = await call(self._session, config, "set_webhook", payload)
        except DeliveryError as e:
            raise ViberSetupError(f"Viber set_webhook failed: {e.message}") from e
        if answer.get("status") != 0:
            raise ViberSetupError(
                f"Viber refused set_webhook: {answer.get('status_message')} "
                f"(status {answer.get('status')})"
            )
        log.info("viber_webhook_set", line_id=line.id)
        settings = {
            **line.settings,
            "webhook_url": webhook_url,
            "event_types": answer.get("event_types", list(EVENT_TYPES)),
        }
        return line.model_copy(update={"settings": settings})

    async def fetch_file(self, line: Line, attachment: Attachment) -> bytes | None:
        """Download a media URL (Viber's expire after an hour, so this runs soon).

        The URL comes from the callback body: it is fetched only under the media policy
        (public addresses, bounded size; see ``connectors.safefetch``)."""
        if not attachment.url:
            return None
        try:
            fetched = await self._media.get(attachment.url)
        except FetchRefused as e:
            raise DeliveryError(f"media download refused: {e}", retryable=False) from e
        except (aiohttp.ClientError, TimeoutError) as e:
            raise DeliveryError(
                f"media download failed: {e or type(e).__name__}", retryable=True
            ) from e
        if fetched.status >= 500 or fetched.status == 429:
            raise DeliveryError(f"media download: HTTP {fetched.status}", retryable=True)
        if fetched.status >= 300:
            raise DeliveryError(
                f"media download: HTTP {fetched.status} (the link may have expired)",
                retryable=False,
            )
        return fetched.body

    async def aclose(self) -> None:
        await self._media.aclose()
