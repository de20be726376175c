"""Event store benchmark: our store vs eventsourcing 9.5.6 and raw sqlite3, measured in one run.

    python -m bench.eventstore [--quick]

Prints a table, then exactly these final lines (ratios > 1 mean we are faster):

- ``ratio_appends_vs_eventsourcing``: durable appends from 100 concurrent single-event appenders vs
  eventsourcing (SQLite module, its defaults) saving one event per new aggregate;
- ``ratio_appends_vs_raw_batch``: the same appends vs raw sqlite3 (WAL, synchronous=FULL) inserting
  100 events per transaction into the same table, with ``uuid.uuid4()`` ids as plain code would; the
  table also shows raw inserts with the store's own time-ordered ids, to separate what the id choice
  is worth from what the machinery costs;
- ``ratio_replay_vs_raw``: `rebuild` of a projection over the log vs a raw scan + msgspec decode +
  the same fold into a dict;
- ``restore_at_position_s``: worst of 3 random positions: open the store read-only and
  `state_at(position)` using snapshots.

Numbers are only comparable within one run (the machine is shared and its fsync latency drifts).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import os
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from eventstore import ANY, EventRegistry, EventStore, RecordedEvent, rebuild, state_at
from eventstore.ids import new_event_id

MEMO = (
    "for the winter market: " + "x" * 190
)  # ~300-byte JSON payloads, like the notes' measurements


class Deposited(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    amount: int
    memo: str


class Withdrawn(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    amount: int
    memo: str


def registry() -> EventRegistry:
    r = EventRegistry()
    r.register(Deposited, name="bank.Deposited")
    r.register(Withdrawn, name="bank.Withdrawn")
    return r


def payload(i: int) -> Deposited | Withdrawn:
    account = f"acct-{i % 5000}"
    if i % 4 == 3:
        return Withdrawn(account=account, amount=i % 50, memo=MEMO)
    return Deposited(account=account, amount=i % 100, memo=MEMO)


class Balances:
    """The fold both replays run: balance per account and a count of events."""

    name = "bench-balances"
    state_type = dict[str, int]

    def initial(self) -> dict[str, int]:
        return {}

    def apply(self, state: dict[str, int], rec: RecordedEvent) -> dict[str, int]:
        ev = rec.event
        if type(ev) is Deposited:
            state[ev.account] = state.get(ev.account, 0) + ev.amount
        else:
            state[ev.account] = state.get(ev.account, 0) - ev.amount
        state["#events"] = state.get("#events", 0) + 1
        return state


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


# ---------------------------------------------------------------- appends


async def ours_appends(path: str, total: int, appenders: int = 100) -> float:
    async with EventStore(path, registry()) as store:
        per = total // appenders

        async def appender(a: int) -> None:
            for v in range(per):
                await store.append(f"acct/{a}", [payload(a * per + v)], expected_version=v)

        with timed() as t:
            await asyncio.gather(*(appender(a) for a in range(appenders)))
        assert await store.head_position() == per * appenders
        return per * appenders / t()


def raw_batch_appends(path: str, total: int, batch: int = 100, *, v7_ids: bool = False) -> float:
    """Plain sqlite3 inserts into the same table; ids from uuid.uuid4() as plain code would make,
    or (``v7_ids``) the store's own time-ordered ids, to show what the id choice alone is worth."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = FULL")
    con.execute(
        """CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL,
        version INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL,
        event_id BLOB NOT NULL UNIQUE, recorded_at TEXT NOT NULL, causation_id TEXT,
        correlation_id TEXT, data BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream_id, version))"""
    )
    encode = msgspec.json.Encoder().encode
    sql = "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    with timed() as t:
        for start in range(0, total, batch):
            rows = []
            for i in range(start, start + batch):
                p = payload(i)
                rows.append(
                    (
                        i + 1,
                        f"acct/{i % 100}",
                        i // 100 + 1,
                        "bank.Withdrawn" if type(p) is Withdrawn else "bank.Deposited",
                        1,
                        new_event_id()[1] if v7_ids else uuid.uuid4().bytes,
                        "2026-12-01T00:00:00.000000Z",
                        None,
                        None,
                        encode(p),
                        b"",
                    )
                )
            con.execute("BEGIN")
            con.executemany(sql, rows)
            con.execute("COMMIT")
    con.close()
    return total / t()


