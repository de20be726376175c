"""Crash safety: SIGKILL a child appending under load, 20 times; nothing acknowledged is lost.

SIGKILL proves the store acknowledges nothing before its transaction committed; it cannot prove the
disk honours fsync (a power cut would), which rests on SQLite with WAL and synchronous=FULL.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from eventstore import EventRegistry, EventStore

CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 20


def _run_and_kill(
    db: str, rng: random.Random, window: tuple[float, float] = (0.05, 0.3)
) -> dict[uuid.UUID, int]:
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), db, str(rng.randint(1, 40))],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    # Drain the pipe continuously: a full pipe would block the child and the kill would land on an
    # idle process instead of one in the middle of commits.
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while not lines and time.monotonic() < deadline:
        time.sleep(0.005)
    assert lines[:1] == ["ready\n"], lines[:1]
    time.sleep(rng.uniform(*window))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reader.join(timeout=30)
    if proc.stdout is not None:
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    acked: dict[uuid.UUID, int] = {}
    for line in lines:
        if line.startswith("ack ") and line.endswith("\n"):
            _, eid, pos = line.split()
            acked[uuid.UUID(eid)] = int(pos)
    return acked


@pytest.mark.slow
async def test_sigkill_never_loses_an_acknowledged_append(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    db = str(tmp_path / "crash.db")
    all_acked: dict[uuid.UUID, int] = {}
    counts: list[int] = []
    for round_ in range(KILLS):
        acked = _run_and_kill(db, rng)
        all_acked.update(acked)
        con = sqlite3.connect(
            db
        )  # a plain reader, after the crash, as a restarted process would be
        try:
            stored = dict(con.execute("SELECT event_id, position FROM events").fetchall())
        finally:
            con.close()
        missing = [e for e, p in all_acked.items() if stored.get(e.bytes) != p]
        assert not missing, f"round {round_}: {len(missing)} acknowledged appends lost"
        assert sorted(stored.values()) == list(range(1, len(stored) + 1))
        async with EventStore(db, EventRegistry(), readonly=True) as store:
            result = await store.verify()
        assert result.ok, (round_, result)
        assert result.count == len(stored)
        counts.append(len(acked))
    assert sum(1 for c in counts if c > 0) >= KILLS // 2, counts  # the kills did land under load


@pytest.mark.slow
async def test_two_processes_appending_to_one_file_keep_positions_and_chain(tmp_path: Path) -> None:
    """Each process has its own writer; BEGIN IMMEDIATE and reading the tail inside it serialise
    them, so positions are never handed out twice."""
    db = str(tmp_path / "shared.db")
    async with EventStore(db, EventRegistry()):
        pass  # create the file first so neither child races the schema creation
    rng = random.Random(7)
    results: list[dict[uuid.UUID, int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_run_and_kill(db, rng, (0.3, 0.4))))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    assert all(results), "both processes should have appended while the other did"
    acked = {**results[0], **results[1]}
    assert len(acked) == len(results[0]) + len(results[1])  # no id reported twice
    positions = sorted(acked.values())
    assert len(set(positions)) == len(positions)  # no position handed out twice
    async with EventStore(db, EventRegistry(), readonly=True) as store:
        result = await store.verify()
        stored = {r.event_id: r.position async for r in store.read_all()}
    assert result.ok, result
    assert all(stored.get(e) == p for e, p in acked.items())
