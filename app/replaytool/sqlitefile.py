"""Plain-sqlite3 helpers the tool needs before (or instead of) the event store: file checks, read-
only connections and the online backup API.

Everything here opens the source with `mode=ro` so no code path of the tool can write to the bot's
database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from app.replaytool.errors import ToolError

_SQLITE_MAGIC = b"SQLite format 3\x00"


def check_source_file(path: Path) -> None:
    """Refuse, with a sentence an admin can act on, anything that is not an existing SQLite file."""
    if not path.exists():
        raise ToolError(f"{path}: no such file")
    if not path.is_file():
        raise ToolError(f"{path}: not a regular file")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise ToolError(f"{path}: cannot read ({exc.strerror})") from None
    if head != _SQLITE_MAGIC:
        raise ToolError(f"{path}: not a Yulelog database (not an SQLite file)")


def check_new_file(path: Path) -> None:
    """Outputs are never overwritten: a typo must not destroy an earlier backup or restore."""
    if path.exists() or path.is_symlink():
        raise ToolError(f"{path}: already exists; refusing to overwrite (choose a new path)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ToolError(f"{parent}: no such directory for the output file")


def ro_uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def connect_ro(path: Path) -> sqlite3.Connection:
    """A read-only connection; `busy_timeout` so a writer's commit does not fail a reader."""
    conn = sqlite3.connect(ro_uri(path), uri=True, timeout=30.0)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def table_names(path: Path) -> set[str]:
    conn = connect_ro(path)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise ToolError(f"{path}: not a Yulelog database ({exc})") from None
    finally:
        conn.close()
    return {str(r[0]) for r in rows}


def online_copy(source: Path, dest: Path) -> None:
    """Copy with the SQLite online backup API in ONE step.

    One step (`pages=-1`) reads the whole database inside a single read transaction, so the copy is
    exactly the database as of one commit even while the bot keeps appending (WAL readers never
    block the writer). Copying in small steps would restart every time the bot commits and could
    starve under steady writes.
    """
    src = connect_ro(source)
    try:
        dst = sqlite3.connect(str(dest))
        try:
            src.backup(dst, pages=-1)
            # A standalone copy: fold any WAL content into the main file so one file is the whole
            # backup.
            dst.execute("PRAGMA journal_mode = DELETE")
            dst.commit()
        finally:
            dst.close()
    finally:
        src.close()


def remove_quietly(path: Path) -> None:
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            os.remove(candidate)


def publish_new(partial: Path, out: Path) -> None:
    """Give a finished, verified file its final name without ever replacing an existing file.

    A hard link is atomic and fails if `out` appeared meanwhile; where links are not supported the
    check-then-rename leaves only a tiny window.
    """
    try:
        os.link(partial, out)
    except FileExistsError:
        raise ToolError(
            f"{out}: already exists; refusing to overwrite (choose a new path)"
        ) from None
    except OSError:
        check_new_file(out)
        os.replace(partial, out)
        return
    os.remove(partial)
