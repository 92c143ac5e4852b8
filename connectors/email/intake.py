"""One mail from raw bytes to the hub: parse, keep its files, build the event, ingest.

The IMAP poller calls :meth:`MailIntake.take` for every fetched mail; tests and the demo
call it directly. It never raises for a mail's content: a mail that cannot be parsed at
all is still acknowledged (logged), so one bad mail never blocks the mailbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import structlog

from connectors.email.config import EmailLineConfig
from connectors.email.mime import Limits
from connectors.email.parse import MailContext, fallback_event, parse_mail, to_event
from inbox.domain.inbound import Ignored, InboundEvent, InboundMessage
from inbox.domain.models import Line
from inbox.domain.ports import FileStore, MessageRepository

log = structlog.get_logger(__name__)

Sink = Callable[[Line, Sequence[InboundEvent]], Awaitable[None]]
FILE_URL = "/api/v1/files/{}"


class MailIntake:
    def __init__(
        self,
        *,
        files: FileStore | None,
        messages: MessageRepository,
        sink: Sink,
        limits: Limits | None = None,
        hub_addresses: Callable[[], Awaitable[frozenset[str]]] | None = None,
    ) -> None:
        self._files = files
        self._messages = messages
        self._sink = sink
        self._limits = limits or Limits()
        self._hub_addresses = hub_addresses

    async def take(self, line: Line, config: EmailLineConfig, raw: bytes) -> InboundEvent:
        """Ingest one mail; returns the event it became (for logs and tests)."""
        try:
            event = await self._event(line, config, raw)
        except Exception:  # a parser bug must not stop the mailbox, nor lose the mail
            log.exception("mail_parse_crashed", line_id=line.id, size=len(raw))
            try:
                event = fallback_event(raw)
            except Exception:
                event = Ignored(reason="could not be parsed", kind="parse_error")
        await self._sink(line, (event,))
        return event

    async def _event(self, line: Line, config: EmailLineConfig, raw: bytes) -> InboundEvent:
        parsed = parse_mail(raw, self._limits)
        others = await self._hub_addresses() if self._hub_addresses else frozenset()
        ctx = MailContext(
            address=config.address.lower(),
            token_key=config.token_secret.get_secret_value(),
            hub_addresses=others - {config.address.lower()},
        )
        probe = to_event(parsed, ctx)
        if not isinstance(probe, InboundMessage) or not parsed.files or self._files is None:
            return probe
        if await self._messages.get_by_external(line.id, probe.external_id) is not None:
            return probe  # a redelivery: its files are stored already
        stored: dict[int, str] = {}
        for index, file in enumerate(parsed.files):
            if file.data is None:
                continue
            stored[index] = await self._files.put(
                file.data, name=file.name, mime_type=file.mime_type
            )
        return to_event(parsed, ctx, stored, FILE_URL.format)
