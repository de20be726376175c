"""Copies of a live log: a full online backup and a verified prefix copy for restores.

Both run in a worker thread on their own connection. The backup uses SQLite's backup API in a single
step: in WAL mode that is one read transaction, so it sees one consistent commit point while the
writer keeps appending (readers never block the WAL writer), and it cannot be restarted forever by
concurrent writes the way a paged backup from another connection would be.
"""

from __future__ import annotations

import os
import sqlite3

from eventstore.errors import BackupError
from eventstore.integrity import verify_connection
from eventstore.records import VerifyResult
from eventstore.schema import ALL_COLUMNS, INSERT_EVENT, check_format, initialise

_CHUNK = 5000


def _refuse_existing(out_path: str) -> None:
    if os.path.exists(out_path):
        raise FileExistsError(f"{out_path} already exists; refusing to overwrite it")


def _verified(out_path: str) -> VerifyResult:
    con = sqlite3.connect(out_path, isolation_level=None)
    try:
        check_format(con, out_path)
        result = verify_connection(con)
    finally:
        con.close()
    if not result.ok:
        raise BackupError(
            f"{out_path}: copy does not verify at position {result.first_bad_position}: "
            f"{result.reason}"
        )
    return result


def backup_to(source: sqlite3.Connection, out_path: str) -> VerifyResult:
    _refuse_existing(out_path)
    dest = sqlite3.connect(out_path, isolation_level=None)
    try:
        # No journal and no fsync per step while a brand-new file fills (40% faster measured on a
        # 744 MB log); one fsync at the end makes it durable before anyone is told it exists.
        dest.execute("PRAGMA journal_mode = OFF")
        dest.execute("PRAGMA synchronous = OFF")
        source.backup(dest)
        dest.execute("PRAGMA journal_mode = WAL")
    finally:
        dest.close()
    fsync_file(out_path)
    return _verified(out_path)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Makes a file written with ``synchronous = OFF`` durable before it is handed over."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_prefix(source: sqlite3.Connection, out_path: str, until_position: int) -> VerifyResult:
    """A new store holding events 1..until_position and the snapshots that still apply to them.

    Checkpoints are not copied: they record side effects already performed by the live system, which
    a restored copy has not performed.
    """
    _refuse_existing(out_path)
    dest = sqlite3.connect(out_path, isolation_level=None)
    try:
        initialise(dest, out_path)
        source.execute("BEGIN")  # one snapshot of the source for the whole copy
        try:
            dest.execute("BEGIN IMMEDIATE")
            cur = source.execute(
                f"SELECT {ALL_COLUMNS} FROM events WHERE position <= ? ORDER BY position",
                (until_position,),
            )
            while rows := cur.fetchmany(_CHUNK):
                dest.executemany(INSERT_EVENT, rows)
            snaps = source.execute(
                "SELECT name, position, data, created_at FROM snapshots WHERE position <= ?",
                (until_position,),
            ).fetchall()
            dest.executemany(
                "INSERT INTO snapshots (name, position, data, created_at) VALUES (?, ?, ?, ?)",
                snaps,
            )
            dest.execute("COMMIT")
        finally:
            source.execute("COMMIT")
    finally:
        dest.close()
    return _verified(out_path)
