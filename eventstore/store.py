"""`EventStore`: the async facade over one SQLite log.

Writes go to the single `Writer` thread (group commit, see writer.py). Reads run on a small thread
pool, each thread with its own connection, so a long replay never waits for the writer and the event
loop never runs SQLite. Reads page by key (position or version) with a fresh query per chunk: no
read transaction or cursor stays open across a ``yield``, so an abandoned iterator holds nothing.
Every chunk is a committed prefix of the log (positions are assigned under the write lock and commit
in order), which is why a subscriber that asks for "everything after my last position" can never
skip one.

An in-memory store (``":memory:"``) has one connection only; the writer and readers share it under a
lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import msgspec

from eventstore import backup as _backup
from eventstore.errors import NotAnEventStore, ReadOnlyStore, StoreClosed
from eventstore.ids import new_event_id
from eventstore.integrity import verify_connection
from eventstore.records import ExpectedVersion, NewEvent, RecordedEvent, VerifyResult
from eventstore.registry import EventRegistry
from eventstore.rows import decode_rows
from eventstore.schema import (
    MEMORY,
    READ_COLUMNS,
    check_format,
    connect,
    format_time,
    initialise,
    utcnow,
)
from eventstore.writer import AppendRequest, PendingEvent, SideWrite, Writer

T = TypeVar("T")
READ_CHUNK = 1000
_NO_LIMIT = 2**62

_SELECT_ALL = (
    f"SELECT {READ_COLUMNS} FROM events WHERE position > ? AND position <= ? "
    "ORDER BY position LIMIT ?"
)
_SELECT_STREAM = (
    f"SELECT {READ_COLUMNS} FROM events WHERE stream_id = ? AND version > ? "
    "ORDER BY version LIMIT ?"
)


class EventStore:
    """An append-only, hash-chained event log in one SQLite file (or in memory, for tests)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        registry: EventRegistry | None = None,
        *,
        readonly: bool = False,
        clock: Callable[[], datetime] | None = None,
        read_chunk: int = READ_CHUNK,
        read_threads: int = 2,
    ) -> None:
        self._path = os.fspath(path)
        if readonly and self._path == MEMORY:
            raise ValueError("an in-memory store cannot be opened read-only")
        self._registry = registry if registry is not None else EventRegistry()
        self._readonly = readonly
        self._clock = clock if clock is not None else utcnow
        self._read_chunk = read_chunk
        self._read_threads = read_threads
        self._writer: Writer | None = None
        self._shared: sqlite3.Connection | None = None  # the only connection of a :memory: store
        self._shared_lock: threading.Lock | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._read_cons: list[sqlite3.Connection] = []
        self._cons_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open = False
        self._closed = False
        self._folds: set[asyncio.Future[int]] = set()  # replays running on the default executor
        self._committed = asyncio.Event()  # replaced (after being set) on every commit

    # ------------------------------------------------------------------ lifecycle

    @property
    def path(self) -> str:
        return self._path

    @property
    def registry(self) -> EventRegistry:
        return self._registry

    @property
    def readonly(self) -> bool:
        return self._readonly

    @property
    def is_open(self) -> bool:
        return self._open and not self._closed

    async def open(self) -> Self:
        if self._open:
            raise RuntimeError("EventStore.open() called twice")
        self._loop = asyncio.get_running_loop()
        self._committed = asyncio.Event()
        if self._path == MEMORY:
            self._shared = connect(MEMORY, readonly=False)
            self._shared_lock = threading.Lock()
            initialise(self._shared, MEMORY)
            write_con: sqlite3.Connection | None = self._shared
        elif self._readonly:
            if not await asyncio.to_thread(os.path.exists, self._path):
                raise FileNotFoundError(self._path)
            write_con = None
        else:
            write_con = await asyncio.to_thread(self._open_write_connection)
        self._executor = ThreadPoolExecutor(
            max_workers=self._read_threads, thread_name_prefix="eventstore-read"
        )
        self._open = True
        try:
            await self._read(self._check_format)
        except BaseException:
            await self.close()
            if write_con is not None and self._shared is None:
                write_con.close()
            raise
        if write_con is not None:
            self._writer = Writer(
                write_con,
                self._shared_lock,
                self._loop,
                self._registry,
                self._clock,
                self._on_commit,
            )
            self._writer.start()
        return self

    def _open_write_connection(self) -> sqlite3.Connection:
        con = connect(self._path, readonly=False)
        try:
            initialise(con, self._path)
        except BaseException:
            con.close()
            raise
        return con

    def _check_format(self, con: sqlite3.Connection) -> None:
        if not check_format(con, self._path):
            raise NotAnEventStore(f"{self._path}: empty database, not an event store")

    async def close(self) -> None:
        if self._closed or not self._open:
            self._closed = True
            return
        self._closed = True
        self._wake_subscribers()
        if self._executor is not None:
            await asyncio.to_thread(self._executor.shutdown, True)
        # Replays run outside the read pool; each stops at its next chunk (StoreClosed) and must be
        # done with its thread's connection before the connections below are closed, or a replay
        # racing close() would leave one open (and the WAL file behind).
        if self._folds:
            await asyncio.wait(set(self._folds))
        with self._cons_lock:
            # Read-only connections close first: the last connection to close checkpoints the WAL
            # into the main file and removes it, which only the writer's connection can do.
            for con in self._read_cons:
                con.close()
            self._read_cons.clear()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.stop)  # commits whatever is still queued
            await asyncio.sleep(0)  # let the writer's last settle callback run
        if self._shared is not None:
            self._shared.close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _on_commit(self, tail: int) -> None:
        self._wake_subscribers()

    def _wake_subscribers(self) -> None:
        fired = self._committed
        self._committed = asyncio.Event()
        fired.set()

    # ------------------------------------------------------------------ plumbing

    def _connection(self) -> sqlite3.Connection:
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            if self._closed:
                raise StoreClosed(f"event store {self._path} was closed")
            con = connect(self._path, readonly=True)
            self._local.con = con
            with self._cons_lock:
                self._read_cons.append(con)
        return con

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._shared is not None:
            assert self._shared_lock is not None
            with self._shared_lock:
                return fn(self._shared)
        return fn(self._connection())

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if not self._open or self._closed or self._executor is None:
            raise StoreClosed(f"event store {self._path} is not open")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, self._call, fn)
        except RuntimeError as exc:  # executor shut down by a concurrent close()
            if self._closed:
                raise StoreClosed(f"event store {self._path} was closed") from exc
            raise

    def _submit(self, request: AppendRequest | SideWrite) -> None:
        if self._readonly:
            raise ReadOnlyStore(f"event store {self._path} is open read-only")
        if not self._open or self._closed or self._writer is None:
            raise StoreClosed(f"event store {self._path} is not open")
        self._writer.submit(request)

    @staticmethod
    def _head_of(con: sqlite3.Connection) -> int:
        row = con.execute("SELECT max(position) FROM events").fetchone()
        return int(row[0] or 0)

    # ------------------------------------------------------------------ writes

    async def append(
        self,
        stream_id: str,
        events: Sequence[msgspec.Struct | NewEvent],
        *,
        expected_version: int | ExpectedVersion,
        causation_id: str | None = None,
        correlation_id: str | None = None,
    ) -> list[RecordedEvent]:
        """Append atomically and durably; returns the records.

        If every event id was already recorded, returns the original records and writes nothing.

        Raises `ConcurrencyConflict` when ``expected_version`` (an exact version, `NO_STREAM` = 0,
        or `ANY`) does not match the stream. The result is only returned after the commit is
        durable.
        """
        if not isinstance(expected_version, ExpectedVersion) and (
            not isinstance(expected_version, int) or expected_version < 0
        ):
            raise ValueError(
                f"expected_version must be >= 0, NO_STREAM or ANY: {expected_version!r}"
            )
        if not events:
            raise ValueError("append needs at least one event")
        if not stream_id:
            raise ValueError("stream_id must be a non-empty string")
        encode = self._registry.encode
        pending: list[PendingEvent] = []
        check_ids = False  # only caller-chosen ids can already be recorded
        for item in events:
            caus, corr = causation_id, correlation_id
            if isinstance(item, NewEvent):
                payload = item.payload
                if item.causation_id is not None:
                    caus = item.causation_id
                if item.correlation_id is not None:
                    corr = item.correlation_id
                if item.event_id is not None:
                    event_id, id_bytes = item.event_id, item.event_id.bytes
                    check_ids = True
                else:
                    event_id, id_bytes = new_event_id()
            else:
                payload = item
                event_id, id_bytes = new_event_id()
            name, version, data = encode(payload)
            pending.append(
                PendingEvent(event_id, id_bytes, name, version, data, caus, corr, payload)
            )
        if check_ids and len({p.id_bytes for p in pending}) != len(pending):
            raise ValueError("the same event_id appears twice in one append")
        loop = asyncio.get_running_loop()
        if self._loop is not None and loop is not self._loop:  # the writer settles on its own loop
            raise RuntimeError(
                "EventStore used from an event loop other than the one it was opened on"
            )
        future: asyncio.Future[list[RecordedEvent]] = loop.create_future()
        self._submit(AppendRequest(stream_id, expected_version, pending, future, check_ids))
        return await future

    async def _side_write(self, sql: str, params: tuple[Any, ...]) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not None and loop is not self._loop:
            raise RuntimeError(
                "EventStore used from an event loop other than the one it was opened on"
            )
        future: asyncio.Future[None] = loop.create_future()
        self._submit(SideWrite(sql, params, future))
        await future

    # ------------------------------------------------------------------ reads

    async def head_position(self) -> int:
        """The position of the last committed event (0 for an empty log)."""
        return await self._read(self._head_of)

    async def stream_version(self, stream_id: str) -> int:
        def q(con: sqlite3.Connection) -> int:
            row = con.execute(
                "SELECT max(version) FROM events WHERE stream_id = ?", (stream_id,)
            ).fetchone()
            return int(row[0] or 0)

        return await self._read(q)

    async def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None:
        def q(con: sqlite3.Connection) -> RecordedEvent | None:
            rows = con.execute(
                f"SELECT {READ_COLUMNS} FROM events WHERE event_id = ?", (event_id.bytes,)
            ).fetchall()
            return decode_rows(rows, self._registry)[0] if rows else None

        return await self._read(q)

    def _chunk_after(
        self, after: int, until: int, limit: int
    ) -> Callable[..., list[RecordedEvent]]:
        registry = self._registry

        def q(con: sqlite3.Connection) -> list[RecordedEvent]:
            rows = con.execute(_SELECT_ALL, (after, until, limit)).fetchall()
            return decode_rows(rows, registry) if rows else []

        return q

    async def read_stream(
        self, stream_id: str, from_version: int = 0
    ) -> AsyncIterator[RecordedEvent]:
        """Events of one stream with version >= ``from_version``, in version order."""
        after = max(from_version, 1) - 1
        limit = self._read_chunk
        registry = self._registry
        while True:

            def q(con: sqlite3.Connection, after: int = after) -> list[RecordedEvent]:
                rows = con.execute(_SELECT_STREAM, (stream_id, after, limit)).fetchall()
                return decode_rows(rows, registry) if rows else []

            chunk = await self._read(q)
            for rec in chunk:
                yield rec
            if len(chunk) < limit:
                return
            after = chunk[-1].version

    async def position_at(self, moment: datetime) -> int:
        """The last position recorded at or before ``moment`` (0 if none).

        A binary search over positions: valid because recorded_at never decreases along the log.
        """
        text = format_time(moment)

        def q(con: sqlite3.Connection) -> int:
            lo, hi = 0, self._head_of(con)  # invariant: answer in [lo, hi]
            while lo < hi:
                mid = (lo + hi + 1) // 2
                row = con.execute(
                    "SELECT recorded_at FROM events WHERE position >= ? ORDER BY position LIMIT 1",
                    (mid,),
                ).fetchone()
                if row is not None and row[0] <= text:
                    lo = mid
                else:
                    hi = mid - 1
            return lo

        return await self._read(q)

    async def fold_batches(
        self,
        consume: Callable[[list[RecordedEvent]], None],
        from_position: int = 0,
        until_position: int | None = None,
        *,
        batch_size: int | None = None,
    ) -> int:
        """Feed each chunk of a range of the log to ``consume`` on a worker thread; returns a count.

        This is the replay path (`rebuild`, `state_at`): fetching, decoding and folding stay on one
        thread, with no hand-over per chunk and no contention with the event loop for the GIL, which
        measured markedly faster than iterating `read_all_batches` on the loop. ``consume`` must not
        touch loop-bound objects.
        """
        until = _NO_LIMIT if until_position is None else until_position
        limit = batch_size or self._read_chunk
        after = max(from_position, 1) - 1

        def work() -> int:
            seen = 0
            last = after
            while last < until:
                if self._closed:
                    raise StoreClosed(f"event store {self._path} was closed during a replay")
                chunk = self._call(self._chunk_after(last, until, limit))
                if not chunk:
                    break
                consume(chunk)
                seen += len(chunk)
                last = chunk[-1].position
                if len(chunk) < limit:
                    break
            return seen

        if not self._open or self._closed or self._executor is None:
            raise StoreClosed(f"event store {self._path} is not open")
        # The loop's default executor, not the read pool: a long replay must not take a read
        # thread away from subscribers and ordinary reads. The thread gets its own connection.
        fold = asyncio.get_running_loop().run_in_executor(None, work)
        self._folds.add(fold)
        fold.add_done_callback(self._folds.discard)
        return await fold

    async def read_all_batches(
        self,
        from_position: int = 0,
        until_position: int | None = None,
        until_time: datetime | None = None,
        *,
        batch_size: int | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        """Like `read_all`, in lists; the next chunk is read while the caller handles this one."""
        until = _NO_LIMIT if until_position is None else until_position
        if until_time is not None:
            until = min(until, await self.position_at(until_time))
        limit = batch_size or self._read_chunk
        after = max(from_position, 1) - 1
        if after >= until:
            return
        nxt: asyncio.Future[list[RecordedEvent]] | None = asyncio.ensure_future(
            self._read(self._chunk_after(after, until, limit))
        )
        try:
            while nxt is not None:
                chunk = await nxt
                nxt = None
                if not chunk:
                    return
                last = chunk[-1].position
                if len(chunk) == limit and last < until:
                    nxt = asyncio.ensure_future(self._read(self._chunk_after(last, until, limit)))
                yield chunk
        finally:
            if nxt is not None:
                nxt.cancel()
                with contextlib.suppress(BaseException):
                    await nxt

    async def read_all(
        self,
        from_position: int = 0,
        until_position: int | None = None,
        until_time: datetime | None = None,
    ) -> AsyncIterator[RecordedEvent]:
        """Events with from_position <= position <= until_position, in position order.

        ``until_time`` also stops at the last event recorded at or before that instant.
        """
        async for chunk in self.read_all_batches(from_position, until_position, until_time):
            for rec in chunk:
                yield rec

    async def subscribe_batches(
        self,
        from_position: int = 0,
        *,
        poll_interval: float = 1.0,
        batch_size: int | None = None,
    ) -> AsyncIterator[list[RecordedEvent]]:
        """Catch up from ``from_position`` (inclusive), then follow commits live; ends when the
        store closes.

        Commits of this store wake the subscriber at once; commits by another process are picked up
        by polling every ``poll_interval`` seconds.
        """
        after = max(from_position, 1) - 1
        limit = batch_size or self._read_chunk
        while not self._closed:
            signal = self._committed  # taken before reading, so a commit in between is not missed
            try:
                chunk = await self._read(self._chunk_after(after, _NO_LIMIT, limit))
            except StoreClosed:
                return
            if chunk:
                after = chunk[-1].position
                yield chunk
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), poll_interval)

    async def subscribe(
        self, from_position: int = 0, *, poll_interval: float = 1.0
    ) -> AsyncIterator[RecordedEvent]:
        """Every event from ``from_position`` on, exactly once, in position order, then live."""
        async for chunk in self.subscribe_batches(from_position, poll_interval=poll_interval):
            for rec in chunk:
                yield rec

    # ------------------------------------------------------------------ integrity and copies

    async def verify(self) -> VerifyResult:
        """Recompute the hash chain; see `VerifyResult` for where and why it first breaks."""
        return await self._read(verify_connection)

    async def backup(self, out_path: str | os.PathLike[str]) -> VerifyResult:
        """Online backup to a new file while appends continue; raises `BackupError` if it does not
        verify.
        """
        out = os.fspath(out_path)
        return await self._read(lambda con: _backup.backup_to(con, out))

    async def copy_until(
        self, out_path: str | os.PathLike[str], until_position: int
    ) -> VerifyResult:
        """Write a new, verified store holding exactly events 1..until_position."""
        out = os.fspath(out_path)
        return await self._read(lambda con: _backup.copy_prefix(con, out, until_position))

    # ------------------------------------------------------------------ snapshots and checkpoints

    async def save_snapshot(self, name: str, position: int, data: bytes) -> None:
        """Store a read model's encoded state *after applying exactly the events up to position*."""
        await self._side_write(
            "INSERT OR REPLACE INTO snapshots (name, position, data, created_at) "
            "VALUES (?, ?, ?, ?)",
            (name, position, data, format_time(utcnow())),
        )

    async def load_snapshot(
        self, name: str, *, at_or_before: int | None = None
    ) -> tuple[int, bytes] | None:
        """The newest snapshot of ``name`` at or before a position, as (position, data)."""
        limit = _NO_LIMIT if at_or_before is None else at_or_before

        def q(con: sqlite3.Connection) -> tuple[int, bytes] | None:
            row = con.execute(
                "SELECT position, data FROM snapshots WHERE name = ? AND position <= ? "
                "ORDER BY position DESC LIMIT 1",
                (name, limit),
            ).fetchone()
            return None if row is None else (int(row[0]), bytes(row[1]))

        return await self._read(q)

    async def snapshot_positions(self, name: str) -> list[int]:
        def q(con: sqlite3.Connection) -> list[int]:
            rows = con.execute(
                "SELECT position FROM snapshots WHERE name = ? ORDER BY position", (name,)
            )
            return [int(r[0]) for r in rows]

        return await self._read(q)

    async def delete_snapshots(self, name: str | None = None) -> None:
        """Drop cached snapshots (all, or one read model's); only start-up and restore speed
        changes.
        """
        if name is None:
            await self._side_write("DELETE FROM snapshots", ())
        else:
            await self._side_write("DELETE FROM snapshots WHERE name = ?", (name,))

    async def save_checkpoint(self, name: str, position: int) -> None:
        await self._side_write(
            "INSERT INTO checkpoints (name, position, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
            "updated_at = excluded.updated_at",
            (name, position, format_time(utcnow())),
        )

    async def load_checkpoint(self, name: str) -> int | None:
        def q(con: sqlite3.Connection) -> int | None:
            row = con.execute("SELECT position FROM checkpoints WHERE name = ?", (name,)).fetchone()
            return None if row is None else int(row[0])

        return await self._read(q)