@functools.cache
def _eventsourcing_app() -> Any:
    """Defined once: eventsourcing refuses a second class under the same topic."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Account(Aggregate):
        @event("Opened")
        def __init__(self, account: str, amount: int, memo: str) -> None:
            self.account = account
            self.amount = amount
            self.memo = memo

    class Bank(Application[uuid.UUID]):
        def open(self, i: int) -> None:
            self.save(Account(f"acct-{i}", i % 100, MEMO))

    return Bank


def eventsourcing_appends(path: str, total: int) -> float:
    app = _eventsourcing_app()(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}
    )
    with timed() as t:
        for i in range(total):
            app.open(i)
    app.close()
    return total / t()


# ---------------------------------------------------------------- replay and restore


async def build_log(path: str, total: int, per_append: int = 1000) -> None:
    async with EventStore(path, registry()) as store:
        for start in range(0, total, per_append):
            n = min(per_append, total - start)
            await store.append(
                f"batch/{start // per_append % 1000}",
                [payload(i) for i in range(start, start + n)],
                expected_version=ANY,
            )


def raw_replay(path: str) -> tuple[float, dict[str, int]]:
    con = sqlite3.connect(path)
    decoders = {
        "bank.Deposited": msgspec.json.Decoder(Deposited).decode,
        "bank.Withdrawn": msgspec.json.Decoder(Withdrawn).decode,
    }
    state: dict[str, int] = {}
    n = 0
    with timed() as t:
        cur = con.execute("SELECT type, data FROM events ORDER BY position")
        while rows := cur.fetchmany(10000):
            for type_, data in rows:
                ev = decoders[type_](data)
                if type(ev) is Deposited:
                    state[ev.account] = state.get(ev.account, 0) + ev.amount
                else:
                    state[ev.account] = state.get(ev.account, 0) - ev.amount
                state["#events"] = state.get("#events", 0) + 1
                n += 1
    con.close()
    return n / t(), state


async def ours_replay(path: str) -> tuple[float, dict[str, int]]:
    async with EventStore(path, registry(), readonly=True) as store:
        with timed() as t:
            states = await rebuild(store, [Balances()])
        state: dict[str, int] = states["bench-balances"]
        return state["#events"] / t(), state


async def restore(path: str, total: int, every: int, samples: int = 3) -> tuple[float, float]:
    async with EventStore(path, registry()) as store:
        with timed() as t:
            await rebuild(store, [Balances()], snapshot_every=every)
        snapshot_pass = t()
    rng = random.Random(2026)
    worst = 0.0
    for _ in range(samples):
        position = rng.randint(1, total)
        with timed() as t:
            async with EventStore(path, registry(), readonly=True) as store:
                got = await state_at(store, [Balances()], position=position)
        worst = max(worst, t())
        async with EventStore(path, registry(), readonly=True) as store:
            want = await rebuild(store, [Balances()], until_position=position)
        assert got == want, f"state_at({position}) differs from a full replay"
    return worst, snapshot_pass


# ---------------------------------------------------------------- main


ROUNDS = 3
APPEND_ROUNDS = 5  # appends are the noisiest (fsync latency drifts): more rounds for the median


def rate(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}/s"


def ratio(ours: list[float], theirs: list[float]) -> float:
    return statistics.median(o / t for o, t in zip(ours, theirs, strict=True))


def table(rows: list[tuple[str, str, str]]) -> str:
    header = ("measure", "result", "detail")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = []
    for k, row in enumerate([header, *rows]):
        lines.append(
            "  ".join(
                (c.rjust(widths[i]) if i == 1 else c.ljust(widths[i])) for i, c in enumerate(row)
            ).rstrip()
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="100k-event log instead of 1M")
    args = parser.parse_args(argv)
    log_events = 100_000 if args.quick else 1_000_000
    # The append workloads are the same in both modes: only the log for replay/restore grows.
    append_events = raw_events = 30_000
    es_events = 2_000
    every = 10_000 if args.quick else 25_000
    rows: list[tuple[str, str, str]] = []
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-eventstore-") as tmp:
        # Rounds interleave the contenders so drifting fsync latency hits them alike; each ratio is
        # the median of per-round ratios (each round's numbers are measured back to back).
        ours_r, raw_r, raw7_r, es_r = [], [], [], []
        for k in range(APPEND_ROUNDS):
            ours_r.append(
                asyncio.run(ours_appends(os.path.join(tmp, f"ours{k}.db"), append_events))
            )
            raw_r.append(raw_batch_appends(os.path.join(tmp, f"raw{k}.db"), raw_events))
            raw7_r.append(
                raw_batch_appends(os.path.join(tmp, f"raw7-{k}.db"), raw_events, v7_ids=True)
            )
            es_r.append(eventsourcing_appends(os.path.join(tmp, f"es{k}.db"), es_events))
        rows += [
            (
                "appends: eventstore, 100 concurrent x 1 event",
                rate(ours_r),
                f"durable; median of {APPEND_ROUNDS} rounds",
            ),
            (
                "appends: raw sqlite3, 100/transaction, uuid4",
                rate(raw_r),
                "WAL, synchronous=FULL (the baseline)",
            ),
            (
                "appends: raw sqlite3, 100/transaction, v7 ids",
                rate(raw7_r),
                f"same ids as the store: ratio {ratio(ours_r, raw7_r):.2f}",
            ),
            ("appends: eventsourcing 9.5.6, 1 event/save", rate(es_r), "SQLite module defaults"),
        ]
        results["ratio_appends_vs_eventsourcing"] = ratio(ours_r, es_r)
        results["ratio_appends_vs_raw_batch"] = ratio(ours_r, raw_r)

        log = os.path.join(tmp, "log.db")
        with timed() as t:
            asyncio.run(build_log(log, log_events))
        rows.append(
            (f"build log: {log_events:,} events", f"{log_events / t():,.0f}/s", "1000/append")
        )
        raw_rates, our_rates = [], []
        per_round = f"median of {ROUNDS} rounds"
        for _ in range(ROUNDS):
            gc.collect()
            speed, raw_state = raw_replay(log)
            raw_rates.append(speed)
            gc.collect()
            speed, our_state = asyncio.run(ours_replay(log))
            our_rates.append(speed)
            assert our_state == raw_state, "replays disagree"
        rows += [
            ("replay: raw scan + msgspec + fold", rate(raw_rates), per_round),
            ("replay: eventstore rebuild()", rate(our_rates), per_round),
        ]
        results["ratio_replay_vs_raw"] = ratio(our_rates, raw_rates)

        worst, snapshot_pass = asyncio.run(restore(log, log_events, every))
        rows += [
            (
                f"snapshot pass: every {every:,} events",
                f"{snapshot_pass:.2f}s",
                "rebuild + snapshots",
            ),
            ("restore: open + state_at(random position)", f"{worst:.3f}s", "worst of 3"),
        ]
        results["restore_at_position_s"] = worst
    print(table(rows))
    print()
    for key in (
        "ratio_appends_vs_eventsourcing",
        "ratio_appends_vs_raw_batch",
        "ratio_replay_vs_raw",
        "restore_at_position_s",
    ):
        value = results[key]
        print(f"{key}: {value:.3f}" if key.endswith("_s") else f"{key}: {value:.2f}")


if __name__ == "__main__":
    main()
