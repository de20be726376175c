"""Writing the new database for `restore`: events 1..P (and the snapshots at or before P) of a log.

The store's own `copy_until` inserts row by row from Python (measured here: ~17 µs per event, so
~17 s for a million), too slow for a restore at any point of a large log. This copies in SQLite's C
code instead, choosing per restore whichever moves fewer bytes:

- early points: a fresh store (the store's own schema) filled by one `INSERT ... SELECT` from the
  source attached read-only;
- late points: the SQLite backup API (page copy, ~1 µs per event) and then deleting the tail, with
  the append-only trigger dropped for that one transaction on the *copy* and recreated from the
  copy's own schema text.

Either way the copy reads the source in one read transaction (a consistent prefix while the bot
appends) and never writes it. Checkpoints are not copied (they describe side effects the live
process performed after the restore point), as in the store's `copy_until`. The caller verifies the
result.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from app.replaytool.sqlitefile import connect_ro, ro_uri
from eventstore.schema import initialise

PAGE_COPY_FROM = 0.44
"""Fraction of the log from which copying all pages and trimming beats inserting the prefix."""


def _columns(con: sqlite3.Connection, schema: str, table: str) -> str:
    rows = con.execute(f"PRAGMA {schema}.table_info({table})").fetchall()
    return ", ".join(str(r[1]) for r in rows)


def _durable(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA synchronous = FULL")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _by_insert(source: Path, out: Path, until: int) -> None:
    con = sqlite3.connect(f"file:{quote(str(out.resolve()))}", uri=True, isolation_level=None)
    try:
        initialise(con, str(out))
        con.execute("PRAGMA synchronous = OFF")  # a new file: it is only renamed into place later
        con.execute("ATTACH DATABASE ? AS src", (ro_uri(source),))
        events = _columns(con, "main", "events")
        snapshots = _columns(con, "main", "snapshots")
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute(
                f"INSERT INTO main.events ({events}) SELECT {events} FROM src.events "
                "WHERE position <= ? ORDER BY position",
                (until,),
            )
            con.execute(
                f"INSERT INTO main.snapshots ({snapshots}) SELECT {snapshots} FROM src.snapshots "
                "WHERE position <= ?",
                (until,),
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        con.execute("DETACH DATABASE src")
        _durable(con)
    finally:
        con.close()


def _by_pages(source: Path, out: Path, until: int) -> None:
    src = connect_ro(source)
    con = sqlite3.connect(str(out), isolation_level=None)
    try:
        src.backup(con, pages=-1)  # one step: one consistent read transaction on the source
        src.close()
        con.execute("PRAGMA synchronous = OFF")
        row = con.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_refuse_delete'"
        ).fetchone()
        con.execute("BEGIN IMMEDIATE")
        try:
            if row is not None:
                con.execute("DROP TRIGGER events_refuse_delete")
            con.execute("DELETE FROM events WHERE position > ?", (until,))
            con.execute("DELETE FROM snapshots WHERE position > ?", (until,))
            con.execute("DELETE FROM checkpoints")
            if row is not None:
                con.execute(str(row[0]))
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        _durable(con)
    finally:
        src.close()
        con.close()


def copy_prefix(source: Path, out: Path, until: int, head: int) -> str:
    """Blocking (run it in a thread). Writes `out` (which must not exist); returns the method."""
    if head > 0 and until >= head * PAGE_COPY_FROM:
        _by_pages(source, out, until)
        return "page copy + trim"
    _by_insert(source, out, until)
    return "insert-select"
