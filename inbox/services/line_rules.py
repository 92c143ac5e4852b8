"""The one validation of a line before it is stored, shared by the REST API and the CLI.

:func:`inbox.domain.line_checks.check_line` holds the rules that need only the line (time
zone, hours, holidays, settings keys, URLs, numbers); this adds the references that must
exist: the routing team, the CRM pipeline and the responsible operator. Both interfaces
call :meth:`LineRules.check` on the line they are about to write, so they refuse the same
values with the same :class:`~inbox.domain.line_checks.InvalidLine` message.
"""

from __future__ import annotations

from inbox.domain.errors import NotFound
from inbox.domain.line_checks import InvalidLine, check_line
from inbox.domain.models import Line
from inbox.domain.ports import OperatorRepository, PipelineRepository, TeamRepository


class LineRules:
    def __init__(
        self,
        *,
        teams: TeamRepository,
        operators: OperatorRepository,
        pipelines: PipelineRepository | None,
    ) -> None:
        self._teams = teams
        self._operators = operators
        self._pipelines = pipelines

    async def check(self, line: Line) -> Line:
        """The line normalised, or :class:`InvalidLine` naming the first bad field."""
        checked = check_line(line)
        team = checked.routing.team_id
        if team is not None and team not in {t.id for t in await self._teams.list()}:
            raise InvalidLine("routing.team_id", f"unknown team {team[:80]!r}", code="unknown_team")
        crm = checked.crm
        if crm.pipeline_id is not None:
            if self._pipelines is None:
                raise InvalidLine("crm.pipeline_id", "the CRM is not enabled", code="no_crm")
            try:
                await self._pipelines.get(crm.pipeline_id)
            except NotFound as e:
                raise InvalidLine(
                    "crm.pipeline_id",
                    f"unknown pipeline {crm.pipeline_id[:80]!r}",
                    code="unknown_pipeline",
                ) from e
        if crm.responsible != "assignee":
            try:
                await self._operators.get(crm.responsible)
            except NotFound as e:
                raise InvalidLine(
                    "crm.responsible",
                    f"'assignee' or an operator id, got {crm.responsible[:80]!r}",
                    code="unknown_operator",
                ) from e
        return checked
