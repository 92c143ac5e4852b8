"""Who sees what: the caller's audience rule (defined once, in :mod:`inbox.domain.audience`)
applied to queries, reads and live events.

A conversation outside the caller's audience answers 404, never 403, so ids cannot be
probed (IDOR).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inbox.domain.audience import Audience
from inbox.domain.errors import Forbidden, NotFound
from inbox.domain.models import Conversation, Operator, Role
from inbox.web.hub import WebHub as Hub


@dataclass(frozen=True)
class Scope:
    operator: Operator
    members: frozenset[str]  # operators in the caller's teams (managers), else empty

    @property
    def is_admin(self) -> bool:
        return self.operator.role is Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.operator.role is Role.MANAGER

    @property
    def audience(self) -> Audience:
        """The caller's audience rule (:mod:`inbox.domain.audience`)."""
        op = self.operator
        return Audience(operator_id=op.id, role=op.role, teams=op.teams, members=self.members)

    def mongo_filter(self) -> dict[str, Any]:
        return self.audience.mongo_filter()

    def manages(self, team_id: str | None) -> bool:
        """Whether the caller may configure what belongs to this team (a line's routing, its
        queue): admins anything, managers their own teams only (a line of no team is the
        admins')."""
        if self.is_admin:
            return True
        return self.is_manager and team_id is not None and team_id in self.operator.teams

    def sees(self, team_id: str | None, assignee_id: str | None) -> bool:
        return self.audience.admits(team_id, assignee_id)

    def can_see(self, conversation: Conversation) -> bool:
        return self.sees(conversation.team_id, conversation.assignee_id)

    def can_act(self, conversation: Conversation) -> bool:
        """Reply, resolve, snooze: the assignee, a free queue item, or a manager/admin."""
        if not self.can_see(conversation):
            return False
        if self.is_admin or self.is_manager:
            return True
        return conversation.assignee_id in (None, self.operator.id)

    def sees_event(self, event: dict[str, Any]) -> bool:
        """Whether a live event (as stored on the stream) is for this operator."""
        if event.get("type") == "presence":
            return True
        if event.get("conversation_id") is None:
            # No conversation (a contact's update, a record without one): admins, the
            # managers of the team it names (one naming no team is the admins' alone), and
            # the operator it is addressed to (a task reminder).
            assignee = event.get("assignee_id")
            return self.manages(event.get("team_id")) or (
                assignee is not None and assignee == self.operator.id
            )
        if self.sees(event.get("team_id"), event.get("assignee_id")):
            return True
        # A conversation taken away from someone: they must see it leave their list.
        data = event.get("data")
        hop = data.get("hop") if isinstance(data, dict) else None
        return isinstance(hop, dict) and hop.get("from_operator") == self.operator.id


async def scope_for(hub: Hub, operator: Operator) -> Scope:
    members: frozenset[str] = frozenset()
    if operator.role is Role.MANAGER and operator.teams:
        members = frozenset(
            o.id for o in await hub.operators.list() if set(o.teams) & set(operator.teams)
        )
    return Scope(operator=operator, members=members)


async def visible_conversation(hub: Hub, scope: Scope, conversation_id: str) -> Conversation:
    """The conversation when the caller may see it; 404 otherwise (no existence leak)."""
    try:
        conversation = await hub.conversations.get(conversation_id)
    except NotFound:
        conversation = None
    if conversation is None or not scope.can_see(conversation):
        raise NotFound(f"conversation {conversation_id} not found", code="conversation_not_found")
    return conversation


async def actionable_conversation(hub: Hub, scope: Scope, conversation_id: str) -> Conversation:
    conversation = await visible_conversation(hub, scope, conversation_id)
    if not scope.can_act(conversation):
        raise Forbidden("the conversation is assigned to someone else", code="not_assignee")
    return conversation
