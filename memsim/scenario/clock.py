"""Clock time: a scenario's ``start:`` and the clock times that ``at:`` then accepts.

Simulated time is seconds from the start of the run. A scenario may also say when that start
is on the wall clock (``start: 2026-12-02T08:00``); then the times of events and phases may be
written as clock times, and outputs carry real timestamps (docs/model.md §7)::

    start: 2026-12-02T08:00
    events:
      - at: "09:00"              # 3600 s: a time of day, its first occurrence from start
        set: {vms.web.workload.active: 60%}
      - at: 2026-12-03T07:30     # a date-time
        set: {vms.web.workload.active: 10%}

A time of day (``HH:MM`` or ``HH:MM:SS``) means its first occurrence at or after ``start``, so
a run that goes past midnight reads naturally; a date-time names one instant and must not lie
before ``start``. Durations (``30min``) keep working. Times are wall-clock times without a
zone: a zone given is converted to UTC, which is what esxtop and vCenter exports label them.
Without ``start:`` a clock time is an error, and every output is as before.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, ValidationInfo, WithJsonSchema

from memsim.scenario.types import DURATION_SCHEMA, Duration, context_of, format_clock

__all__ = ["AT_SCHEMA", "At", "Start", "clock_seconds", "format_clock", "parse_start"]

_TIME_OF_DAY = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*$")
_DATE_TIME = re.compile(r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?")

START_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "wall-clock time of the run's start: 2026-12-02T08:00 (UTC if a zone is given)",
    "examples": ["2026-12-02T08:00"],
}
AT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        *DURATION_SCHEMA["anyOf"],
        {"type": "string", "pattern": r"^\d{1,2}:\d{2}(:\d{2})?$"},
        {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}"},
    ],
    "description": (
        'when: a duration from the start (30min), or with start: a time of day ("09:00", '
        "its first occurrence from start) or a date-time (2026-12-02T09:00)"
    ),
}


def parse_start(value: object) -> datetime:
    """Parse ``start:``: a date-time (ISO 8601, ``T`` or a space) or a date (midnight).

    Raises:
        ValueError: Not a date-time.

    Examples:
        >>> parse_start("2026-12-02T08:00")
        datetime.datetime(2026, 12, 2, 8, 0)
        >>> parse_start("2026-12-02 09:30+01:00")
        datetime.datetime(2026, 12, 2, 8, 30)
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and _DATE_TIME.match(value):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a valid date-time") from None
    else:
        raise ValueError(f"{value!r} is not a date-time: write e.g. 2026-12-02T08:00")
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def clock_seconds(value: object, start: datetime | None) -> float | None:
    """Seconds from ``start`` of a clock time; None when ``value`` is no clock time.

    Raises:
        ValueError: A clock time without ``start``, an invalid one, or one before ``start``.

    Examples:
        >>> clock_seconds("09:00", datetime(2026, 12, 2, 8, 0))
        3600.0
        >>> clock_seconds("07:00", datetime(2026, 12, 2, 8, 0))  # the next morning
        82800.0
        >>> clock_seconds("30min", datetime(2026, 12, 2, 8, 0)) is None
        True
    """
    if isinstance(value, str) and (match := _TIME_OF_DAY.match(value)):
        start = _needs_start(value, start)
        hour, minute, second = int(match[1]), int(match[2]), float(match[3] or 0)
        if hour > 23 or minute > 59 or second >= 60:
            raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59:59)")
        moment = datetime.combine(start.date(), time()) + timedelta(
            hours=hour, minutes=minute, seconds=second
        )
        if moment < start:  # its first occurrence at or after start
            moment += timedelta(days=1)
        return (moment - start).total_seconds()
    if isinstance(value, datetime | date) or (isinstance(value, str) and _DATE_TIME.match(value)):
        start = _needs_start(value, start)
        moment = parse_start(value)
        if moment < start:
            raise ValueError(f"{format_clock(moment)} is before start ({format_clock(start)})")
        return (moment - start).total_seconds()
    return None


def _needs_start(value: object, start: datetime | None) -> datetime:
    if start is None:
        raise ValueError(
            f"{value!r} is a clock time: give the scenario a start: (e.g. start: "
            "2026-12-02T08:00), or write a duration from the start (30min)"
        )
    return start


def _at(value: object, info: ValidationInfo) -> object:
    """Validator body of :data:`At`: a clock time to seconds; anything else as a duration."""
    ctx = context_of(info)
    seconds = clock_seconds(value, ctx.start if ctx is not None else None)
    return value if seconds is None else seconds


#: A time in a run: a duration from the start, or a clock time when the scenario has ``start:``.
At = Annotated[Duration, BeforeValidator(_at), WithJsonSchema(AT_SCHEMA)]
#: The wall-clock time of the run's start.
Start = Annotated[
    datetime,
    BeforeValidator(parse_start),
    PlainSerializer(format_clock, when_used="json"),
    WithJsonSchema(START_SCHEMA),
]
