"""Parsing of the `--at`, `--since` and `--until` values admins type into runbooks.

A point in the log is either a global position (an integer) or an instant (ISO-8601). Instants
without an offset are taken as UTC so a runbook line means the same thing on every admin's machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_DIGITS = re.compile(r"^\d+$")


class PointError(ValueError):
    """A `--at`/`--since`/`--until` value that is neither a position nor an ISO-8601 time."""


@dataclass(frozen=True, slots=True)
class LogPoint:
    """Exactly one of `position` and `time` is set."""

    position: int | None = None
    time: datetime | None = None

    def describe(self) -> str:
        if self.position is not None:
            return f"position {self.position}"
        assert self.time is not None
        return f"time {self.time.isoformat()}"


def parse_time(text: str) -> datetime:
    """ISO-8601 to an aware UTC datetime; a date alone means its midnight UTC; `Z` is accepted."""
    raw = text.strip()
    if not raw:
        raise PointError("empty time: expected ISO-8601 such as 2025-12-31T23:59:59Z")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise PointError(
            f"{text!r} is not an ISO-8601 time (e.g. 2025-12-31 or 2025-12-31T23:59:59+01:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_point(text: str) -> LogPoint:
    """A bare non-negative integer is a position (>= 1); anything else must be an ISO-8601 time."""
    raw = text.strip()
    if _DIGITS.match(raw):
        position = int(raw)
        if position < 1:
            raise PointError(f"position {position} is invalid: positions start at 1")
        return LogPoint(position=position)
    if raw.startswith("-") and _DIGITS.match(raw[1:]):
        raise PointError(f"position {raw} is invalid: positions start at 1")
    return LogPoint(time=parse_time(raw))
