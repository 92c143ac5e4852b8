"""The manual router: operators claim, transfer and managers assign; nothing automatic.

It is the minimal :class:`inbox.domain.ports.Router`: every change is one conditional
update (the assignee must still be what the caller saw), so two claims of one
conversation never both win.
"""

from __future__ import annotations

from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict
from inbox.domain.events import MessageStored, conversation_event
from inbox.domain.models import Conversation, Hop, Presence
from inbox.domain.ports import ConversationRepository, EventPublisher


class ManualRouter:
    def __init__(
        self, *, conversations: ConversationRepository, publisher: EventPublisher, clock: Clock
    ) -> None:
        self._conversations = conversations
        self._publisher = publisher
        self._clock = clock

    async def on_message_stored(self, stored: MessageStored) -> None:
        return None  # conversations wait in the queue until someone claims them

    async def route(self, conversation_id: str) -> Conversation:
        return await self._conversations.get(conversation_id)

    async def _change(
        self,
        conversation_id: str,
        *,
        to_operator: str | None,
        to_team: str | None,
        reason: str,
        by: str | None,
        note: str | None = None,
        expected_unassigned: bool = False,
    ) -> Conversation:
        current = await self._conversations.get(conversation_id)
        if expected_unassigned and current.assignee_id is not None:
            raise Conflict("the conversation is already assigned", code="already_assigned")
        now = self._clock.now()
        hop = Hop(
            at=now,
            from_operator=current.assignee_id,
            to_operator=to_operator,
            to_team=to_team,
            reason=reason,
            by=by,
            note=note,
        )
        changed = await self._conversations.set_assignee(
            conversation_id,
            expected=current.assignee_id,
            assignee=to_operator,
            team_id=to_team if to_team is not None else current.team_id,
            hop=hop,
        )
        if changed is None:
            raise Conflict("the conversation changed meanwhile", code="assignment_conflict")
        await self._publisher.publish(
            conversation_event(
                "conversation.assigned", changed, now, hop=hop.model_dump(mode="json")
            )
        )
        return changed

    async def claim(self, conversation_id: str, operator_id: str) -> Conversation:
        return await self._change(
            conversation_id,
            to_operator=operator_id,
            to_team=None,
            reason="claim",
            by=operator_id,
            expected_unassigned=True,
        )

    async def transfer(
        self,
        conversation_id: str,
        *,
        by: str | None,
        to_operator: str | None = None,
        to_team: str | None = None,
        note: str | None = None,
    ) -> Conversation:
        return await self._change(
            conversation_id,
            to_operator=to_operator,
            to_team=to_team,
            reason="transfer",
            by=by,
            note=note,
        )

    async def release(self, conversation_id: str, *, reason: str) -> Conversation:
        return await self._change(
            conversation_id, to_operator=None, to_team=None, reason=reason, by=None
        )

    async def on_operator_reply(self, conversation_id: str, operator_id: str) -> None:
        return None

    async def on_resolved(self, conversation_id: str) -> None:
        return None

    async def set_presence(self, operator_id: str, presence: Presence) -> None:
        return None

    async def heartbeat(self, operator_id: str) -> None:
        return None
