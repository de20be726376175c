"""Online, verified backups with retention: the CLI's `backup` and the bot's daily and `/admin
backup` job.

A backup is written under a temporary name, verified, and only then given its final name, so a file
named `yulelog-*.db` in the backup directory is always a complete, verified copy. Pruning happens
only after the new backup is verified: a failing backup never costs an old one.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.domain.admin import BackupMade
from app.replaytool.errors import ToolError
from app.replaytool.logaccess import VerifyReport, open_log, verify_database
from app.replaytool.sqlitefile import check_new_file, online_copy, publish_new, remove_quietly
from eventstore import ANY, EventStore, NewEvent, RecordedEvent

_NAME = re.compile(r"^yulelog-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$")


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size_bytes: int
    report: VerifyReport
    taken_at: datetime
    keep: int
    pruned: tuple[Path, ...] = field(default=())

    @property
    def event_count(self) -> int:
        return self.report.event_count

    @property
    def last_position(self) -> int:
        return self.report.last_position


async def _verified_copy(db_path: Path, partial: Path) -> VerifyReport:
    """Online copy into `partial` (a private temporary name), verified; removed again on failure."""
    async with open_log(db_path):  # refuse a foreign source before creating anything
        pass
    remove_quietly(partial)
    try:
        # The backup API is blocking: a worker thread, so a bot calling this keeps serving.
        await asyncio.to_thread(online_copy, db_path, partial)
        report = await verify_database(partial)
    except BaseException:
        remove_quietly(partial)
        raise
    if not report.ok:
        remove_quietly(partial)
        raise ToolError(f"backup copy failed verification: {report.describe()}")
    return report


async def backup_to(db_path: Path, out_path: Path) -> tuple[int, VerifyReport]:
    """Copy `db_path` to the new file `out_path` and verify the copy; returns (size, report)."""
    check_new_file(out_path)
    partial = out_path.with_name(f".{out_path.name}.{uuid.uuid4().hex}.partial")
    report = await _verified_copy(db_path, partial)
    try:
        await asyncio.to_thread(publish_new, partial, out_path)
    finally:
        remove_quietly(partial)
    size = await asyncio.to_thread(os.path.getsize, out_path)
    return size, report


def backup_file_name(now: datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return f"yulelog-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.db"


def _sort_key(path: Path) -> tuple[str, int]:
    match = _NAME.match(path.name)
    assert match is not None
    return match.group(1), int(match.group(2) or 0)


def list_backups(backup_dir: Path) -> list[Path]:
    """Our backup files, oldest first; anything else in the directory is never touched."""
    found = [p for p in backup_dir.iterdir() if p.is_file() and _NAME.match(p.name)]
    return sorted(found, key=_sort_key)


def _publish_dated(partial: Path, backup_dir: Path, now: datetime) -> Path:
    """Link the verified copy under the first free dated name; atomic, so two backups started in
    the same second (scheduler and `/admin backup`) both survive under distinct names."""
    base = backup_file_name(now)
    for suffix in range(1000):
        name = base if suffix == 0 else base.replace(".db", f"-{suffix}.db")
        try:
            os.link(partial, backup_dir / name)
        except FileExistsError:
            continue
        return backup_dir / name
    raise ToolError(f"{backup_dir}: no free backup name for {base}")


def _prune(backup_dir: Path, keep: int, just_made: Path) -> tuple[Path, ...]:
    existing = list_backups(backup_dir)
    doomed = [p for p in existing[: max(0, len(existing) - keep)] if p != just_made]
    for old in doomed:
        remove_quietly(old)
    return tuple(doomed)


async def make_backup(
    db_path: str | os.PathLike[str],
    backup_dir: str | os.PathLike[str],
    keep: int,
    now: datetime,
) -> BackupResult:
    """Make a verified backup in `backup_dir`, then delete all but the `keep` newest backups.

    `now` is passed in (no clock inside) and names the file, so the scheduler and tests decide the
    time. Raises `ToolError` when the source is not a usable database or the copy does not verify.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    source, folder = Path(db_path), Path(backup_dir)
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    partial = folder / f".yulelog-{uuid.uuid4().hex}.partial"
    report = await _verified_copy(source, partial)
    try:
        target = await asyncio.to_thread(_publish_dated, partial, folder, now)
    finally:
        remove_quietly(partial)
    size = await asyncio.to_thread(os.path.getsize, target)
    pruned = await asyncio.to_thread(_prune, folder, keep, target)
    return BackupResult(
        path=target,
        size_bytes=size,
        report=report,
        taken_at=now.astimezone(UTC),
        keep=keep,
        pruned=pruned,
    )


def backup_made_event(result: BackupResult, requested_by: int | None = None) -> BackupMade:
    """The `admin.BackupMade` event the bot appends after a successful `make_backup`."""
    return BackupMade(
        file_name=result.path.name,
        size_bytes=result.size_bytes,
        last_position=result.last_position,
        event_count=result.event_count,
        taken_at=result.taken_at,
        keep=result.keep,
        pruned=tuple(p.name for p in result.pruned),
        requested_by=requested_by,
    )


BACKUP_STREAM = "admin/backups"
_BACKUP_IDS = uuid.UUID("2d7c9a54-3f1e-4b8a-9c6d-1e0f5a7b3c21")


async def record_backup(
    store: EventStore, result: BackupResult, requested_by: int | None = None
) -> RecordedEvent:
    """Append `admin.BackupMade` for `result` to the `admin/backups` stream.

    The event id derives from the backup's file name, so a retried recording (a crash between the
    backup and the append) returns the original record instead of recording twice. The store's
    registry must know `admin.BackupMade` (see `events.PREFIX`).
    """
    event = NewEvent(
        backup_made_event(result, requested_by),
        event_id=uuid.uuid5(_BACKUP_IDS, result.path.name),
    )
    records = await store.append(BACKUP_STREAM, [event], expected_version=ANY)
    return records[0]
