"""Keep one line's unusable settings from stopping routing for every other line.

Writes are validated (:mod:`inbox.services.line_rules`), but a line stored before that, or
edited in the database by hand, may still hold a time zone or hours the router cannot use.
Such a line is routed with safe defaults (UTC; hours it cannot read count as always open)
and logged with its id each time the router refreshes its list of lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import structlog
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

from inbox.domain.line_checks import load_zone
from inbox.domain.models import Line
from routing import hours

log = structlog.get_logger(__name__)

# A store that is down is not one line's problem: these propagate through the per-line and
# per-conversation isolation, so callers (the worker's job, a request) see the outage.
OUTAGE = (RedisError, PyMongoError, OSError)


def open_now(line: Line, now: datetime) -> bool:
    """Whether ``line`` takes chats at ``now``; never raises for the line's own data."""
    try:
        return hours.is_open(line.business_hours, line.timezone, now)
    except Exception:  # unreadable hours: always open beats a line nobody ever routes
        return True


def report(lines: Iterable[Line], now: datetime) -> None:
    """Log each line whose stored settings the router has to replace with defaults."""
    for line in lines:
        if load_zone(line.timezone) is None:
            log.warning(
                "line_settings_unusable",
                line_id=line.id,
                field="timezone",
                fallback="UTC",
                timezone=line.timezone[:80],
            )
        try:
            hours.is_open(line.business_hours, "UTC", now)
        except Exception:
            log.warning(
                "line_settings_unusable", line_id=line.id, field="business_hours", fallback="open"
            )
