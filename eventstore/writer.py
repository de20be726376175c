"""The single writer: one thread owns the write connection and group-commits everything that is
waiting.

Why a dedicated thread with stdlib sqlite3 rather than aiosqlite: aiosqlite hops threads for every
awaited statement (~100+ µs each here), so an append would pay several hops plus its own fsync.
Instead each `append` encodes its payloads on the event loop, puts one request on a queue and awaits
a future. The writer takes *everything* queued, runs one ``BEGIN IMMEDIATE`` transaction (read tail,
check idempotency and expected versions, ``executemany`` the inserts), commits with
``synchronous=FULL`` and resolves all futures with a single ``loop.call_soon_threadsafe``. So each
acknowledged append is on disk, but a hundred concurrent appenders share one fsync instead of paying
one each.

``BEGIN IMMEDIATE`` takes SQLite's write lock before the tail is read, so another process appending
to the same file cannot make us reuse a position; the cached stream versions are dropped whenever
the tail is not the one this writer last committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from eventstore.errors import ConcurrencyConflict, DuplicateEventId
from eventstore.hashing import GENESIS, canonical_bytes, chain
from eventstore.records import ExpectedVersion, RecordedEvent
from eventstore.registry import EventRegistry
from eventstore.rows import decode_rows, encode_head
from eventstore.schema import INSERT_EVENT, READ_COLUMNS, format_time

MAX_BATCH_EVENTS = 2000
_LOOKUP_CHUNK = 500


class PendingEvent(msgspec.Struct, frozen=True, array_like=True, gc=False):
    event_id: uuid.UUID
    type: str
    schema_version: int
    data: bytes
    causation_id: str | None
    correlation_id: str | None
    payload: Any


class AppendRequest:
    __slots__ = ("events", "expected", "future", "stream_id")

    def __init__(
        self,
        stream_id: str,
        expected: int | ExpectedVersion,
        events: list[PendingEvent],
        future: asyncio.Future[Any],
    ) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.events = events
        self.future = future


class SideWrite:
    """A write to the disposable tables (snapshots, checkpoints), committed with the next group."""

    __slots__ = ("future", "params", "sql")

    def __init__(self, sql: str, params: tuple[Any, ...], future: asyncio.Future[Any]) -> None:
        self.sql = sql
        self.params = params
        self.future = future


Request = AppendRequest | SideWrite
Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]
_STOP = object()


class Writer:
    def __init__(
        self,
        con: sqlite3.Connection,
        lock: threading.Lock | None,
        loop: asyncio.AbstractEventLoop,
        registry: EventRegistry,
        clock: Callable[[], datetime],
        on_commit: Callable[[int], None],
    ) -> None:
        self._con = con
        self._lock = lock
        self._loop = loop
        self._registry = registry
        self._clock = clock
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._versions: dict[str, int] = {}
        self._known_tail = -1
        self._thread = threading.Thread(target=self._run, name="eventstore-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, request: Request) -> None:
        self._queue.put(request)

    def stop(self) -> None:
        """Finish everything already queued, then end the thread (blocking: call from a worker
        thread).
        """
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            if self._lock is None:  # a file store's write connection belongs to this thread
                self._con.close()

    def _serve(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch: list[Request] = [first]  # type: ignore[list-item]
            size = len(first.events) if isinstance(first, AppendRequest) else 1
            while size < MAX_BATCH_EVENTS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                assert isinstance(item, AppendRequest | SideWrite)
                batch.append(item)
                size += len(item.events) if isinstance(item, AppendRequest) else 1
            if self._lock is None:
                outcomes, tail = self._commit(batch)
            else:
                with self._lock:
                    outcomes, tail = self._commit(batch)
            with contextlib.suppress(RuntimeError):  # loop already closed: nobody is waiting
                self._loop.call_soon_threadsafe(self._settle, outcomes, tail)

    def _settle(self, outcomes: list[Outcome], tail: int) -> None:
        for future, result, exc in outcomes:
            if future.done():
                continue
            if exc is None:
                future.set_result(result)
            else:
                future.set_exception(exc)
        if tail >= 0:
            self._on_commit(tail)

    def _commit(self, batch: list[Request]) -> tuple[list[Outcome], int]:
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            outcomes, tail = self._write(batch)
            con.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - every waiting caller must get the error, not hang
            if con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            self._versions.clear()
            self._known_tail = -1
            return [(r.future, None, exc) for r in batch], -1
        self._known_tail = tail
        return outcomes, tail

    def _write(self, batch: list[Request]) -> tuple[list[Outcome], int]:
        con = self._con
        row = con.execute(
            "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"
        ).fetchone()
        tail, prev, last_at = (0, GENESIS, "") if row is None else row
        if tail != self._known_tail:
            self._versions.clear()  # someone else wrote (another process) or first batch
        at_text = max(format_time(self._clock()), last_at)  # recorded_at never goes backwards
        at = msgspec.convert(at_text, datetime)
        appends = [r for r in batch if isinstance(r, AppendRequest)]
        existing = self._existing([e.event_id.bytes for r in appends for e in r.events])
        staged: dict[bytes, RecordedEvent] = {}
        rows: list[tuple[Any, ...]] = []
        outcomes: list[Outcome] = []
        versions = self._versions
        for req in appends:
            ids = [e.event_id.bytes for e in req.events]
            found = [existing.get(i) or staged.get(i) for i in ids]
            known = [f for f in found if f is not None]
            if known:
                if len(known) == len(ids):
                    outcomes.append((req.future, known, None))
                else:
                    err = DuplicateEventId(
                        f"{len(known)} of {len(ids)} event ids of this append are already recorded"
                    )
                    outcomes.append((req.future, None, err))
                continue
            stream = req.stream_id
            current = versions.get(stream)
            if current is None:
                current = con.execute(
                    "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?", (stream,)
                ).fetchone()[0]
            expected = req.expected
            if expected is not ExpectedVersion.ANY:
                wanted = 0 if expected is ExpectedVersion.NO_STREAM else expected
                if wanted != current:
                    conflict = ConcurrencyConflict(stream, expected, current)
                    outcomes.append((req.future, None, conflict))
                    versions[stream] = current
                    continue
            records: list[RecordedEvent] = []
            for ev in req.events:
                tail += 1
                current += 1
                id_bytes = ev.event_id.bytes
                digest = chain(
                    prev,
                    canonical_bytes(
                        tail,
                        stream,
                        current,
                        ev.type,
                        ev.schema_version,
                        id_bytes,
                        at_text,
                        ev.causation_id,
                        ev.correlation_id,
                        ev.data,
                    ),
                )
                prev = digest
                rows.append(
                    (
                        tail,
                        stream,
                        current,
                        ev.type,
                        ev.schema_version,
                        id_bytes,
                        at_text,
                        ev.causation_id,
                        ev.correlation_id,
                        ev.data,
                        digest,
                        encode_head(
                            tail,
                            stream,
                            current,
                            ev.type,
                            ev.schema_version,
                            ev.event_id,
                            at,
                            ev.causation_id,
                            ev.correlation_id,
                            digest,
                        ),
                    )
                )
                rec = RecordedEvent(
                    tail,
                    stream,
                    current,
                    ev.type,
                    ev.schema_version,
                    ev.event_id,
                    at,
                    ev.causation_id,
                    ev.correlation_id,
                    ev.data,
                    digest,
                    ev.payload,
                )
                staged[id_bytes] = rec
                records.append(rec)
            versions[stream] = current
            outcomes.append((req.future, records, None))
        if rows:
            con.executemany(INSERT_EVENT, rows)
        for side in batch:
            if isinstance(side, SideWrite):
                con.execute(side.sql, side.params)
                outcomes.append((side.future, None, None))
        return outcomes, tail

    def _existing(self, ids: list[bytes]) -> dict[bytes, RecordedEvent]:
        found: dict[bytes, RecordedEvent] = {}
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._con.execute(
                f"SELECT {READ_COLUMNS} FROM events WHERE event_id IN ({marks})", chunk
            ).fetchall()
            if rows:
                for rec in decode_rows(rows, self._registry):
                    found[rec.event_id.bytes] = rec
        return found
