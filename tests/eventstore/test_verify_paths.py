"""`verify` has a fast bulk pass and an exact row-by-row scan; they must never disagree.

The fast pass only decides "intact"; on any doubt it hands over to the exact scan, which names the
first bad position. These tests damage logs in ways aimed at the bulk checks (a time text that could
shift the joined JSON array, a head that no longer matches, chunk boundaries) with every hash
re-forged, so only the checks under test can notice.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import msgspec
import pytest

from eventstore import ANY, EventRegistry, EventStore, VerifyResult
from eventstore.hashing import GENESIS, canonical_bytes, chain
from eventstore.integrity import verify_connection, verify_exact
from eventstore.rows import encode_head
from tests.eventstore.conftest import dep, make_registry

EVENTS = 12_003  # three chunks of the scan, the last one short


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "log.db"

    async def fill() -> None:
        async with EventStore(path, make_registry()) as store:
            for start in range(0, EVENTS, 1000):
                batch = [dep(amount=i) for i in range(start, min(start + 1000, EVENTS))]
                await store.append(f"s{start % 7}", batch, expected_version=ANY)

    asyncio.run(fill())
    return path


def _reforge(con: sqlite3.Connection, *, heads: bool) -> None:
    """Recompute every hash (and, if asked, every head) from the columns, as a forger would."""
    prev = GENESIS
    rows = con.execute("SELECT * FROM events ORDER BY position").fetchall()
    for row in rows:
        digest = chain(prev, canonical_bytes(*row[:10]))
        con.execute("UPDATE events SET hash = ? WHERE position = ?", (digest, row[0]))
        if heads:
            moment = msgspec.json.decode(b'"' + row[6].encode() + b'"', type=datetime)
            head = encode_head(*row[:5], uuid.UUID(bytes=row[5]), moment, row[7], row[8], digest)
            con.execute("UPDATE events SET head = ? WHERE position = ?", (head, row[0]))
        prev = digest


def _damaged(big_log: Path, tmp_path: Path, damage: Callable[[sqlite3.Connection], None]) -> Path:
    path = tmp_path / "damaged.db"
    shutil.copy(big_log, path)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("DROP TRIGGER events_refuse_update")
    con.execute("BEGIN")
    damage(con)
    con.execute("COMMIT")
    con.close()
    return path


def _both(path: Path) -> tuple[VerifyResult, VerifyResult]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return verify_connection(con), verify_exact(con)
    finally:
        con.close()


def test_intact_log_same_result_across_chunks(big_log: Path) -> None:
    fast, exact = _both(big_log)
    assert fast == exact
    assert fast.ok
    assert fast.count == EVENTS


def _set_time(position: int, text: str, *, heads: bool) -> Callable[[sqlite3.Connection], None]:
    def damage(con: sqlite3.Connection) -> None:
        con.execute("UPDATE events SET recorded_at = ? WHERE position = ?", (text, position))
        _reforge(con, heads=heads)

    return damage


@pytest.mark.parametrize(
    ("position", "text"),
    [
        (5001, '2026-01-01T00:00:00.000000Z","2026-01-01T00:00:00.000000Z'),  # one row, two times
        (7, "2026-01-01T00:00:00.000000Z\\"),  # escapes the closing quote
        (9999, "not a time"),
        (EVENTS, ""),
    ],
)
def test_time_text_that_could_shift_the_bulk_parse(
    big_log: Path, tmp_path: Path, position: int, text: str
) -> None:
    fast, exact = _both(_damaged(big_log, tmp_path, _set_time(position, text, heads=False)))
    assert fast == exact
    assert (fast.ok, fast.first_bad_position) == (False, position)
    assert "recorded_at" in (fast.reason or "")


def test_time_edit_with_stale_head(big_log: Path, tmp_path: Path) -> None:
    damage = _set_time(6543, "2030-06-01T12:00:00.000000Z", heads=False)
    fast, exact = _both(_damaged(big_log, tmp_path, damage))
    assert fast == exact
    assert fast.first_bad_position == 6543
    assert "head" in (fast.reason or "")


def test_fully_reforged_edit_verifies_on_both_paths(big_log: Path, tmp_path: Path) -> None:
    """The chain is unkeyed: a forger who recomputes everything passes (compare `head_hash` with a
    copy kept elsewhere to notice). What matters here is that both paths agree on it."""
    damage = _set_time(3, "2030-06-01T12:00:00.000000Z", heads=True)
    fast, exact = _both(_damaged(big_log, tmp_path, damage))
    assert fast == exact
    assert fast.ok


def test_head_of_last_row_in_a_chunk(big_log: Path, tmp_path: Path) -> None:
    def damage(con: sqlite3.Connection) -> None:
        (head,) = con.execute("SELECT head FROM events WHERE position = 10000").fetchone()
        con.execute("UPDATE events SET head = ? WHERE position = 10000", (head[:-1] + b"\0",))

    fast, exact = _both(_damaged(big_log, tmp_path, damage))
    assert fast == exact
    assert fast.first_bad_position == 10000


async def test_store_verify_uses_the_same_answer(big_log: Path, registry: EventRegistry) -> None:
    async with EventStore(big_log, registry, readonly=True) as store:
        result = await store.verify()
    assert result == _both(big_log)[1]
