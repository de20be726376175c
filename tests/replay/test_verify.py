"""Given a log damaged behind the append-only triggers' back, `verify` names the first bad position
and what is wrong; an intact log verifies."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from app.replaytool.generate import GeneratedLog
from tests.replay.conftest import run_cli

K = 137  # the position each damage starts at


def _damage(path: Path, sql: Callable[[sqlite3.Connection], object]) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("DROP TRIGGER events_refuse_update")
        con.execute("DROP TRIGGER events_refuse_delete")
        con.execute("BEGIN")
        sql(con)
        con.execute("COMMIT")
    finally:
        con.close()


def edit_payload(con: sqlite3.Connection) -> None:
    data = con.execute("SELECT data FROM events WHERE position = ?", (K,)).fetchone()[0]
    con.execute(
        "UPDATE events SET data = ? WHERE position = ?", (bytes(data).replace(b"1", b"2"), K)
    )


def delete_event(con: sqlite3.Connection) -> None:
    con.execute("DELETE FROM events WHERE position = ?", (K,))


def insert_event(con: sqlite3.Connection) -> None:
    """Shift K.. up by one and put a forged event at K: a copy of K-1 moved to a new stream (so
    stream versions stay valid), whatever columns the schema has."""
    con.execute("UPDATE events SET position = -position WHERE position >= ?", (K,))
    con.execute("UPDATE events SET position = 1 - position WHERE position < 0")
    con.execute("CREATE TEMP TABLE forged AS SELECT * FROM events WHERE position = ?", (K - 1,))
    con.execute(
        "UPDATE forged SET position = ?, stream_id = 'santa/1', version = 1, event_id = ?",
        (K, b"\x01" * 16),
    )
    con.execute("INSERT INTO events SELECT * FROM forged")


def swap_pair(con: sqlite3.Connection) -> None:
    con.execute("UPDATE events SET position = -1 WHERE position = ?", (K,))
    con.execute("UPDATE events SET position = ? WHERE position = ?", (K, K + 1))
    con.execute("UPDATE events SET position = ? WHERE position = -1", (K + 1,))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (edit_payload, "hash mismatch"),
        (delete_event, f"position {K} missing"),
        (insert_event, ""),
        (swap_pair, ""),  # a version break or a hash mismatch, whichever the rows show first
    ],
)
def test_verify_names_the_first_bad_position(
    log_copy: Path, damage: Callable[[sqlite3.Connection], None], reason: str
) -> None:
    assert run_cli("verify", "--db", log_copy).code == 0
    _damage(log_copy, damage)
    run = run_cli("verify", "--db", log_copy)
    assert run.code == 1
    assert f"verification failed at position {K}:" in run.err
    assert reason in run.err
    assert f"({K - 1} events before it verified)" in run.err
    assert run.out == ""


def test_swapping_two_events_of_one_stream_is_a_version_break(log_copy: Path) -> None:
    con = sqlite3.connect(log_copy)
    streams = [
        r[0]
        for r in con.execute("SELECT stream_id FROM events WHERE position IN (?, ?)", (K, K + 1))
    ]
    con.close()
    _damage(log_copy, swap_pair)
    run = run_cli("verify", "--db", log_copy)
    assert run.code == 1
    if streams[0] == streams[1]:
        assert "version" in run.err


def test_an_intact_log_verifies(generated: GeneratedLog) -> None:
    run = run_cli("verify", "--db", generated.path)
    assert run.code == 0, run.err
    assert run.out.strip() == f"verified {generated.event_count} events"


def test_events_cut_from_the_end_are_caught_by_the_checkpoints(log_copy: Path) -> None:
    """The chain cannot show a truncated tail; the live runner's checkpoints can."""
    con = sqlite3.connect(log_copy)
    head = con.execute("SELECT max(position) FROM events").fetchone()[0]
    con.close()
    _damage(log_copy, lambda c: c.execute("DELETE FROM events WHERE position > ?", (head - 3,)))
    run = run_cli("verify", "--db", log_copy)
    assert run.code == 1
    assert f"verification failed at position {head - 2}" in run.err
    assert "removed from the end" in run.err
