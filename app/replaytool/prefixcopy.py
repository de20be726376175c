"""Writing the new database for `restore`: events 1..P (and the snapshots at or before P) of a log.

The store's own `copy_until` inserts row by row from Python (measured here: ~17 µs per event, so
~17 s for a million), too slow for a restore at any point of a large log. This copies in SQLite's C
code instead, choosing per restore the cheaper way:

- most points: a fresh store (the store's own schema) filled by one `INSERT ... SELECT` from the
  source attached read-only, written without a journal (the file is new and only renamed into
  place once verified);
- the last few percent: the SQLite backup API (a page copy of the whole file) and then deleting
  the tail, with the append-only trigger dropped for that one transaction on the *copy* and
  recreated from the copy's own schema text.

Either way the copy reads the source in one read transaction (a consistent prefix while the bot
appends) and never writes it. Checkpoints are not copied (they describe side effects the live
process performed after the restore point), as in the store's `copy_until`. Of the read-model
snapshots (a disposable cache, most of a big log's bytes) only each projection's newest one at or
before the point is kept: that is all a bot opened on the copy loads. The caller verifies the
result.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from app.replaytool.sqlitefile import connect_ro, ro_uri
from eventstore.backup import fsync_file
from eventstore.schema import initialise

PAGE_COPY_FROM = 0.85
"""Fraction of the log from which copying all pages and trimming the tail beats inserting the
prefix. Measured on a 1M-event, 744 MB log (compressed snapshots): insert ~3.7 µs per copied event;
page copy ~1.8 s for the whole file plus ~6 µs per trimmed event (the trimmed file keeps the
original's size, its freed pages reused by later appends). Break-even is near 0.8."""

CACHE_KIB = 262_144
"""Page cache for the copy: keeps the unique indexes' random inserts in memory."""

_NEWEST_SNAPSHOTS = (
    "SELECT name, max(position) FROM {schema}.snapshots WHERE position <= ? GROUP BY name"
)


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
        # A new file, renamed into place only once verified: no journal, no fsync while filling.
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
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
            newest = con.execute(_NEWEST_SNAPSHOTS.format(schema="src"), (until,)).fetchall()
            con.executemany(
                f"INSERT INTO main.snapshots ({snapshots}) SELECT {snapshots} FROM src.snapshots "
                "WHERE name = ? AND position = ?",
                newest,
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
        # Unjournaled and unsynced while filling (a new file, published only once verified and
        # fsynced): the page copy took 1.75 s instead of 2.95 s for a 744 MB log.
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        src.backup(con, pages=-1)  # one step: one consistent read transaction on the source
        src.close()
        con.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        row = con.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'events_refuse_delete'"
        ).fetchone()
        con.execute("BEGIN IMMEDIATE")
        try:
            if row is not None:
                con.execute("DROP TRIGGER events_refuse_delete")
            con.execute("DELETE FROM events WHERE position > ?", (until,))
            newest = con.execute(_NEWEST_SNAPSHOTS.format(schema="main"), (until,)).fetchall()
            con.execute("DELETE FROM snapshots WHERE position > ?", (until,))
            for name, position in newest:
                con.execute(
                    "DELETE FROM snapshots WHERE name = ? AND position < ?", (name, position)
                )
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
        method = "page copy + trim"
    else:
        _by_insert(source, out, until)
        method = "insert-select"
    fsync_file(out)  # written with `synchronous = OFF`: durable before it is published
    return method
