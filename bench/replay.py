"""Replay tooling speed on a generated log: `python -m bench.replay [--quick]`.

Generates a multi-year, multi-server Secret Santa log with the real deciders (1M events; 100k with
`--quick`) while a live projection runner takes read-model snapshots every K events, then measures,
in this one run:

- `state` at many positions (worst case: just before the next snapshot), in-process, including
  opening the store read-only: `state_at_position_s` is the slowest;
- `restore` at a few positions (copy + verify of the copy), `restore_s` the slowest, and
  `verify_floor_s`: the least a restore that re-verifies its copy must do here (read every event's
  columns through sqlite3 and recompute its SHA-256 link), which bounds how fast `restore` can be;
- `rebuild` (store read path + decode + apply, what `replay.py rebuild` runs) against a raw loop
  over the same file (sqlite3 scan, msgspec payload decode, the same projections' apply):
  `ratio_rebuild_vs_raw` = rebuild events/s / raw events/s, best of three each.

The last two lines are `state_at_position_s: X` and `ratio_rebuild_vs_raw: X`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import math
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.bootstrap import SNAPSHOT_EVERY
from app.replaytool.cli import main as replay_main
from app.replaytool.generate import GenSpec, generate_log
from app.replaytool.replaying import fold_all, paused_gc
from app.replaytool.wiring import app_projections, app_registry
from eventstore import EventRegistry, EventStore, Projection, RecordedEvent
from eventstore.hashing import GENESIS, encode_canonical

COLUMNS = (
    "position, stream_id, version, type, schema_version, event_id, recorded_at, "
    "causation_id, correlation_id, data, hash"
)


def spec_for(events: int, snapshot_every: int) -> GenSpec:
    # 1,600-1,650 events per server over three years at 40 members and 4 messages each (measured);
    # rounding the server count up keeps the log at or above the size asked for.
    guilds = max(2, math.ceil(events / 1600))
    return GenSpec(
        guilds=guilds,
        members_per_guild=40,
        messages_per_participant=4.0,
        snapshot_every=snapshot_every,
        seed=7,
    )


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run_cli(*argv: str) -> str:
    sink = io.StringIO()
    code = replay_main(list(argv), stdout=sink, stderr=sink)
    if code != 0:
        raise SystemExit(f"replay {argv[0]} failed: {sink.getvalue()}")
    return sink.getvalue()


def verify_floor_s(path: Path) -> float:
    """What any restore that re-verifies its copy must at least do here: read every event's columns
    through sqlite3 and recompute its SHA-256 link (no head, version or time checks, no copy)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        started = time.perf_counter()
        sha256 = hashlib.sha256
        prev = GENESIS
        cur = con.execute(f"SELECT {COLUMNS}, head FROM events ORDER BY position")
        while rows := cur.fetchmany(5000):
            for row in rows:
                prev = sha256(prev + encode_canonical(row[:10])).digest()
        return time.perf_counter() - started
    finally:
        con.close()


