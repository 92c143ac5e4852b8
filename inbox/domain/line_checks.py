"""Pure checks of a line's settings: the rules every write of a line must pass.

They live in the domain so that both sides can use them: the write path
(:mod:`inbox.services.line_rules`, shared by the REST API and the CLI) refuses bad values
with :class:`InvalidLine`, and the router (:mod:`routing.hours`) uses :func:`load_zone` to
fall back to UTC for a line stored before these checks existed.

Every refusal names the field and the reason, as ``"<field>: <reason>"``.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from inbox.domain.errors import ValidationFailed
from inbox.domain.models import BusinessHours, Line, RoutingRules

# An IANA name: letters, digits, "_", "+", "-" in "/"-separated parts; never "." or "..",
# so no path outside the zone database can be named.
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]{1,64}(/[A-Za-z0-9_+\-]{1,64}){0,3}$")
_HHMM = re.compile(r"^(\d\d):(\d\d)$")
_ISO_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
_URL_KEYS = ("api_base", "sender_avatar")
INT64_MAX = 2**63 - 1
MAX_SETTINGS = 50
MAX_KEY = 64
MAX_TEXT = 4096
MAX_DEPTH = 4
MAX_HOLIDAYS = 1000
MAX_WINDOWS = 100
DAY_S = 86400
# Upper bounds of the routing numbers: beyond them a value is a typo, and above 2^63 it
# would not even fit in a BSON integer.
ROUTING_LIMITS = {
    "sticky_minutes": 366 * 24 * 60,
    "no_reply_timeout_s": 30 * DAY_S,
    "max_hops": 100,
    "offline_grace_s": 30 * DAY_S,
}
SETTING_LIMITS = {"max_unanswered": (1, 1000)}


class InvalidLine(ValidationFailed):
    """A line setting that cannot be stored; ``field`` names it, the message says why."""

    def __init__(self, field: str, reason: str, *, code: str = "invalid_line") -> None:
        super().__init__(f"{field}: {reason}", code=code)
        self.field = field
        self.reason = reason


@lru_cache(maxsize=256)
def load_zone(name: str) -> ZoneInfo | None:
    """The zone of a safe IANA name, or None for anything else (never touches other paths)."""
    if not isinstance(name, str) or not _ZONE_NAME.match(name):
        return None
    try:
        return ZoneInfo(name)
    except Exception:  # not found, a directory, a corrupt file: all mean "not a zone"
        return None


def check_timezone(name: str, field: str = "timezone") -> str:
    if load_zone(name) is None:
        raise InvalidLine(field, f"unknown time zone {name[:80]!r}", code="bad_timezone")
    return name


def check_holiday(text: str, field: str = "business_hours.holidays") -> str:
    if not isinstance(text, str) or not _ISO_DATE.match(text):
        raise InvalidLine(field, f"not a date (YYYY-MM-DD): {str(text)[:40]!r}", code="bad_holiday")
    try:
        date.fromisoformat(text)
    except ValueError as e:
        raise InvalidLine(field, f"not a real date: {text!r}", code="bad_holiday") from e
    return text


def _minutes(hhmm: str, field: str, *, end: bool) -> int:
    match = _HHMM.match(hhmm)
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    total = hours * 60 + minutes
    if minutes > 59 or total > 24 * 60 or (total == 24 * 60 and not end):
        raise InvalidLine(field, f"not a time of day (HH:MM): {hhmm!r}", code="bad_hours")
    return total


def check_hours(hours: BusinessHours) -> BusinessHours:
    """Real times and dates; holidays come back sorted without duplicates."""
    if len(hours.windows) > MAX_WINDOWS:
        raise InvalidLine("business_hours.windows", f"at most {MAX_WINDOWS} windows")
    for i, window in enumerate(hours.windows):
        where = f"business_hours.windows.{i}"
        start = _minutes(window.start, f"{where}.start", end=False)
        stop = _minutes(window.end, f"{where}.end", end=True)
        if start == stop:
            raise InvalidLine(where, "the window is empty (start equals end)", code="bad_hours")
    if len(hours.holidays) > MAX_HOLIDAYS:
        raise InvalidLine("business_hours.holidays", f"at most {MAX_HOLIDAYS} holidays")
    for i, day in enumerate(hours.holidays):
        check_holiday(day, f"business_hours.holidays.{i}")
    return hours.model_copy(update={"holidays": tuple(sorted(set(hours.holidays)))})


def check_url(value: Any, field: str) -> None:
    text = value if isinstance(value, str) else ""
    parts = urlsplit(text) if len(text) <= 2000 and text.isprintable() else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidLine(field, "not an http(s) URL", code="bad_url")


def check_int(value: int, field: str, low: int = 0, high: int = INT64_MAX) -> None:
    if not low <= value <= high:
        raise InvalidLine(field, f"must be between {low} and {high}", code="out_of_range")


def _check_value(value: Any, field: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidLine(field, f"nested more than {MAX_DEPTH} levels", code="bad_setting")
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        check_int(value, field, -INT64_MAX - 1)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidLine(field, "not a finite number", code="bad_setting")
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InvalidLine(field, f"longer than {MAX_TEXT} characters", code="bad_setting")
    elif isinstance(value, list):
        for i, item in enumerate(value[: MAX_SETTINGS + 1]):
            _check_value(item, f"{field}.{i}", depth + 1)
        if len(value) > MAX_SETTINGS:
            raise InvalidLine(field, f"at most {MAX_SETTINGS} items", code="bad_setting")
    elif isinstance(value, dict):
        _check_keys(value, field, depth + 1)
    else:
        raise InvalidLine(field, "not a JSON value", code="bad_setting")


def _check_keys(settings: dict[str, Any], where: str, depth: int) -> None:
    if len(settings) > MAX_SETTINGS:
        raise InvalidLine(where, f"at most {MAX_SETTINGS} keys", code="bad_setting")
    for key, value in settings.items():
        shown = str(key)[:MAX_KEY]
        field = f"{where}.{shown}"
        if not isinstance(key, str) or not key or len(key) > MAX_KEY:
            raise InvalidLine(field, f"a key has 1 to {MAX_KEY} characters", code="bad_setting")
        if key.startswith("$") or "." in key or not key.isprintable():
            raise InvalidLine(
                field, "a key may not start with '$' or contain '.'", code="bad_setting"
            )
        _check_value(value, field, depth)


def check_settings(settings: dict[str, Any]) -> None:
    """Keys MongoDB can store as given, bounded values, real URLs and numbers in range."""
    _check_keys(settings, "settings", 1)
    for key, value in settings.items():
        if value in (None, ""):
            continue
        if key.endswith("_url") or key in _URL_KEYS:
            check_url(value, f"settings.{key}")
        if key in SETTING_LIMITS:
            low, high = SETTING_LIMITS[key]
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidLine(f"settings.{key}", "must be a whole number", code="bad_setting")
            check_int(value, f"settings.{key}", low, high)


def check_routing(rules: RoutingRules) -> None:
    for name, high in ROUTING_LIMITS.items():
        value = getattr(rules, name)
        if value is not None:
            check_int(value, f"routing.{name}", 0, high)


def check_line(line: Line) -> Line:
    """Every rule that needs nothing but the line itself; returns the line normalised."""
    check_timezone(line.timezone)
    check_settings(line.settings)
    _check_keys(dict.fromkeys(line.credentials, ""), "credentials", 1)  # names only
    check_routing(line.routing)
    check_int(line.reopen_window_s, "reopen_window_s", 0, 366 * DAY_S)
    if line.welcome_text is not None and len(line.welcome_text) > MAX_TEXT:
        raise InvalidLine("welcome_text", f"longer than {MAX_TEXT} characters")
    hours = check_hours(line.business_hours)
    return (
        line if hours == line.business_hours else line.model_copy(update={"business_hours": hours})
    )
