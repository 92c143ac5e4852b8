"""CRM commands of the ``inbox`` CLI (registered by :func:`inbox.cli.build_parser`).

inbox crm pipelines list | crm pipelines add --id ID --name N --stage id:Name ... [--b2b]
inbox crm outbox [--status failed|pending|done]
inbox line crm LINE_ID --create nothing|lead|deal [--pipeline ID] [--responsible ID] [--b2b]
"""

from __future__ import annotations

import argparse
from typing import Any

from inbox.cli_common import emit, table, with_hub
from inbox.domain.errors import InboxError
from inbox.domain.models import CrmCreate, CrmRules, Pipeline, PipelineKind, Stage
from inbox.wiring import Hub


def parse_stages(specs: list[str], won: str, lost: str) -> tuple[Stage, ...]:
    """``["new:New", "fit:Fitting"]`` plus the won and lost ends, in that order."""
    stages: list[Stage] = []
    for i, spec in enumerate(specs):
        stage_id, sep, name = spec.partition(":")
        if not stage_id:
            raise InboxError(f"a stage looks like id:Name, got {spec!r}")
        stages.append(Stage(id=stage_id, name=name if sep and name else stage_id, order=i))
    n = len(stages)
    stages.append(Stage(id=won, name=won.title(), order=n, terminal=True, won=True))
    stages.append(Stage(id=lost, name=lost.title(), order=n + 1, terminal=True))
    return tuple(stages)


async def cmd_pipelines_list(hub: Hub, args: argparse.Namespace) -> None:
    pipelines = await hub.crm_side.pipelines.list()
    rows = [
        (p.id, p.kind.value, "b2b" if p.b2b else "b2c", p.name, " > ".join(s.id for s in p.stages))
        for p in pipelines
    ]
    emit(
        args,
        [p.model_dump(mode="json") for p in pipelines],
        table(rows, ("ID", "KIND", "FOR", "NAME", "STAGES")),
    )


async def cmd_pipelines_add(hub: Hub, args: argparse.Namespace) -> None:
    pipeline = Pipeline(
        id=args.id,
        name=args.name,
        kind=PipelineKind.DEAL,
        b2b=args.b2b,
        stages=parse_stages(args.stage or [], args.won, args.lost),
        created_at=hub.clock.now(),
    )
    added = await hub.crm_side.pipelines.add(pipeline)
    emit(args, added.model_dump(mode="json"), f"pipeline {added.id} created")


async def cmd_outbox(hub: Hub, args: argparse.Namespace) -> None:
    items = await hub.crm_side.stores.outbox.list(status=args.status, limit=args.limit)
    rows = [
        (i.id, i.status.value, str(i.attempts), i.remote_id or "", i.last_error or "")
        for i in items
    ]
    emit(
        args,
        [i.model_dump(mode="json") for i in items],
        table(rows, ("ITEM", "STATUS", "ATTEMPTS", "REMOTE_ID", "LAST_ERROR")),
    )


async def cmd_line_crm(hub: Hub, args: argparse.Namespace) -> None:
    line = await hub.lines.get(args.line_id)
    rules = CrmRules(
        create=CrmCreate(args.create),
        pipeline_id=args.pipeline,
        responsible=args.responsible,
        b2b=args.b2b,
    )
    await hub.line_admin().save(line.model_copy(update={"crm": rules}))  # the REST API's checks
    data: dict[str, Any] = rules.model_dump(mode="json")
    emit(args, data, f"line {line.id}: create {rules.create.value} on a new conversation")


def add_crm_commands(sub: Any) -> None:
    """``inbox crm ...``."""
    crm = sub.add_parser("crm", help="CRM pipelines and the external-CRM outbox")
    crm_sub = crm.add_subparsers(dest="crm_command", required=True, metavar="ACTION")
    pipes = crm_sub.add_parser("pipelines", help="deal pipelines")
    pipes_sub = pipes.add_subparsers(dest="pipelines_command", required=True, metavar="ACTION")
    ls = pipes_sub.add_parser("list", help="list pipelines", description="list pipelines")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=with_hub(cmd_pipelines_list))
    add = pipes_sub.add_parser("add", help="add a deal pipeline", description="add a pipeline")
    add.add_argument("--id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--stage", action="append", metavar="ID:NAME", help="an open stage, in order")
    add.add_argument("--won", default="won", help="id of the won stage")
    add.add_argument("--lost", default="lost", help="id of the lost stage")
    add.add_argument("--b2b", action="store_true")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=with_hub(cmd_pipelines_add))
    out = crm_sub.add_parser("outbox", help="external-CRM pushes", description="list the outbox")
    out.add_argument("--status", choices=["pending", "done", "failed"], default="failed")
    out.add_argument("--limit", type=int, default=50)
    out.add_argument("--json", action="store_true")
    out.set_defaults(func=with_hub(cmd_outbox))


def add_line_crm_command(line_sub: Any) -> None:
    """``inbox line crm LINE_ID ...``."""
    p = line_sub.add_parser(
        "crm", help="what a new conversation creates", description="set a line's CRM rules"
    )
    p.add_argument("line_id")
    p.add_argument("--create", choices=[c.value for c in CrmCreate], required=True)
    p.add_argument("--pipeline", help="deal pipeline id (default: the B2B or B2C one)")
    p.add_argument("--responsible", default="assignee", help="'assignee' or an operator id")
    p.add_argument("--b2b", action="store_true", help="a B2B line (longer pipeline)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=with_hub(cmd_line_crm))