def raw_rate(path: Path, projections: Sequence[Projection[Any]], registry: EventRegistry) -> float:
    """The floor: sqlite3 scan, payload decode, apply; records keep raw column values."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        started = time.perf_counter()
        states = [p.initial() for p in projections]
        applies = [p.apply for p in projections]
        decoders: dict[tuple[str, int], Callable[[bytes], Any]] = {}
        count = 0
        cur = con.execute(f"SELECT {COLUMNS} FROM events ORDER BY position")
        while rows := cur.fetchmany(10_000):
            for row in rows:
                key = (row[3], row[4])
                decode = decoders.get(key)
                if decode is None:
                    decode = decoders[key] = registry.decoder(*key)
                rec = RecordedEvent(
                    row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9],
                    row[10], decode(row[9]),
                )  # fmt: skip
                for i, apply in enumerate(applies):
                    states[i] = apply(states[i], rec)
            count += len(rows)
        return count / (time.perf_counter() - started)
    finally:
        con.close()


async def rebuild_rate(path: Path, projections: Sequence[Projection[Any]]) -> float:
    async with EventStore(path, registry=app_registry(), readonly=True) as store:
        head = await store.head_position()
        started = time.perf_counter()
        await fold_all(store, projections, head)
        return head / (time.perf_counter() - started)


async def snapshot_positions(path: Path) -> list[int]:
    async with EventStore(path, registry=app_registry(), readonly=True) as store:
        return await store.snapshot_positions(app_projections()[0].name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay")
    parser.add_argument("--quick", action="store_true", help="100k events instead of 1M")
    parser.add_argument("--events", type=int, help="approximate log size (overrides --quick)")
    parser.add_argument(
        "--snapshot-every",
        type=int,
        default=SNAPSHOT_EVERY,
        help=f"K (default {SNAPSHOT_EVERY}, what the bot uses)",
    )
    parser.add_argument("--keep", type=Path, help="write the log here and keep it")
    args = parser.parse_args(argv)
    target = args.events or (100_000 if args.quick else 1_000_000)

    with tempfile.TemporaryDirectory(prefix="yulelog-bench-") as tmp:
        path = args.keep or Path(tmp) / "log.db"
        spec = spec_for(target, args.snapshot_every)
        started = time.perf_counter()
        generated = asyncio.run(generate_log(path, spec))
        gen_s = time.perf_counter() - started
        head = generated.event_count
        print(f"events: {head} ({spec.guilds} servers x {len(spec.years)} years)")
        print(f"generate_s: {gen_s:.1f} ({head / gen_s:,.0f} events/s through the deciders)")
        print(f"file_mb: {path.stat().st_size / 1e6:.1f}  snapshot_every: {spec.snapshot_every}")

        rng = random.Random(1)
        snaps = asyncio.run(snapshot_positions(path))
        points = {1, head, head - 1, *(rng.randint(1, head) for _ in range(6))}
        points |= {s - 1 for s in snaps if s > 1}  # worst cases: a full K events past a snapshot
        worst_state = 0.0
        for position in sorted(points):
            started = time.perf_counter()
            run_cli("state", "--db", str(path), "--at", str(position))
            worst_state = max(worst_state, time.perf_counter() - started)
        by_time = timed(lambda: run_cli("state", "--db", str(path), "--at", "2025-12-31"))
        print(f"state_points: {len(points)}  state_by_time_s: {by_time:.3f}")

        worst_restore = 0.0
        for i, position in enumerate((head // 4, head // 2, head)):
            out = Path(tmp) / f"restore-{i}.db"
            started = time.perf_counter()
            said = run_cli("restore", "--db", str(path), "--at", str(position), "--out", str(out))
            seconds = time.perf_counter() - started
            detail = said.split("verified (", 1)[1].split(")", 1)[0] if "verified (" in said else ""
            print(f"restore_at_{position}_s: {seconds:.3f}  ({detail})")
            worst_restore = max(worst_restore, seconds)
            out.unlink()
        print(f"restore_s: {worst_restore:.3f}")
        print(f"verify_floor_s: {min(verify_floor_s(path) for _ in range(3)):.3f}")

        projections = app_projections()
        raw = max(raw_rate(path, projections, app_registry()) for _ in range(3))
        with paused_gc():  # transparency: the raw loop given the same GC pause as rebuild
            raw_paused = max(raw_rate(path, projections, app_registry()) for _ in range(3))
        rebuilt = max(asyncio.run(rebuild_rate(path, projections)) for _ in range(3))
        print(f"raw_events_per_s: {raw:,.0f}")
        print(f"raw_gc_paused_events_per_s: {raw_paused:,.0f}")
        print(f"rebuild_events_per_s: {rebuilt:,.0f} (GC paused, as replay.py rebuild runs)")
        print(f"ratio_rebuild_vs_raw_gc_paused: {rebuilt / raw_paused:.2f}")
        print(f"state_at_position_s: {worst_state:.3f}")
        print(f"ratio_rebuild_vs_raw: {rebuilt / raw:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
