"""Which conversation an email belongs to (issue 13), in this order:

1. ``In-Reply-To`` then ``References`` against the Message-IDs stored on the line (ours
   and the customer's), among the sender's own conversations; then the other way round,
   a stored mail of the sender whose References name this one or its references (mail
   that arrives out of order);
2. our reply token, read from those headers (names the conversation even when our
   bookkeeping of the sent Message-ID was lost), again only for the same sender;
3. the normalized subject, from the same sender, within ``subject_window_s``;
4. else a new conversation. A forward (``Fwd:``) has no subject key, so without
   threading headers it always starts one.

A different sender who quotes the thread (a colleague in Cc, a forward) matches none of
the sender-bound rules and gets a conversation of their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from inbox.domain.errors import NotFound
from inbox.domain.inbound import InboundMessage, ThreadHints
from inbox.domain.models import Contact, Conversation, Line
from inbox.domain.ports import ConversationRepository, MailThreads, ThreadResult

SUBJECT_WINDOW_S = 14 * 24 * 3600


class MailThreader:
    def __init__(
        self,
        *,
        threads: MailThreads,
        conversations: ConversationRepository,
        subject_window_s: float = SUBJECT_WINDOW_S,
    ) -> None:
        self._threads = threads
        self._conversations = conversations
        self._window = timedelta(seconds=subject_window_s)

    async def find(
        self, line: Line, contact: Contact, hints: ThreadHints, now: datetime
    ) -> Conversation | None:
        """The existing conversation this mail continues, if any."""
        if hints.references:
            found = await self._threads.by_messages(line.id, contact.id, hints.references)
            if found is not None:
                return found
        related = await self._threads.by_related(
            line.id, contact.id, (hints.thread_key, *hints.references)
        )
        if related is not None:
            return related
        if hints.conversation_id:
            try:
                token = await self._conversations.get(hints.conversation_id)
            except NotFound:
                token = None
            if token is not None and token.line_id == line.id and token.contact_id == contact.id:
                return token
        if hints.subject_key:
            return await self._threads.by_subject(
                line.id, contact.id, hints.subject_key, now - self._window
            )
        return None

    async def place(
        self, line: Line, contact: Contact, inbound: InboundMessage, now: datetime
    ) -> ThreadResult:
        """The conversation of a customer's mail, joined (reopened if needed) or started."""
        hints = inbound.thread
        assert hints is not None
        existing = await self.find(line, contact, hints, now)
        if existing is not None:
            result = await self._threads.join(
                existing, now, subject=inbound.subject, subject_key=hints.subject_key
            )
        else:
            result = await self._threads.start(
                line,
                contact,
                now,
                thread_key=hints.thread_key,
                subject=inbound.subject,
                subject_key=hints.subject_key,
                source=inbound.source,
            )
        if hints.references:
            await self._threads.remember(
                line.id, contact.id, result.conversation.id, hints.references
            )
        return result
