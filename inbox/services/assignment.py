"""Who holds a conversation: claim, transfer and assign, through the router's one atomic path.

The web handler authorizes (who may act on what); these check the target and call the
router's public port; routing reacts and announces the change itself.
"""

from __future__ import annotations

import structlog

from inbox.domain.errors import Conflict, NotFound, ValidationFailed
from inbox.domain.models import Conversation
from inbox.domain.ports import OperatorRepository, Router, TeamRepository

log = structlog.get_logger(__name__)


class Assignment:
    def __init__(
        self, *, router: Router, operators: OperatorRepository, teams: TeamRepository
    ) -> None:
        self._router = router
        self._operators = operators
        self._teams = teams

    async def _check_target(self, to_operator: str | None, to_team: str | None) -> None:
        if to_operator is None and to_team is None:
            raise ValidationFailed("name an operator or a team", code="no_target")
        try:
            if to_operator is not None:
                target = await self._operators.get(to_operator)
                if not target.active:
                    raise ValidationFailed("that operator is deactivated", code="operator_inactive")
            if to_team is not None:
                await self._teams.get(to_team)
        except NotFound as e:
            raise ValidationFailed(e.message, code="unknown_target") from e

    async def claim(self, conversation: Conversation, operator_id: str) -> Conversation:
        if conversation.assignee_id is not None:
            raise Conflict("the conversation is already assigned", code="already_assigned")
        changed = await self._router.claim(conversation.id, operator_id)
        log.info("conversation_claimed", conversation_id=conversation.id)
        return changed

    async def transfer(
        self,
        conversation: Conversation,
        *,
        by: str,
        to_operator: str | None,
        to_team: str | None,
        note: str | None,
    ) -> Conversation:
        await self._check_target(to_operator, to_team)
        changed = await self._router.transfer(
            conversation.id, by=by, to_operator=to_operator, to_team=to_team, note=note
        )
        log.info("conversation_transferred", conversation_id=conversation.id)
        return changed

    async def check_operator(self, operator_id: str) -> None:
        """The one target check of an assignment (the caller then authorizes the target)."""
        await self._check_target(operator_id, None)

    async def assign(
        self, conversation: Conversation, operator_id: str, *, by: str, note: str | None
    ) -> Conversation:
        return await self._router.assign(conversation.id, operator_id, by=by, note=note)
