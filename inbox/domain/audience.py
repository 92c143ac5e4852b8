"""Who sees which conversation: the one rule, as a MongoDB filter and as a predicate.

- operator: conversations assigned to them, and the unassigned queues of their teams
  (plus the shared queue of conversations that belong to no team);
- manager: everything of their teams (by the conversation's team or its assignee's team),
  their own conversations and the shared queue;
- admin: everything.

The rule is a list of :class:`Grant`s per role (an ``$or`` of equalities); :meth:`Audience.
mongo_filter` renders it for queries and :meth:`Audience.admits` for one conversation or
a live event, so the list, a single read and the live feed cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inbox.domain.models import Role

Value = str | None


def _ordered(values: frozenset[Value]) -> list[Value]:
    return sorted(values, key=lambda v: (v is not None, v or ""))


@dataclass(frozen=True, slots=True)
class Grant:
    """One way to see a conversation: its assignee among ``assignees`` and its team among
    ``teams`` (None: any value)."""

    assignees: frozenset[Value] | None = None
    teams: frozenset[Value] | None = None

    def admits(self, team_id: Value, assignee_id: Value) -> bool:
        return (self.assignees is None or assignee_id in self.assignees) and (
            self.teams is None or team_id in self.teams
        )

    def clause(self) -> dict[str, Any]:
        clause: dict[str, Any] = {}
        if self.assignees is not None:
            clause["assignee_id"] = {"$in": _ordered(self.assignees)}
        if self.teams is not None:
            clause["team_id"] = {"$in": _ordered(self.teams)}
        return clause


@dataclass(frozen=True, slots=True)
class Audience:
    operator_id: str
    role: Role
    teams: tuple[str, ...]
    members: frozenset[str] = frozenset()  # operators in a manager's teams

    def grants(self) -> tuple[Grant, ...] | None:
        """The grants of this caller; None: everything (an admin)."""
        if self.role is Role.ADMIN:
            return None
        teams: frozenset[Value] = frozenset(self.teams)
        nobody: frozenset[Value] = frozenset({None})
        if self.role is Role.MANAGER:
            return (
                Grant(teams=teams),
                Grant(assignees=frozenset({*self.members, self.operator_id})),
                Grant(assignees=nobody, teams=nobody),
            )
        return (
            Grant(assignees=frozenset({self.operator_id})),
            Grant(assignees=nobody, teams=teams | nobody),
        )

    def mongo_filter(self) -> dict[str, Any]:
        grants = self.grants()
        return {} if grants is None else {"$or": [g.clause() for g in grants]}

    def admits(self, team_id: Value, assignee_id: Value) -> bool:
        grants = self.grants()
        return grants is None or any(g.admits(team_id, assignee_id) for g in grants)
