"""Projections: live runner, rebuild, and state as of any point with and without snapshots."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from eventstore import (
    ANY,
    EventRegistry,
    EventStore,
    ProjectionFailed,
    ProjectionRunner,
    RecordedEvent,
    rebuild,
    state_at,
)
from eventstore.projections import pack_snapshot, unpack_snapshot
from tests.eventstore.conftest import Balances, StepClock, StreamLengths, Withdrawn, dep

N_EVENTS = 1200


async def _fill(store: EventStore, n: int = N_EVENTS, seed: int = 3) -> None:
    rng = random.Random(seed)
    done = 0
    while done < n:
        size = min(rng.randint(1, 6), n - done)
        account = f"acct{rng.randint(0, 20)}"
        events = [
            dep(account, rng.randint(1, 50))
            if rng.random() < 0.7
            else Withdrawn(account=account, amount=3)
            for _ in range(size)
        ]
        await store.append(account, events, expected_version=ANY)
        done += size


def _encoded(states: dict[str, object]) -> dict[str, bytes]:
    return {k: msgspec.msgpack.encode(v) for k, v in states.items()}


async def test_state_at_with_and_without_snapshots_agree(
    tmp_path: Path, registry: EventRegistry
) -> None:
    projections = [Balances(), StreamLengths()]
    async with EventStore(str(tmp_path / "e.db"), registry) as store:
        await _fill(store)
        full = await rebuild(store, projections, snapshot_every=100)
        assert full["balances"]["#events"] == N_EVENTS
        positions = await store.snapshot_positions("balances")
        assert len(positions) >= 10
        assert positions == await store.snapshot_positions("stream-lengths")
        rng = random.Random(11)
        points = [
            0,
            1,
            positions[0],
            positions[0] + 1,
            N_EVENTS,
            *rng.sample(range(1, N_EVENTS), 15),
        ]
        with_snaps = {p: _encoded(await state_at(store, projections, position=p)) for p in points}
        await store.delete_snapshots()
        assert await store.snapshot_positions("balances") == []
        for p in points:
            without = _encoded(await state_at(store, projections, position=p))
            assert without == with_snaps[p], p
            scratch = _encoded(await rebuild(store, projections, until_position=p))
            assert scratch == with_snaps[p], p
        assert with_snaps[N_EVENTS] == _encoded(full)


async def test_snapshot_at_p_is_the_state_after_exactly_p_events(
    tmp_path: Path, registry: EventRegistry
) -> None:
    async with EventStore(str(tmp_path / "e.db"), registry) as store:
        await _fill(store, 500)
        await rebuild(store, [StreamLengths()], snapshot_every=50)
        for p in await store.snapshot_positions("stream-lengths"):
            snap = await store.load_snapshot("stream-lengths", at_or_before=p)
            assert snap is not None
            assert snap[0] == p
            assert snap[1][:1] == b"z"  # stored compressed
            state = msgspec.msgpack.decode(unpack_snapshot(snap[1]), type=StreamLengths.State)
            assert state.last_position == p


async def test_snapshots_written_uncompressed_still_load(
    tmp_path: Path, registry: EventRegistry
) -> None:
    """Logs from before snapshot compression keep their (plain MessagePack) snapshots useful."""
    async with EventStore(str(tmp_path / "e.db"), registry) as store:
        await _fill(store, 120)
        # The state at 50 stored as "at 100": getting it back shows the snapshot was loaded, not
        # silently skipped and recomputed.
        scratch = await rebuild(store, [StreamLengths()], until_position=50)
        plain = msgspec.msgpack.encode(scratch["stream-lengths"])
        await store.save_snapshot("stream-lengths", 100, plain)
        got = await state_at(store, [StreamLengths()], position=100)
        assert msgspec.msgpack.encode(got["stream-lengths"]) == plain
        assert unpack_snapshot(pack_snapshot(plain)) == plain


async def test_state_at_a_time(tmp_path: Path, registry: EventRegistry) -> None:
    clock = StepClock()
    async with EventStore(str(tmp_path / "e.db"), registry, clock=clock) as store:
        for i in range(50):
            await store.append("acct", [dep("acct", 1)], expected_version=i)
        await rebuild(store, [Balances()], snapshot_every=7)
        moment = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=19, milliseconds=500)
        states = await state_at(store, [Balances()], time=moment)
        assert states["balances"] == {"acct": 20, "#events": 20}
        both = await state_at(store, [Balances()], position=10, time=moment)
        assert both["balances"]["#events"] == 10


async def test_undecodable_snapshot_is_ignored(tmp_path: Path, registry: EventRegistry) -> None:
    async with EventStore(str(tmp_path / "e.db"), registry) as store:
        await _fill(store, 100)
        await store.save_snapshot("balances", 60, b"\xc1 definitely not msgpack")
        got = await state_at(store, [Balances()], position=80)
        assert got == await rebuild(store, [Balances()], until_position=80)


async def test_runner_follows_live_and_restarts_from_its_snapshot(
    tmp_path: Path, registry: EventRegistry
) -> None:
    path = str(tmp_path / "e.db")
    async with EventStore(path, registry) as store:
        await _fill(store, 300)
        runner = ProjectionRunner(store, [Balances(), StreamLengths()], snapshot_every=100)
        await runner.start()
        assert runner.position == 300
        await _fill(store, 250, seed=4)
        await runner.wait_for(550)
        assert _encoded(runner.states) == _encoded(
            await rebuild(store, [Balances(), StreamLengths()])
        )
        assert await store.load_checkpoint("balances") is not None
        await runner.stop()  # final snapshot at 550
        assert (await store.snapshot_positions("balances"))[-1] == 550
        assert await store.load_checkpoint("balances") == 550
    async with EventStore(path, registry) as store:
        await store.append("late", [dep("late", 5)], expected_version=ANY)
        async with ProjectionRunner(store, [Balances(), StreamLengths()]) as again:
            assert again.position == 551
            assert again.state("balances")["late"] == 5
            assert again.state("balances")["#events"] == 551


class Exploding:
    name = "exploding"
    state_type = int

    def initial(self) -> int:
        return 0

    def apply(self, state: int, rec: RecordedEvent) -> int:
        if rec.position == 3:
            raise RuntimeError("bad fold")
        return state + 1


async def test_runner_reports_a_failing_projection(registry: EventRegistry) -> None:
    async with EventStore(":memory:", registry) as store:
        await store.append("s", [dep()], expected_version=ANY)
        runner = ProjectionRunner(store, [Exploding()])
        await runner.start()
        await store.append("s", [dep(), dep(), dep()], expected_version=ANY)
        with pytest.raises(ProjectionFailed, match="bad fold"):
            await asyncio.wait_for(runner.wait_for(4), 5)
        await runner.stop()


async def test_runner_refuses_duplicate_names(registry: EventRegistry) -> None:
    async with EventStore(":memory:", registry) as store:
        with pytest.raises(ValueError, match="unique"):
            ProjectionRunner(store, [Balances(), Balances()])


async def test_in_memory_store_rebuild_with_snapshots(registry: EventRegistry) -> None:
    async with EventStore(":memory:", registry) as store:
        await _fill(store, 300)
        with_snaps = await rebuild(store, [Balances(), StreamLengths()], snapshot_every=40)
        assert (await store.snapshot_positions("balances"))[:2] == [40, 80]
        again = await state_at(store, [Balances(), StreamLengths()], position=300)
        assert _encoded(again) == _encoded(with_snaps)


async def test_reads_stay_available_during_long_replays(
    db_path: str, registry: EventRegistry
) -> None:
    """Replays fold on their own threads, so two at once do not starve ordinary reads."""
    async with EventStore(db_path, registry, read_threads=1) as store:
        await _fill(store, 2000)
        gate = asyncio.Event()
        loop = asyncio.get_running_loop()

        class Slow(Balances):
            name = "slow"

            def apply(self, state: dict[str, int], rec: RecordedEvent) -> dict[str, int]:
                if rec.position == 1:
                    asyncio.run_coroutine_threadsafe(gate.wait(), loop).result(timeout=30)
                return super().apply(state, rec)

        replays = [asyncio.create_task(rebuild(store, [Slow()])) for _ in range(2)]
        assert await asyncio.wait_for(store.head_position(), 10) == 2000  # not stuck behind them
        gate.set()
        for states in await asyncio.gather(*replays):
            assert states["slow"]["#events"] == 2000
