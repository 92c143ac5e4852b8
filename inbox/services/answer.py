"""An operator answers: the reply is stored once (idempotent under a key), its send starts
after the HTTP answer, and the router hears that the assignee wrote."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from inbox.domain.models import Message
from inbox.domain.ports import Router
from inbox.services.outbound import Draft, Replier, Sender

log = structlog.get_logger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any], str], None]


class Answer:
    def __init__(self, *, replier: Replier, sender: Sender, router: Router, spawn: Spawn) -> None:
        self._replier = replier
        self._sender = sender
        self._router = router
        self._spawn = spawn

    async def reply(
        self, conversation_id: str, operator_id: str, draft: Draft, idempotency_key: str | None
    ) -> Message:
        message, stored = await self._replier.store(
            conversation_id, operator_id, draft, idempotency_key
        )
        if not stored:  # a retry of a stored reply: its send is already under way
            return message
        self._spawn(self._sender.attempt(message.id), f"send:{message.id}")
        await self._router.on_operator_reply(conversation_id, operator_id)
        log.info("reply_stored", conversation_id=conversation_id, message_id=message.id)
        return message

    async def note(self, conversation_id: str, operator_id: str, text: str) -> Message:
        return await self._replier.reply(conversation_id, operator_id, text, note=True)
