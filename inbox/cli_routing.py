"""CLI for routing: per-line rules and hours, teams, presence, the queue, reconciliation.

    inbox line routing LINE_ID [--strategy S] [--no-reply-timeout 2m]
                       [--hours "mon-fri 09:00-18:00"] [--holiday 2026-12-25] ...
    inbox team add --name N [--manager OPERATOR_ID] | team list
    inbox operator presence OPERATOR_ID online|away|offline
    inbox routing queue | routing reconcile

Without options, ``line routing`` shows the line's current rules. Every command takes
``--json``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from inbox.cli_common import emit
from inbox.domain.errors import ValidationFailed
from inbox.domain.models import (
    BusinessHours,
    BusinessHoursWindow,
    Line,
    Presence,
    RoutingStrategy,
    Team,
)
from inbox.web.routing_api import routing_view
from inbox.wiring import Hub

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_HOURS = re.compile(r"^\s*([a-z]{3})(?:-([a-z]{3}))?\s+(\d\d:\d\d)-(\d\d:\d\d)\s*$")


def parse_duration(text: str) -> int:
    """Seconds from ``90``, ``90s``, ``2m``, ``1h`` or ``1d``."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ValidationFailed(f"not a duration: {text!r} (try 90s, 2m, 1h)")
    value, unit = int(match.group(1)), match.group(2) or "s"
    return value * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def parse_hours(spec: str) -> list[BusinessHoursWindow]:
    """Windows from ``mon-fri 09:00-18:00`` or ``sat 10:00-14:00`` (local time)."""
    match = _HOURS.match(spec.lower())
    if not match:
        raise ValidationFailed(f"not business hours: {spec!r} (try 'mon-fri 09:00-18:00')")
    first, last, start, end = match.groups()
    if first not in WEEKDAYS or (last or first) not in WEEKDAYS:
        raise ValidationFailed(f"unknown weekday in {spec!r}")
    a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    days = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
    return [BusinessHoursWindow(weekday=d, start=start, end=end) for d in days]


def apply_routing_args(line: Line, args: argparse.Namespace) -> Line:
    """The line with the given options applied; options left out stay as they are."""
    changes: dict[str, Any] = {}
    if args.strategy is not None:
        changes["strategy"] = RoutingStrategy(args.strategy)
    if args.team is not None:
        changes["team_id"] = args.team or None
    if args.sticky_minutes is not None:
        changes["sticky_minutes"] = args.sticky_minutes
    for flag in ("match_language", "respect_capacity", "sticky_owner", "escalate_to_manager"):
        if getattr(args, flag) is not None:
            changes[flag] = getattr(args, flag)
    if args.no_reply_timeout is not None:
        changes["no_reply_timeout_s"] = parse_duration(args.no_reply_timeout)
    if args.max_hops is not None:
        changes["max_hops"] = args.max_hops
    if args.keep_offline:
        changes["offline_grace_s"] = None
    elif args.offline_grace is not None:
        changes["offline_grace_s"] = parse_duration(args.offline_grace)
    try:
        routing = line.routing.model_validate({**line.routing.model_dump(), **changes})
    except PydanticValidationError as e:
        raise ValidationFailed(f"invalid routing rules: {e.errors()[0]['msg']}") from e
    hours = line.business_hours
    if args.clear_hours or args.hours:
        windows = [w for spec in args.hours or () for w in parse_hours(spec)]
        hours = BusinessHours(windows=tuple(windows), holidays=hours.holidays)
    if args.clear_holidays or args.holiday:
        hours = BusinessHours(windows=hours.windows, holidays=tuple(sorted(args.holiday or ())))
    fields: dict[str, Any] = {"routing": routing, "business_hours": hours}
    if args.timezone is not None:
        fields["timezone"] = args.timezone
    return line.model_copy(update=fields)


async def cmd_line_routing(hub: Hub, args: argparse.Namespace) -> None:
    line = await hub.lines.get(args.line_id)
    updated = apply_routing_args(line, args)
    if updated != line:
        updated = await hub.line_admin().save(updated)  # the checks of the REST API
    view = routing_view(updated)
    r = updated.routing
    grace = "keep" if r.offline_grace_s is None else f"{r.offline_grace_s}s"
    text = (
        f"line {updated.id}: {r.strategy.value}, team {r.team_id or '-'},"
        f" no-reply {r.no_reply_timeout_s}s x{r.max_hops} hops, offline grace {grace},"
        f" sticky {r.sticky_minutes} min, language {'on' if r.match_language else 'off'},"
        f" capacity {'on' if r.respect_capacity else 'off'}, {updated.timezone},"
        f" {len(updated.business_hours.windows)} hour windows,"
        f" {len(updated.business_hours.holidays)} holidays"
    )
    emit(args, view, text)


