"""Online backup while appends continue, and prefix copies for restores."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from eventstore import ANY, EventRegistry, EventStore
from tests.eventstore.conftest import collect, dep


async def _appenders(store: EventStore, stop: asyncio.Event, n: int = 3) -> int:
    async def one(w: int) -> int:
        count = 0
        while not stop.is_set():
            await store.append(
                f"w{w}", [dep(account=str(w)), dep(account=str(w))], expected_version=ANY
            )
            count += 2
        return count

    return sum(await asyncio.gather(*(one(w) for w in range(n))))


@pytest.mark.parametrize("kind", ["file", "memory"])
async def test_backup_under_concurrent_appends_is_a_verified_prefix(
    kind: str, tmp_path: Path, registry: EventRegistry
) -> None:
    path = str(tmp_path / "live.db") if kind == "file" else ":memory:"
    out = tmp_path / "backup.db"
    async with EventStore(path, registry) as live:
        for i in range(300):
            await live.append(f"seed{i % 7}", [dep(amount=i)], expected_version=ANY)
        stop = asyncio.Event()
        writing = asyncio.create_task(_appenders(live, stop))
        await asyncio.sleep(0.05)
        before = await live.head_position()
        result = await live.backup(out)
        for _ in range(2000):  # appends go on after the backup (bounded wait, no timing assert)
            if await live.head_position() > result.count:
                break
            await asyncio.sleep(0.005)
        stop.set()
        await writing
        assert result.ok
        assert before <= result.count < await live.head_position()
        live_events = await collect(live.read_all(until_position=result.count))
        with pytest.raises(FileExistsError):
            await live.backup(out)
    async with EventStore(str(out), registry, readonly=True) as copy:
        copied = await collect(copy.read_all())
        assert copied == live_events  # a consistent prefix, hashes included
        assert (await copy.verify()).head_hash == result.head_hash
    async with EventStore(str(out), registry) as copy:  # and it is a working store
        await copy.append("after-restore", [dep()], expected_version=0)
        assert (await copy.verify()).ok


async def test_copy_until_writes_exactly_a_prefix_with_its_snapshots(
    store: EventStore, tmp_path: Path, registry: EventRegistry
) -> None:
    for i in range(100):
        await store.append(f"s{i % 4}", [dep(amount=i)], expected_version=ANY)
    await store.save_snapshot("p", 40, b"at-40")
    await store.save_snapshot("p", 80, b"at-80")
    await store.save_checkpoint("p", 80)
    out = tmp_path / "prefix.db"
    result = await store.copy_until(out, 60)
    assert result.ok
    assert result.count == 60
    original = await collect(store.read_all(until_position=60))
    with pytest.raises(FileExistsError):
        await store.copy_until(out, 10)
    async with EventStore(str(out), registry) as copy:
        assert await collect(copy.read_all()) == original
        assert await copy.snapshot_positions("p") == [40]
        assert await copy.load_checkpoint("p") is None
        recs = await copy.append("s0", [dep()], expected_version=15)
        assert recs[0].position == 61
        assert (await copy.verify()).ok
