"""Child process for the crash test: appends under load and reports each acknowledged append.

A line ``ack <event_id> <position>`` is written and flushed only after ``append`` returned, that is
after the commit was acknowledged as durable. The parent SIGKILLs this process at a random moment.
"""

from __future__ import annotations

import asyncio
import sys
import uuid

import msgspec

from eventstore import ANY, EventRegistry, EventStore, NewEvent


class Ticked(msgspec.Struct, frozen=True, kw_only=True):
    worker: int
    n: int
    pad: str


async def main(path: str, workers: int) -> None:
    registry = EventRegistry()
    registry.register(Ticked, name="crash.Ticked")
    out = sys.stdout
    async with EventStore(path, registry) as store:
        out.write("ready\n")
        out.flush()

        async def work(w: int) -> None:
            n = 0
            while True:
                size = 1 + (n % 3)
                ids = [uuid.uuid4() for _ in range(size)]
                events = [
                    NewEvent(Ticked(worker=w, n=n + i, pad="x" * 100), event_id=e)
                    for i, e in enumerate(ids)
                ]
                recs = await store.append(f"w{w}", events, expected_version=ANY)
                out.write("".join(f"ack {r.event_id} {r.position}\n" for r in recs))
                out.flush()
                n += size

        await asyncio.gather(*(work(w) for w in range(workers)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
