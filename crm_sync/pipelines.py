"""Pipelines and stages are data: defaults seeded idempotently, admins edit the rest.

The default B2C deal pipeline is short (New order -> Payment -> Shipping -> Won/Lost); the
B2B one is long (Qualification -> ... -> Invoice -> Won/Lost). Leads have a fixed status
pipeline (New -> In progress -> Qualified / Disqualified), kept as data too so the UI can
draw it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from inbox.domain.clock import Clock
from inbox.domain.errors import Conflict, NotFound, ValidationFailed
from inbox.domain.models import LeadStatus, Line, Pipeline, PipelineKind, Stage
from inbox.domain.ports import DealRepository, PipelineRepository

log = structlog.get_logger(__name__)

B2C_PIPELINE_ID = "b2c"
B2B_PIPELINE_ID = "b2b"
LEAD_PIPELINE_ID = "leads"


def _stages(*names: tuple[str, str], won: str = "won", lost: str = "lost") -> tuple[Stage, ...]:
    stages = [Stage(id=sid, name=name, order=i) for i, (sid, name) in enumerate(names)]
    n = len(stages)
    stages.append(
        Stage(id=won, name=won.replace("_", " ").title(), order=n, terminal=True, won=True)
    )
    stages.append(Stage(id=lost, name=lost.replace("_", " ").title(), order=n + 1, terminal=True))
    return tuple(stages)


def default_pipelines(clock: Clock) -> list[Pipeline]:
    now = clock.now()
    return [
        Pipeline(
            id=B2C_PIPELINE_ID,
            name="B2C orders",
            kind=PipelineKind.DEAL,
            stages=_stages(
                ("new_order", "New order"), ("payment", "Payment"), ("shipping", "Shipping")
            ),
            created_at=now,
        ),
        Pipeline(
            id=B2B_PIPELINE_ID,
            name="B2B sales",
            kind=PipelineKind.DEAL,
            b2b=True,
            stages=_stages(
                ("qualification", "Qualification"),
                ("needs_analysis", "Needs analysis"),
                ("proposal", "Proposal"),
                ("negotiation", "Negotiation"),
                ("contract", "Contract"),
                ("invoice", "Invoice"),
            ),
            created_at=now,
        ),
        Pipeline(
            id=LEAD_PIPELINE_ID,
            name="Leads",
            kind=PipelineKind.LEAD,
            b2b=True,
            stages=_stages(
                (LeadStatus.NEW.value, "New"),
                (LeadStatus.IN_PROGRESS.value, "In progress"),
                won=LeadStatus.QUALIFIED.value,
                lost=LeadStatus.DISQUALIFIED.value,
            ),
            created_at=now,
        ),
    ]


def validate_stages(stages: Sequence[Stage]) -> None:
    """A usable deal pipeline: unique ids, an open first stage, a won and a lost end."""
    ids = [s.id for s in stages]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("stage ids must be unique", code="invalid_pipeline")
    if not stages or stages[0].terminal:
        raise ValidationFailed("the first stage must be an open stage", code="invalid_pipeline")
    if not any(s.terminal and s.won for s in stages) or not any(
        s.terminal and not s.won for s in stages
    ):
        raise ValidationFailed("a pipeline needs a won and a lost stage", code="invalid_pipeline")


def first_stage(pipeline: Pipeline) -> Stage:
    return min(pipeline.stages, key=lambda s: s.order)


def stage_of(pipeline: Pipeline, stage_id: str) -> Stage:
    for stage in pipeline.stages:
        if stage.id == stage_id:
            return stage
    raise ValidationFailed(
        f"pipeline {pipeline.id} has no stage {stage_id!r}", code="unknown_stage"
    )


class Pipelines:
    """Admin use-cases on pipelines, and which pipeline a line's deals go to."""

    def __init__(
        self, *, pipelines: PipelineRepository, deals: DealRepository, clock: Clock
    ) -> None:
        self._pipelines = pipelines
        self._deals = deals
        self._clock = clock

    async def seed_defaults(self) -> int:
        seeded = 0
        for pipeline in default_pipelines(self._clock):
            seeded += await self._pipelines.seed(pipeline)
        if seeded:
            log.info("crm_pipelines_seeded", count=seeded)
        return seeded

    async def list(self) -> list[Pipeline]:
        return await self._pipelines.list()

    async def get(self, pipeline_id: str) -> Pipeline:
        return await self._pipelines.get(pipeline_id)

    async def add(self, pipeline: Pipeline) -> Pipeline:
        if pipeline.kind is not PipelineKind.DEAL:
            raise ValidationFailed("only deal pipelines can be added", code="invalid_pipeline")
        validate_stages(pipeline.stages)
        return await self._pipelines.add(pipeline)

    async def replace(self, pipeline: Pipeline) -> Pipeline:
        current = await self._pipelines.get(pipeline.id)
        if current.kind is PipelineKind.LEAD:
            raise ValidationFailed("the lead statuses are fixed", code="invalid_pipeline")
        validate_stages(pipeline.stages)
        kept = {s.id for s in pipeline.stages}
        removed = [s.id for s in current.stages if s.id not in kept]
        for stage_id in removed:
            if await self._deals.list(pipeline_id=pipeline.id, stage_id=stage_id, limit=1):
                raise Conflict(f"deals are still in stage {stage_id}", code="stage_in_use")
        return await self._pipelines.replace(
            pipeline.model_copy(update={"created_at": current.created_at, "kind": current.kind})
        )

    async def delete(self, pipeline_id: str) -> None:
        if pipeline_id in (B2C_PIPELINE_ID, B2B_PIPELINE_ID, LEAD_PIPELINE_ID):
            raise Conflict("default pipelines cannot be deleted", code="pipeline_default")
        if await self._deals.count_in_pipeline(pipeline_id):
            raise Conflict("the pipeline still has deals", code="pipeline_in_use")
        await self._pipelines.delete(pipeline_id)

    async def for_line(self, line: Line, *, b2b: bool | None = None) -> Pipeline:
        """The deal pipeline of a line: its own, else the default B2B or B2C one."""
        if line.crm.pipeline_id:
            try:
                pipeline = await self._pipelines.get(line.crm.pipeline_id)
            except NotFound:
                log.warning("crm_line_pipeline_missing", line_id=line.id)
            else:
                if pipeline.kind is PipelineKind.DEAL:
                    return pipeline
        use_b2b = line.crm.b2b if b2b is None else b2b
        return await self._pipelines.get(B2B_PIPELINE_ID if use_b2b else B2C_PIPELINE_ID)