async def cmd_team_add(hub: Hub, args: argparse.Namespace) -> None:
    if args.manager:
        await hub.operators.get(args.manager)
    team = await hub.teams.add(
        Team(name=args.name, manager_id=args.manager, created_at=hub.clock.now())
    )
    emit(args, team.model_dump(mode="json"), f"team {team.id} ({team.name}) created")


async def cmd_team_list(hub: Hub, args: argparse.Namespace) -> None:
    teams = await hub.teams.list()
    text = "\n".join(f"{t.id}  {t.name}  manager={t.manager_id or '-'}" for t in teams)
    emit(args, [t.model_dump(mode="json") for t in teams], text or "no teams")


async def cmd_presence(hub: Hub, args: argparse.Namespace) -> None:
    await hub.router.set_presence(args.operator_id, Presence(args.presence))
    data = {"operator_id": args.operator_id, "presence": args.presence}
    emit(args, data, f"operator {args.operator_id} is {args.presence}")


async def cmd_queue(hub: Hub, args: argparse.Namespace) -> None:
    queue = await hub.router.queue(limit=args.limit)
    text = "\n".join(
        f"{c.id}  line={c.line_id}  priority={c.priority}  queued_at={c.queued_at}" for c in queue
    )
    emit(args, [c.model_dump(mode="json") for c in queue], text or "the queue is empty")


async def cmd_reconcile(hub: Hub, args: argparse.Namespace) -> None:
    fixed = await hub.router.reconcile()
    emit(args, {"fixed": fixed}, f"reconciled: {fixed} entries fixed")


Wrap = Callable[[Callable[[Hub, argparse.Namespace], Any]], Callable[..., int]]


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def add_routing_commands(sub: Any, line_sub: Any, operator_sub: Any, with_hub: Wrap) -> None:
    """Register the routing commands on the ``inbox`` parser."""
    bool_flag = argparse.BooleanOptionalAction
    p = line_sub.add_parser(
        "routing", help="show or change a line's routing", description="routing rules of a line"
    )
    p.add_argument("line_id")
    p.add_argument("--strategy", choices=[s.value for s in RoutingStrategy])
    p.add_argument("--team", help="team id; an empty string clears it")
    p.add_argument("--sticky-minutes", type=int, help="wait this long for the last operator")
    p.add_argument("--match-language", action=bool_flag, default=None)
    p.add_argument("--respect-capacity", action=bool_flag, default=None)
    p.add_argument("--sticky-owner", action=bool_flag, default=None)
    p.add_argument("--escalate-to-manager", action=bool_flag, default=None)
    p.add_argument("--no-reply-timeout", help="e.g. 90s, 2m, 1h")
    p.add_argument("--max-hops", type=int)
    p.add_argument("--offline-grace", help="release chats of offline operators after, e.g. 5m")
    p.add_argument("--keep-offline", action="store_true", help="never release them")
    p.add_argument("--timezone")
    p.add_argument("--hours", action="append", metavar="SPEC", help="'mon-fri 09:00-18:00'")
    p.add_argument("--clear-hours", action="store_true", help="always open")
    p.add_argument("--holiday", action="append", metavar="YYYY-MM-DD")
    p.add_argument("--clear-holidays", action="store_true")
    _json(p)
    p.set_defaults(func=with_hub(cmd_line_routing))

    p = operator_sub.add_parser("presence", help="set an operator's presence")
    p.add_argument("operator_id")
    p.add_argument("presence", choices=[x.value for x in Presence])
    _json(p)
    p.set_defaults(func=with_hub(cmd_presence))

    team = sub.add_parser("team", help="manage teams")
    team_sub = team.add_subparsers(dest="team_command", required=True, metavar="ACTION")
    p = team_sub.add_parser("add", help="add a team")
    p.add_argument("--name", required=True)
    p.add_argument("--manager", help="operator id of the team's manager")
    _json(p)
    p.set_defaults(func=with_hub(cmd_team_add))
    p = team_sub.add_parser("list", help="list teams")
    _json(p)
    p.set_defaults(func=with_hub(cmd_team_list))

    routing = sub.add_parser("routing", help="the router: queue and reconciliation")
    routing_sub = routing.add_subparsers(dest="routing_command", required=True, metavar="ACTION")
    p = routing_sub.add_parser("queue", help="conversations waiting for an operator")
    p.add_argument("--limit", type=int, default=50)
    _json(p)
    p.set_defaults(func=with_hub(cmd_queue))
    p = routing_sub.add_parser("reconcile", help="rebuild Redis counters from MongoDB")
    _json(p)
    p.set_defaults(func=with_hub(cmd_reconcile))
