"""`stats`: counts and times straight from SQLite aggregates.

The store has no API for per-type counts or for listing snapshot and checkpoint names, and folding a
million events just to count them would be slow, so this reads the documented tables with a
read-only connection inside one read transaction (one consistent view while the bot writes).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import msgspec

from app.replaytool.sqlitefile import connect_ro

_parse_time = msgspec.json.Decoder(datetime).decode


def _time(text: str | None) -> datetime | None:
    return None if text is None else _parse_time(b'"' + text.encode() + b'"')


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    name: str
    count: int
    newest_position: int
    total_bytes: int


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    name: str
    position: int
    updated_at: datetime | None


@dataclass(slots=True)
class LogStats:
    path: Path
    file_bytes: int
    wal_bytes: int
    event_count: int = 0
    head_position: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    by_type: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int, int]] = field(
        default_factory=list
    )  # (category, events, streams)
    snapshots: list[SnapshotInfo] = field(default_factory=list)
    checkpoints: list[CheckpointInfo] = field(default_factory=list)


def _category(stream_id: str) -> str:
    return stream_id.split("/", 1)[0] if "/" in stream_id else stream_id


def collect_stats(path: Path) -> LogStats:
    """Blocking; run it in a thread. The caller has already checked that `path` is a Yulelog log."""
    wal = Path(f"{path}-wal")
    stats = LogStats(
        path=path,
        file_bytes=path.stat().st_size,
        wal_bytes=wal.stat().st_size if wal.exists() else 0,
    )
    con = connect_ro(path)
    try:
        con.execute("BEGIN")
        _events(con, stats)
        _caches(con, stats)
        con.execute("COMMIT")
    finally:
        con.close()
    return stats


def _events(con: sqlite3.Connection, stats: LogStats) -> None:
    row = con.execute("SELECT count(*), max(position) FROM events").fetchone()
    stats.event_count, stats.head_position = int(row[0]), int(row[1] or 0)
    if stats.event_count:
        first = con.execute("SELECT recorded_at FROM events ORDER BY position LIMIT 1").fetchone()
        last = con.execute(
            "SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1"
        ).fetchone()
        stats.first_at, stats.last_at = _time(first[0]), _time(last[0])
    rows = con.execute("SELECT type, count(*) FROM events GROUP BY type").fetchall()
    stats.by_type = sorted(((str(t), int(n)) for t, n in rows), key=lambda r: (-r[1], r[0]))
    categories: dict[str, list[int]] = {}
    for stream_id, n in con.execute("SELECT stream_id, count(*) FROM events GROUP BY stream_id"):
        entry = categories.setdefault(_category(str(stream_id)), [0, 0])
        entry[0] += int(n)
        entry[1] += 1
    stats.by_category = sorted(
        ((c, e[0], e[1]) for c, e in categories.items()), key=lambda r: (-r[1], r[0])
    )


def _caches(con: sqlite3.Connection, stats: LogStats) -> None:
    rows = con.execute(
        "SELECT name, count(*), max(position), sum(length(data)) FROM snapshots "
        "GROUP BY name ORDER BY name"
    ).fetchall()
    stats.snapshots = [SnapshotInfo(str(n), int(c), int(p), int(b or 0)) for n, c, p, b in rows]
    rows = con.execute(
        "SELECT name, position, updated_at FROM checkpoints ORDER BY name"
    ).fetchall()
    stats.checkpoints = [CheckpointInfo(str(n), int(p), _time(u)) for n, p, u in rows]
