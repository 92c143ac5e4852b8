"""Attachment downloads: inbound files are fetched after the webhook answered, never in it.

A message is stored with its attachments' metadata (the platform's file id or URL) and a
``files_pending`` mark. :class:`AttachmentFetcher` then asks the line's connector for the
bytes (Telegram ``getFile``, Viber's media URL, which expires after an hour), keeps them in
the :class:`FileStore` and records our file id on the attachment. It runs right after the
ingest follow-up (as a hook) and from the worker's sweep, which retries failures with a
backoff and gives up after a few attempts (the metadata stays; only the bytes are missing).
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from inbox.domain.clock import Clock
from inbox.domain.downloads import needs_download
from inbox.domain.errors import DeliveryError
from inbox.domain.events import Event, MessageStored, message_event
from inbox.domain.models import Message
from inbox.domain.ports import (
    ConnectorRegistry,
    ConversationRepository,
    EventPublisher,
    FileSource,
    FileStore,
    LineRepository,
    MessageRepository,
)
from inbox.services.live import BestEffort

log = structlog.get_logger(__name__)

MAX_FAILURES = 5
RETRY_S = 60.0
CLAIM_S = 300.0  # a crashed fetcher's claim lapses; the sweep then retries


class AttachmentFetcher:
    """Downloads pending inbound attachments into the file store (idempotent)."""

    def __init__(
        self,
        *,
        lines: LineRepository,
        conversations: ConversationRepository,
        messages: MessageRepository,
        connectors: ConnectorRegistry,
        files: FileStore,
        publisher: EventPublisher,
        clock: Clock,
    ) -> None:
        self._lines = lines
        self._conversations = conversations
        self._messages = messages
        self._connectors = connectors
        self._files = files
        self._live = BestEffort(publisher)
        self._clock = clock

    async def on_message_stored(self, stored: MessageStored) -> None:
        """Ingest hook: fetch at once; a failure is left to the worker's sweep."""
        if not any(needs_download(a) for a in stored.message.attachments):
            return  # no file to fetch: a location, a contact, a link, or already stored
        try:
            await self.fetch(stored.message)
        except Exception:  # a hook boundary: the sweep retries, ingest must not fail
            log.exception("attachment_fetch_crashed", message_id=stored.message.id)

    async def sweep(self, limit: int = 20) -> int:
        """Fetch every due message's files (the worker calls this periodically)."""
        due = await self._messages.files_due(self._clock.now(), limit)
        for message in due:
            try:
                await self.fetch(message)
            except Exception:  # a loop boundary: one bad message must not stop the rest
                log.exception("attachment_fetch_crashed", message_id=message.id)
        return len(due)

    async def fetch(self, message: Message) -> Message:
        """Download what is missing; returns the message as stored afterwards.

        The download is claimed first (a lease in MongoDB), so concurrent duplicates of a
        delivery and the worker's sweep fetch each file once; the one that lost the claim
        returns the message as it is.
        """
        if not any(needs_download(a) for a in message.attachments):
            return message
        current = await self._messages.claim_files(message.id, self._clock.now(), CLAIM_S)
        if current is None:
            return await self._messages.get(message.id)
        line = await self._lines.get(current.line_id)
        connector = self._connectors.get(line.kind)
        if not isinstance(connector, FileSource):
            await self._messages.files_done(current.id)
            return current
        changed = False
        for index, attachment in enumerate(current.attachments):
            if not needs_download(attachment):
                continue
            try:
                data = await connector.fetch_file(line, attachment)
            except DeliveryError as e:
                await self._failed(current, e)
                return await self._messages.get(current.id)
            if data is None:
                continue
            file_id = await self._files.put(
                data, name=attachment.name, mime_type=attachment.mime_type
            )
            await self._messages.set_attachment_file(current.id, index, file_id)
            changed = True
            log.info("attachment_stored", message_id=current.id, index=index, size=len(data))
        await self._messages.files_done(current.id)
        stored = await self._messages.get(current.id)
        if changed:
            await self._announce(stored)
        return stored

    async def _failed(self, message: Message, error: DeliveryError) -> None:
        now = self._clock.now()
        delay = error.retry_after if error.retry_after is not None else RETRY_S
        failures = await self._messages.files_retry(
            message.id, error.message, now + timedelta(seconds=delay)
        )
        if not error.retryable or failures >= MAX_FAILURES:
            await self._messages.files_done(message.id)
            log.warning("attachment_fetch_gave_up", message_id=message.id, reason=error.message)
        else:
            log.info("attachment_fetch_retry", message_id=message.id, reason=error.message)

    async def _announce(self, message: Message) -> None:
        async def build() -> Event:
            conversation = await self._conversations.get(message.conversation_id)
            return message_event("message.updated", message, conversation, self._clock.now())

        await self._live.announce(build, "message.updated")
