"""Opening the log for the tool: refuse missing or foreign files with one clear sentence, open the
store read-only, and turn `--at` into a position.

Every store the tool opens goes through `open_log` (`readonly=True`), and the plain-sqlite3 paths
(`stats`, `restore`'s copy, `backup`) open the source with `mode=ro`: no subcommand can write it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from app.replaytool.errors import ToolError
from app.replaytool.points import LogPoint
from app.replaytool.sqlitefile import check_source_file
from app.replaytool.wiring import app_registry
from eventstore import EventRegistry, EventStore, EventStoreError, NotAnEventStore, VerifyResult


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """`VerifyResult` plus the wording the CLI and the bot show for it."""

    ok: bool
    event_count: int
    bad_position: int | None
    problem: str | None

    @property
    def last_position(self) -> int:
        """Positions are gap-free from 1, so a verified log of N events ends at position N."""
        return self.event_count

    @classmethod
    def of(cls, result: VerifyResult) -> VerifyReport:
        return cls(
            ok=result.ok,
            event_count=result.count,
            bad_position=result.first_bad_position,
            problem=result.reason,
        )

    def describe(self) -> str:
        if self.ok:
            return f"verified {self.event_count} events"
        return (
            f"first bad position {self.bad_position}: {self.problem} "
            f"({self.event_count} events before it verified)"
        )


def _detail(path: Path, exc: BaseException) -> str:
    text = str(exc)
    for prefix in (f"{path}: ", f"{path.resolve()}: "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


@asynccontextmanager
async def open_log(path: Path, registry: EventRegistry | None = None) -> AsyncIterator[EventStore]:
    """The store at `path`, read-only; `ToolError` for a missing, foreign or unreadable file."""
    check_source_file(path)
    store = EventStore(
        path, registry=registry if registry is not None else app_registry(), readonly=True
    )
    try:
        await store.open()
    except FileNotFoundError:
        raise ToolError(f"{path}: no such file") from None
    except NotAnEventStore as exc:
        raise ToolError(f"{path}: not a Yulelog database ({_detail(path, exc)})") from None
    except sqlite3.DatabaseError as exc:
        raise ToolError(f"{path}: cannot read the database ({exc})") from None
    try:
        yield store
    except sqlite3.DatabaseError as exc:
        raise ToolError(f"{path}: database error while reading ({exc})") from None
    except EventStoreError as exc:
        raise ToolError(f"{path}: {exc}") from None
    finally:
        await store.close()


async def verify_database(path: Path) -> VerifyReport:
    async with open_log(path) as store:
        return VerifyReport.of(await store.verify())


async def resolve_point(store: EventStore, point: LogPoint) -> int:
    """The last position included at `point`; refuses points outside the log instead of guessing."""
    head = await store.head_position()
    if head == 0:
        raise ToolError("the log is empty: there is no point to show or restore")
    if point.position is not None:
        if point.position > head:
            raise ToolError(
                f"--at {point.position} is past the end of the log (last position is {head})"
            )
        return point.position
    assert point.time is not None
    position = await store.position_at(point.time)
    if position == 0:
        first = await anext(aiter(store.read_all(1, 1)))
        raise ToolError(
            f"--at {point.time.isoformat()} is before the first event "
            f"(recorded at {first.recorded_at.isoformat()})"
        )
    return position
