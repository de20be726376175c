"""Appends, optimistic concurrency, idempotency, reads and the file format guard."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from eventstore import (
    ANY,
    NO_STREAM,
    ConcurrencyConflict,
    DuplicateEventId,
    EventRegistry,
    EventStore,
    NewEvent,
    NotAnEventStore,
    ReadOnlyStore,
    RecordedEvent,
    StoreClosed,
    UnknownEventType,
)
from tests.eventstore.conftest import (
    Deposited,
    StepClock,
    Unregistered,
    Withdrawn,
    collect,
    dep,
    make_registry,
)


async def test_append_returns_records_with_positions_versions_and_metadata(
    store: EventStore,
) -> None:
    eid = uuid.uuid4()
    recs = await store.append(
        "acct/a",
        [
            NewEvent(dep(amount=5), event_id=eid, causation_id="cmd-1"),
            Withdrawn(account="a", amount=2),
        ],
        expected_version=NO_STREAM,
        correlation_id="interaction-9",
    )
    assert [(r.position, r.version) for r in recs] == [(1, 1), (2, 2)]
    first, second = recs
    assert first.event_id == eid
    assert first.causation_id == "cmd-1"
    assert second.causation_id is None
    assert first.correlation_id == second.correlation_id == "interaction-9"
    assert first.type == "bank.Deposited"
    assert first.schema_version == 1
    assert first.data == b'{"account":"a","amount":5}'
    assert first.event == dep(amount=5)
    assert first.recorded_at.tzinfo is not None
    assert first.recorded_at.utcoffset() == timedelta(0)
    assert len(first.hash) == 32
    assert first.hash != second.hash
    assert await store.stream_version("acct/a") == 2
    assert await store.stream_version("nope") == 0
    assert await store.head_position() == 2
    assert await collect(store.read_stream("acct/a")) == recs
    assert await collect(store.read_all()) == recs
    assert await store.get_event(eid) == first
    assert await store.get_event(uuid.uuid4()) is None


async def test_expected_versions(store: EventStore) -> None:
    await store.append("s", [dep()], expected_version=NO_STREAM)
    with pytest.raises(ConcurrencyConflict) as info:
        await store.append("s", [dep()], expected_version=NO_STREAM)
    assert info.value.actual_version == 1
    assert info.value.stream_id == "s"
    assert info.value.expected_version is NO_STREAM
    with pytest.raises(ConcurrencyConflict) as info:
        await store.append("s", [dep()], expected_version=3)
    assert info.value.actual_version == 1
    with pytest.raises(ConcurrencyConflict):
        await store.append("t", [dep()], expected_version=1)
    recs = await store.append("s", [dep()], expected_version=1)
    assert recs[0].version == 2
    recs = await store.append("s", [dep(), dep()], expected_version=ANY)
    assert [r.version for r in recs] == [3, 4]
    recs = await store.append("u", [dep()], expected_version=0)
    assert recs[0].version == 1
    assert await store.head_position() == 5


async def test_idempotent_append_returns_originals_and_writes_nothing(store: EventStore) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    original = await store.append(
        "s", [NewEvent(dep(amount=i), event_id=e) for i, e in enumerate(ids)], expected_version=0
    )
    await store.append("s", [dep()], expected_version=2)
    again = await store.append(
        "s", [NewEvent(dep(amount=i), event_id=e) for i, e in enumerate(ids)], expected_version=0
    )
    assert again == original
    assert await store.head_position() == 3
    with pytest.raises(DuplicateEventId):
        await store.append("s", [NewEvent(dep(), event_id=ids[0]), dep()], expected_version=ANY)
    assert await store.head_position() == 3


async def test_concurrent_retries_of_one_event_id_record_it_once(store: EventStore) -> None:
    eid = uuid.uuid4()
    results = await asyncio.gather(
        *(
            store.append("s", [NewEvent(dep(), event_id=eid)], expected_version=ANY)
            for _ in range(20)
        )
    )
    assert {r[0].position for r in results} == {1}
    assert await store.head_position() == 1


async def test_invalid_appends_are_refused_before_writing(store: EventStore) -> None:
    with pytest.raises(UnknownEventType):
        await store.append("s", [Unregistered(note="x")], expected_version=ANY)
    with pytest.raises(ValueError, match="at least one"):
        await store.append("s", [], expected_version=ANY)
    with pytest.raises(ValueError, match="expected_version"):
        await store.append("s", [dep()], expected_version=-1)
    eid = uuid.uuid4()
    with pytest.raises(ValueError, match="twice"):
        await store.append(
            "s",
            [NewEvent(dep(), event_id=eid), NewEvent(dep(), event_id=eid)],
            expected_version=ANY,
        )
    assert await store.head_position() == 0


async def test_200_concurrent_appends_to_one_stream_one_winner_per_version(
    store: EventStore,
) -> None:
    """All expect a version in 0..9 at once: at most one wins per version, the rest conflict."""
    expected = [i // 20 for i in range(200)]

    async def attempt(v: int) -> tuple[int, int | None]:
        try:
            recs = await store.append("hot", [dep()], expected_version=v)
        except ConcurrencyConflict as exc:
            assert exc.actual_version != v  # noqa: PT017 - many concurrent outcomes, not one raise
            return v, None
        return v, recs[0].version

    outcomes = await asyncio.gather(*(attempt(v) for v in expected))
    winners = [(v, got) for v, got in outcomes if got is not None]
    assert len(winners) == len({v for v, _ in winners})  # one winner per version
    assert all(got == v + 1 for v, got in winners)
    assert sorted(v for v, _ in winners) == list(range(len(winners)))
    assert await store.stream_version("hot") == len(winners)
    assert len(outcomes) - len(winners) == 200 - len(winners)


async def test_200_concurrent_writers_retrying_get_every_version_exactly_once(
    store: EventStore,
) -> None:
    conflicts = 0

    async def writer(i: int) -> int:
        nonlocal conflicts
        for _ in range(1000):
            v = await store.stream_version("hot")
            try:
                recs = await store.append("hot", [dep(account=str(i))], expected_version=v)
            except ConcurrencyConflict:
                conflicts += 1
                continue
            assert recs[0].version == v + 1
            return recs[0].version
        raise AssertionError("writer never won")

    won = await asyncio.gather(*(writer(i) for i in range(200)))
    assert sorted(won) == list(range(1, 201))
    assert conflicts > 0
    recs = await collect(store.read_stream("hot"))
    assert [r.version for r in recs] == list(range(1, 201))
    assert sorted(int(r.event.account) for r in recs) == list(range(200))


async def test_1000_concurrent_appends_to_distinct_streams_are_gap_free(store: EventStore) -> None:
    results = await asyncio.gather(
        *(
            store.append(f"s/{i}", [dep(account=str(i))], expected_version=NO_STREAM)
            for i in range(1000)
        )
    )
    positions = sorted(r[0].position for r in results)
    assert positions == list(range(1, 1001))
    recs = await collect(store.read_all())
    assert [r.position for r in recs] == list(range(1, 1001))
    assert {r.stream_id for r in recs} == {f"s/{i}" for i in range(1000)}
    assert (await store.verify()).ok


async def test_read_bounds(store: EventStore) -> None:
    for i in range(30):
        await store.append(f"s{i % 3}", [dep(amount=i)], expected_version=ANY)
    assert [r.position for r in await collect(store.read_all(10, 12))] == [10, 11, 12]
    assert [r.position for r in await collect(store.read_all(29))] == [29, 30]
    assert await collect(store.read_all(31)) == []
    assert [r.version for r in await collect(store.read_stream("s1", 8))] == [8, 9, 10]
    assert await collect(store.read_stream("s1", 11)) == []


async def test_reads_page_through_many_chunks(tmp_path: Path, registry: EventRegistry) -> None:
    async with EventStore(str(tmp_path / "e.db"), registry, read_chunk=7) as s:
        await s.append("x", [dep(amount=i) for i in range(50)], expected_version=NO_STREAM)
        await s.append("y", [dep(amount=i) for i in range(20)], expected_version=NO_STREAM)
        assert [r.position for r in await collect(s.read_all())] == list(range(1, 71))
        assert [r.event.amount for r in await collect(s.read_stream("x"))] == list(range(50))
        assert [r.position for r in await collect(s.read_all(5, 33))] == list(range(5, 34))
        partial = await collect(s.read_all(), limit=10)  # abandoned iterator holds nothing
        assert len(partial) == 10
        assert (await s.verify()).count == 70


async def test_injected_clock_and_until_time(tmp_path: Path, registry: EventRegistry) -> None:
    clock = StepClock()
    async with EventStore(str(tmp_path / "e.db"), registry, clock=clock) as s:
        for i in range(10):
            await s.append("s", [dep(amount=i)], expected_version=i)
        recs = await collect(s.read_all())
        assert [r.recorded_at for r in recs] == [
            datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=i) for i in range(10)
        ]
        cutoff = datetime(2026, 12, 1, 0, 0, 4, tzinfo=UTC)
        assert [r.position for r in await collect(s.read_all(until_time=cutoff))] == [1, 2, 3, 4, 5]
        assert await s.position_at(cutoff) == 5
        assert await s.position_at(datetime(2020, 1, 1, tzinfo=UTC)) == 0


async def test_recorded_at_never_goes_backwards(tmp_path: Path, registry: EventRegistry) -> None:
    times = iter(
        [datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)]  # clock jumps back
    )
    async with EventStore(str(tmp_path / "e.db"), registry, clock=lambda: next(times)) as s:
        a = await s.append("s", [dep()], expected_version=0)
        b = await s.append("s", [dep()], expected_version=1)
    assert b[0].recorded_at == a[0].recorded_at


async def test_naive_clock_is_refused(tmp_path: Path, registry: EventRegistry) -> None:
    naive = datetime(2026, 12, 1)  # noqa: DTZ001 - the point of the test
    async with EventStore(str(tmp_path / "e.db"), registry, clock=lambda: naive) as s:
        with pytest.raises(ValueError, match="timezone-aware"):
            await s.append("s", [dep()], expected_version=ANY)
        assert await s.head_position() == 0


async def test_unregistered_types_read_back_with_event_none(tmp_path: Path) -> None:
    path = str(tmp_path / "e.db")
    async with EventStore(path, make_registry()) as s:
        await s.append("s", [dep()], expected_version=ANY)
    async with EventStore(path, EventRegistry()) as s:
        (rec,) = await collect(s.read_all())
    assert rec.event is None
    assert rec.type == "bank.Deposited"
    assert rec.data == b'{"account":"a","amount":1}'


async def test_reopen_continues_positions_and_chain(db_path: str, registry: EventRegistry) -> None:
    async with EventStore(db_path, registry) as s:
        await s.append("s", [dep()], expected_version=NO_STREAM)
    async with EventStore(db_path, registry) as s:
        recs = await s.append("s", [dep()], expected_version=1)
        assert recs[0].position == 2
        assert (await s.verify()).ok


async def test_two_stores_on_one_file_never_reuse_positions(
    db_path: str, registry: EventRegistry
) -> None:
    """Two writers (as two processes would have) share the file through BEGIN IMMEDIATE."""
    async with EventStore(db_path, registry) as a, EventStore(db_path, registry) as b:

        async def burst(s: EventStore, name: str) -> None:
            for i in range(100):
                await s.append(name, [dep(), dep()], expected_version=2 * i)

        await asyncio.gather(burst(a, "from-a"), burst(b, "from-b"), burst(a, "a2"), burst(b, "b2"))
        # b's cached version of a stream must not survive a's writes
        await a.append("shared", [dep()], expected_version=NO_STREAM)
        with pytest.raises(ConcurrencyConflict):
            await b.append("shared", [dep()], expected_version=NO_STREAM)
        await b.append("shared", [dep()], expected_version=1)
        await a.append("shared", [dep()], expected_version=2)
        recs = await collect(a.read_all())
        assert [r.position for r in recs] == list(range(1, 804))
        assert (await b.verify()).ok


async def test_readonly_store_reads_but_never_writes(db_path: str, registry: EventRegistry) -> None:
    async with EventStore(db_path, registry) as w:
        await w.append("s", [dep()], expected_version=ANY)
        async with EventStore(db_path, registry, readonly=True) as r:
            assert [x.position for x in await collect(r.read_all())] == [1]
            with pytest.raises(ReadOnlyStore):
                await r.append("s", [dep()], expected_version=ANY)
            with pytest.raises(ReadOnlyStore):
                await r.save_snapshot("x", 1, b"")
            await w.append("s", [dep()], expected_version=ANY)
            assert await r.head_position() == 2
            assert (await r.verify()).ok
    async with EventStore(db_path, registry, readonly=True) as r:  # writer gone, WAL checkpointed
        assert await r.head_position() == 2


async def test_refuses_foreign_or_missing_databases(
    tmp_path: Path, registry: EventRegistry
) -> None:
    foreign = tmp_path / "other.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE users (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(NotAnEventStore, match="not a Yulelog event store"):
        async with EventStore(str(foreign), registry):
            pass
    con = sqlite3.connect(foreign)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # left untouched
    con.close()
    text = tmp_path / "notes.db"
    text.write_text("hello, this is not sqlite at all" * 10)
    with pytest.raises(NotAnEventStore):
        async with EventStore(str(text), registry):
            pass
    with pytest.raises(FileNotFoundError):
        async with EventStore(str(tmp_path / "missing.db"), registry, readonly=True):
            pass
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(NotAnEventStore):
        async with EventStore(str(empty), registry, readonly=True):
            pass


async def test_closed_store_refuses_work(registry: EventRegistry) -> None:
    s = EventStore(":memory:", registry)
    with pytest.raises(StoreClosed):
        await s.append("s", [dep()], expected_version=ANY)
    await s.open()
    await s.close()
    with pytest.raises(StoreClosed):
        await s.append("s", [dep()], expected_version=ANY)
    with pytest.raises(StoreClosed):
        await s.head_position()


async def test_append_does_not_block_the_event_loop(
    tmp_path: Path, registry: EventRegistry
) -> None:
    """While a large append commits, other coroutines keep running (the writer is a thread)."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    async with EventStore(str(tmp_path / "e.db"), registry) as s:
        t = asyncio.create_task(ticker())
        await s.append(
            "big",
            [Deposited(account="x" * 100, amount=i) for i in range(5000)],
            expected_version=ANY,
        )
        stop.set()
        await t
    assert ticks > 1


async def test_close_during_a_replay_stops_it_and_leaves_no_connection_open(
    tmp_path: Path, registry: EventRegistry
) -> None:
    """A replay runs on its own thread with its own connection; close() must wait for it to stop
    at its next chunk and then close that connection too. SQLite removes the WAL file only when
    the last connection closes, so a leaked one would leave `-wal` behind."""
    path = tmp_path / "replay.db"
    store = await EventStore(path, registry).open()
    for start in range(0, 2000, 500):
        await store.append(
            "s", [dep(amount=i) for i in range(start, start + 500)], expected_version=ANY
        )
    loop = asyncio.get_running_loop()
    first_chunk = asyncio.Event()
    chunks = 0

    def consume(chunk: list[RecordedEvent]) -> None:
        nonlocal chunks
        chunks += 1
        loop.call_soon_threadsafe(first_chunk.set)
        time.sleep(0.002)  # a slow fold, so close() lands mid-replay

    replay = asyncio.create_task(store.fold_batches(consume, batch_size=10))
    await first_chunk.wait()
    await store.close()
    with pytest.raises(StoreClosed):
        await replay
    assert chunks < 200  # stopped early, not after all 2,000 events
    assert not (tmp_path / "replay.db-wal").exists()
