"""Append-only triggers and the hash chain: each kind of tampering is reported at its position."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from eventstore import ANY, EventRegistry, EventStore, VerifyResult
from eventstore.hashing import canonical_bytes, chain
from eventstore.rows import encode_head
from tests.eventstore.conftest import dep

N = 12


@pytest.fixture
async def pristine(tmp_path: Path, registry: EventRegistry) -> str:
    path = str(tmp_path / "pristine.db")
    async with EventStore(path, registry) as s:
        for i in range(N):
            await s.append(f"s{i % 3}", [dep(amount=i)], expected_version=ANY)
        assert (await s.verify()).ok
    return path


def _tampered(pristine: str, tmp_path: Path, sql: Callable[[sqlite3.Connection], None]) -> str:
    path = str(tmp_path / f"t-{uuid.uuid4().hex}.db")
    shutil.copy(pristine, path)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("DROP TRIGGER events_refuse_update")
    con.execute("DROP TRIGGER events_refuse_delete")
    sql(con)
    con.close()
    return path


async def _verify(path: str, registry: EventRegistry) -> VerifyResult:
    async with EventStore(path, registry, readonly=True) as s:
        return await s.verify()


async def test_update_and_delete_are_refused(pristine: str) -> None:
    con = sqlite3.connect(pristine, isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE events SET data = x'00' WHERE position = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM events WHERE position = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM events")
    # snapshots and checkpoints are caches, not history: they may be deleted
    con.execute("DELETE FROM snapshots")
    con.close()


async def test_untouched_log_verifies(pristine: str, registry: EventRegistry) -> None:
    result = await _verify(pristine, registry)
    assert result.ok
    assert result.count == N
    assert result.first_bad_position is None


async def test_edited_payload(pristine: str, tmp_path: Path, registry: EventRegistry) -> None:
    path = _tampered(
        pristine,
        tmp_path,
        lambda c: c.execute(
            """UPDATE events SET data = CAST('{"account":"a","amount":1000}' AS BLOB)
               WHERE position = 5"""
        ),
    )
    result = await _verify(path, registry)
    assert (result.ok, result.first_bad_position, result.reason) == (False, 5, "hash mismatch")
    assert result.count == 4


async def test_edit_with_recomputed_hash_breaks_the_next_link(
    pristine: str, tmp_path: Path, registry: EventRegistry
) -> None:
    def forge(c: sqlite3.Connection) -> None:
        prev = c.execute("SELECT hash FROM events WHERE position = 4").fetchone()[0]
        row = list(c.execute("SELECT * FROM events WHERE position = 5").fetchone())
        row[9] = b'{"account":"a","amount":1000}'
        row[10] = chain(prev, canonical_bytes(*row[:10]))
        row[11] = _head(row)
        c.execute(
            "UPDATE events SET data = ?, hash = ?, head = ? WHERE position = 5",
            (row[9], row[10], row[11]),
        )

    result = await _verify(_tampered(pristine, tmp_path, forge), registry)
    assert (result.ok, result.first_bad_position) == (False, 6)


async def test_deleted_row(pristine: str, tmp_path: Path, registry: EventRegistry) -> None:
    path = _tampered(
        pristine, tmp_path, lambda c: c.execute("DELETE FROM events WHERE position = 7")
    )
    result = await _verify(path, registry)
    assert (result.ok, result.first_bad_position) == (False, 7)
    assert "missing" in (result.reason or "")


async def test_deleted_tail_row_is_not_detectable_by_the_chain_alone(
    pristine: str, tmp_path: Path, registry: EventRegistry
) -> None:
    """Truncation leaves a valid shorter chain; an external witness compares the head hash."""
    full = await _verify(pristine, registry)
    path = _tampered(
        pristine, tmp_path, lambda c: c.execute(f"DELETE FROM events WHERE position = {N}")
    )
    result = await _verify(path, registry)
    assert result.ok
    assert result.count == N - 1
    assert result.head_hash != full.head_hash


def _head(row: list[Any]) -> bytes:
    moment = msgspec.convert(row[6], datetime)
    return encode_head(*row[:5], uuid.UUID(bytes=row[5]), moment, row[7], row[8], row[10])


def _row(position: int, stream: str, version: int, prev: bytes) -> tuple[object, ...]:
    fields = (
        position,
        stream,
        version,
        "bank.Deposited",
        1,
        uuid.uuid4().bytes,
        "2026-12-01T00:00:00.000000Z",
        None,
        None,
        b'{"account":"mallory","amount":1000000}',
    )
    row = [*fields, chain(prev, canonical_bytes(*fields))]
    return (*row, _head([*row, b""]))


async def test_inserted_row_in_the_middle(
    pristine: str, tmp_path: Path, registry: EventRegistry
) -> None:
    def insert(c: sqlite3.Connection) -> None:
        c.execute("UPDATE events SET position = -position WHERE position >= 6")
        c.execute("UPDATE events SET position = 1 - position WHERE position < 0")
        c.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row(6, "mallory", 1, b"\x01" * 32),  # not chained to position 5
        )

    result = await _verify(_tampered(pristine, tmp_path, insert), registry)
    assert (result.ok, result.first_bad_position, result.reason) == (False, 6, "hash mismatch")


async def test_inserted_row_with_forged_hash_breaks_the_following_link(
    pristine: str, tmp_path: Path, registry: EventRegistry
) -> None:
    def insert(c: sqlite3.Connection) -> None:
        prev = c.execute("SELECT hash FROM events WHERE position = 5").fetchone()[0]
        c.execute("UPDATE events SET position = -position WHERE position >= 6")
        c.execute("UPDATE events SET position = 1 - position WHERE position < 0")
        c.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row(6, "mallory", 1, prev),
        )

    result = await _verify(_tampered(pristine, tmp_path, insert), registry)
    assert (result.ok, result.first_bad_position) == (False, 7)


async def test_appended_forged_row(pristine: str, tmp_path: Path, registry: EventRegistry) -> None:
    path = _tampered(
        pristine,
        tmp_path,
        lambda c: c.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row(N + 1, "mallory", 1, bytes(32)),
        ),
    )
    result = await _verify(path, registry)
    assert (result.ok, result.first_bad_position) == (False, N + 1)


async def test_swapped_pair(pristine: str, tmp_path: Path, registry: EventRegistry) -> None:
    def swap(c: sqlite3.Connection) -> None:
        c.execute("UPDATE events SET position = -1 WHERE position = 8")
        c.execute("UPDATE events SET position = 8 WHERE position = 9")
        c.execute("UPDATE events SET position = 9 WHERE position = -1")

    result = await _verify(_tampered(pristine, tmp_path, swap), registry)
    assert (result.ok, result.first_bad_position) == (False, 8)


async def test_swapped_pair_in_one_stream_fails_on_versions(
    pristine: str, tmp_path: Path, registry: EventRegistry
) -> None:
    def swap(c: sqlite3.Connection) -> None:  # positions 4 and 7 are both stream s0
        c.execute("UPDATE events SET position = -1 WHERE position = 4")
        c.execute("UPDATE events SET position = 4 WHERE position = 7")
        c.execute("UPDATE events SET position = 7 WHERE position = -1")

    result = await _verify(_tampered(pristine, tmp_path, swap), registry)
    assert (result.ok, result.first_bad_position) == (False, 4)
    assert "version" in (result.reason or "")


async def test_edited_head_only(pristine: str, tmp_path: Path, registry: EventRegistry) -> None:
    """Readers decode the head; an edit there alone (what readers would see) is caught too."""

    def edit(c: sqlite3.Connection) -> None:
        row = list(c.execute("SELECT * FROM events WHERE position = 9").fetchone())
        row[1] = "someone-else"
        c.execute("UPDATE events SET head = ? WHERE position = 9", (_head(row),))

    result = await _verify(_tampered(pristine, tmp_path, edit), registry)
    assert (result.ok, result.first_bad_position) == (False, 9)
    assert "head" in (result.reason or "")
