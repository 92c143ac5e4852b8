"""Field types that keep request values inside what Python and BSON can hold.

A datetime at the edge of the calendar (``9999-12-31T23:59:59-14:00``) is valid ISO 8601
but overflows when converted to UTC, and an integer of 2^63 or more does not fit in a BSON
int64: both used to reach the store and answer 500. These types refuse them at parse time,
so the client gets a 422 naming the field. (Integers are bounded per field with ``le=``.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _in_range(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value  # naive: the route decides (most refuse it with their own message)
    try:
        return value.astimezone(UTC)
    except OverflowError as e:
        raise ValueError("the date is out of range") from e


Instant = Annotated[datetime, AfterValidator(_in_range)]
"""A datetime that converts to UTC; aware ones come back in UTC."""
