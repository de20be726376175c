"""Given what an admin types after --at/--since/--until, the tool means one unambiguous point of the
log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.replaytool.points import LogPoint, PointError, parse_point, parse_time


def test_integer_is_a_position() -> None:
    assert parse_point("42") == LogPoint(position=42)
    assert parse_point(" 7 ") == LogPoint(position=7)


@pytest.mark.parametrize("text", ["0", "-3"])
def test_positions_start_at_one(text: str) -> None:
    with pytest.raises(PointError, match="positions start at 1"):
        parse_point(text)


def test_time_without_offset_is_utc() -> None:
    assert parse_point("2025-12-31T23:59:59") == LogPoint(
        time=datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    )


def test_date_alone_is_midnight_utc() -> None:
    assert parse_time("2025-12-31") == datetime(2025, 12, 31, tzinfo=UTC)


def test_offsets_are_converted_to_utc() -> None:
    got = parse_time("2025-12-31T01:00:00+02:00")
    assert got == datetime(2025, 12, 30, 23, 0, tzinfo=UTC)
    assert got.utcoffset() == timedelta(0)
    assert parse_time("2025-12-31T01:00:00Z") == datetime(2025, 12, 31, 1, tzinfo=UTC)
    assert parse_time("2025-06-01T00:00:00-05:00").tzinfo == UTC
    assert parse_time("2025-06-01T00:00:00-05:00") == datetime(
        2025, 6, 1, tzinfo=timezone(timedelta(hours=-5))
    )


@pytest.mark.parametrize("text", ["", "yesterday", "2025-13-01", "12:00 tomorrow", "1.5"])
def test_garbage_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(PointError, match=r"ISO-8601"):
        parse_point(text)
