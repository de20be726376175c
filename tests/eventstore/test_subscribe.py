"""Subscriptions: catch-up then live, each event exactly once and in order, with several writers."""

from __future__ import annotations

import asyncio
import random

from eventstore import ANY, EventRegistry, EventStore, RecordedEvent
from tests.eventstore.conftest import collect, dep


async def _take(
    store: EventStore, n: int, from_position: int = 0, poll: float = 1.0
) -> list[RecordedEvent]:
    out: list[RecordedEvent] = []
    async for rec in store.subscribe(from_position, poll_interval=poll):
        out.append(rec)
        if len(out) == n:
            break
    return out


async def test_catch_up_then_live(store: EventStore) -> None:
    await store.append("s", [dep(amount=i) for i in range(5)], expected_version=ANY)
    sub = asyncio.create_task(_take(store, 12, from_position=3))
    await asyncio.sleep(0.01)
    for i in range(10):
        await store.append("t", [dep(amount=i)], expected_version=ANY)
    got = await asyncio.wait_for(sub, 10)
    assert [r.position for r in got] == list(range(3, 15))


async def test_no_gap_no_duplicate_with_several_writers(store: EventStore) -> None:
    rng = random.Random(7)
    plans = [[rng.randint(1, 5) for _ in range(40)] for _ in range(6)]
    total = sum(sum(p) for p in plans)

    async def writer(w: int, plan: list[int]) -> None:
        for n in plan:
            await store.append(
                f"w{w}", [dep(account=str(w)) for _ in range(n)], expected_version=ANY
            )
            if rng.random() < 0.3:
                await asyncio.sleep(0)

    early = asyncio.create_task(_take(store, total))
    await asyncio.sleep(0)
    writers = [asyncio.create_task(writer(w, p)) for w, p in enumerate(plans)]
    await asyncio.sleep(0.005)
    late = asyncio.create_task(_take(store, total - 10, from_position=11))  # joins mid-stream
    await asyncio.gather(*writers)
    got_early = await asyncio.wait_for(early, 20)
    got_late = await asyncio.wait_for(late, 20)
    assert [r.position for r in got_early] == list(range(1, total + 1))
    assert [r.position for r in got_late] == list(range(11, total + 1))
    assert got_early == await collect(store.read_all())
    assert len({r.event_id for r in got_early}) == total


async def test_sees_commits_of_another_writer_on_the_same_file(
    db_path: str, registry: EventRegistry
) -> None:
    """A second store (standing in for another process) is picked up by polling, still gap-free."""
    async with EventStore(db_path, registry) as a, EventStore(db_path, registry) as b:

        async def writer(s: EventStore, name: str) -> None:
            for i in range(60):
                await s.append(name, [dep(amount=i)], expected_version=i)

        sub = asyncio.create_task(_take(a, 240, poll=0.02))
        await asyncio.gather(writer(a, "a1"), writer(b, "b1"), writer(a, "a2"), writer(b, "b2"))
        got = await asyncio.wait_for(sub, 20)
        assert [r.position for r in got] == list(range(1, 241))
        assert sum(1 for r in got if r.stream_id.startswith("b")) == 120


async def test_subscription_ends_when_the_store_closes(registry: EventRegistry) -> None:
    store = EventStore(":memory:", registry)
    await store.open()
    await store.append("s", [dep()], expected_version=ANY)
    seen: list[int] = []

    async def follow() -> None:
        async for rec in store.subscribe():
            seen.append(rec.position)

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.02)
    await store.close()
    await asyncio.wait_for(task, 5)
    assert seen == [1]


async def test_readonly_subscriber_follows_another_writer_by_polling(
    db_path: str, registry: EventRegistry
) -> None:
    async with EventStore(db_path, registry) as writer:
        await writer.append("s", [dep()], expected_version=ANY)
        async with EventStore(db_path, registry, readonly=True) as reader:
            sub = asyncio.create_task(_take(reader, 30, poll=0.01))
            for i in range(29):
                await writer.append("s", [dep(amount=i)], expected_version=i + 1)
            got = await asyncio.wait_for(sub, 20)
    assert [r.position for r in got] == list(range(1, 31))
