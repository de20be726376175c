"""The on-disk format: tables, append-only triggers, the format marker, and connection settings.

Each event row keeps every field in its own column (indexes, SQL inspection, the hash chain) plus
``head``: the MessagePack encoding of the record without its payload, written once by the writer.
Readers fetch only ``(head, data)`` and decode thousands of heads with one msgspec call; fetching
eleven separate columns through the sqlite3 module cost more than everything else in a replay.
`verify` checks every head against its columns, so the copy cannot drift unnoticed.

A file is recognised by ``PRAGMA application_id`` *and* a ``meta`` row, so tools can refuse an
unrelated SQLite database with a clear message instead of creating tables in it or misreading it.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from datetime import UTC, datetime

from eventstore.errors import NotAnEventStore

APPLICATION_ID = 0x59554C45  # "YULE"
FORMAT = "yulelog-eventstore/1"
MEMORY = ":memory:"
PAGE_SIZE = 8192

EVENT_COLUMNS = (
    "position, stream_id, version, type, schema_version, event_id, recorded_at, "
    "causation_id, correlation_id, data, hash"
)

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    f"INSERT OR IGNORE INTO meta (key, value) VALUES ('format', '{FORMAT}')",
    """CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY,
        stream_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        event_id BLOB NOT NULL UNIQUE,
        recorded_at TEXT NOT NULL,
        causation_id TEXT,
        correlation_id TEXT,
        data BLOB NOT NULL,
        hash BLOB NOT NULL,
        head BLOB NOT NULL,
        UNIQUE (stream_id, version)
    )""",
    """CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'eventstore: events are append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'eventstore: events are append-only (DELETE refused)'); END""",
    """CREATE TABLE IF NOT EXISTS snapshots (
        name TEXT NOT NULL,
        position INTEGER NOT NULL,
        data BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (name, position)
    )""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        name TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    f"PRAGMA application_id = {APPLICATION_ID}",
)

ALL_COLUMNS = EVENT_COLUMNS + ", head"
READ_COLUMNS = "head, data"
"""What the read path fetches: two values per row, as a raw scan of (type, data) would."""

INSERT_EVENT = f"INSERT INTO events ({ALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def format_time(moment: datetime) -> str:
    """Fixed-width UTC text: sorts like the instant it names, and msgspec parses it in C on read."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("recorded_at must be timezone-aware (UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ro_uri(path: str) -> str:
    return "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"


def connect(path: str, *, readonly: bool) -> sqlite3.Connection:
    """An autocommit connection (explicit BEGIN/COMMIT), usable by whichever thread holds it."""
    if readonly:
        con = sqlite3.connect(
            _ro_uri(path), uri=True, isolation_level=None, check_same_thread=False
        )
    else:
        con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA busy_timeout = 10000")
    return con


def check_format(con: sqlite3.Connection, path: str) -> bool:
    """True when the database is ours, False when it is empty; raises for anything else."""
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise NotAnEventStore(f"{path}: not a SQLite database ({exc})") from exc
    if app_id == 0 and not tables:
        return False
    if app_id != APPLICATION_ID or "meta" not in tables:
        raise NotAnEventStore(f"{path}: not a Yulelog event store (application_id={app_id:#x})")
    row = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    if row is None or row[0] != FORMAT:
        found = None if row is None else row[0]
        raise NotAnEventStore(
            f"{path}: unsupported event store format {found!r}, expected {FORMAT!r}"
        )
    return True


def initialise(con: sqlite3.Connection, path: str) -> None:
    """Create the schema in an empty database (idempotent), after refusing foreign databases.

    The check and the creation share one IMMEDIATE transaction so two processes opening a new file
    at once cannot both decide it is empty and interleave their DDL.
    """
    if not check_format(con, path):  # before anything could modify a foreign file
        # Only takes effect while the file is still empty. Each group commit writes every page it
        # dirtied (random index pages) to the WAL; with 8 KiB pages the writer spent ~20% less CPU
        # per event than with the 4 KiB default, with replay speed unchanged.
        con.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    if path != MEMORY:
        mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise NotAnEventStore(f"{path}: could not switch to WAL journal mode (got {mode!r})")
    con.execute("PRAGMA synchronous = FULL")
    # Appends touch random pages of the event_id and (stream_id, version) indexes: keep a large
    # log's index pages cached instead of re-reading them from the OS for every group commit.
    con.execute("PRAGMA cache_size = -65536")
    con.execute("BEGIN IMMEDIATE")
    try:
        check_format(con, path)
        for statement in DDL:
            con.execute(statement)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
