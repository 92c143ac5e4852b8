"""Customer profiles from the platform, fetched after the webhook answered.

A post-ingest hook: for a connector that can look profiles up (``ProfileSource``:
Instagram, whose webhooks carry only an id), the customer's name, username and picture
are fetched and kept on the contact. The connector caches what it fetched, with an
expiry, so a chatty customer costs one lookup a day. Failures are logged, never retried
by the ingest ledger: the next message asks again.
"""

from __future__ import annotations

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import NotFound
from inbox.domain.events import Event, MessageStored
from inbox.domain.models import Direction
from inbox.domain.ports import ConnectorRegistry, ContactRepository, EventPublisher, ProfileSource

log = structlog.get_logger(__name__)


class ProfileHook:
    def __init__(
        self,
        *,
        connectors: ConnectorRegistry,
        contacts: ContactRepository,
        publisher: EventPublisher,
        clock: Clock,
    ) -> None:
        self._connectors = connectors
        self._contacts = contacts
        self._publisher = publisher
        self._clock = clock

    async def on_message_stored(self, stored: MessageStored) -> None:
        if stored.message.direction is not Direction.IN:
            return
        line = stored.line
        try:
            connector = self._connectors.get(line.kind)
        except NotFound:  # a channel without a connector has no profiles to fetch
            return
        if not isinstance(connector, ProfileSource):
            return
        identity = next((i for i in stored.contact.identities if i.line_id == line.id), None)
        if identity is None:
            return
        try:
            update = await connector.fetch_profile(line, identity.external_id)
            if update is None:
                return
            now = self._clock.now()
            contact = await self._contacts.apply_update(line, update, now)
            if contact is None:
                return
            await self._publisher.publish(
                Event(
                    type="contact.updated",
                    at=now,
                    line_id=line.id,
                    data={"contact": contact.model_dump(mode="json")},
                )
            )
        except Exception:  # a hook boundary: a profile is a nicety, the message is stored
            log.exception("profile_fetch_failed", line_id=line.id, contact_id=stored.contact.id)
