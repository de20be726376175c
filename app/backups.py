"""Backups as the bot takes them: a verified online copy, retention, and an event saying so.

Shared by `/admin backup` and the daily scheduler job, so both leave the same trace in the log
(`admin.BackupMade`) and obey the same retention.
"""

from __future__ import annotations

import logging

from app.bootstrap import App
from app.replaytool.backup import BackupResult, make_backup, record_backup
from app.replaytool.errors import ToolError

log = logging.getLogger("yulelog.backups")


class BackupUnavailable(Exception):
    """Backups are not configured for this process (or the log is in memory)."""

    message = "Backups are not set up for this bot (no BACKUP_DIR, or the log is in memory)."


async def take_backup(app: App, *, requested_by: int | None = None) -> BackupResult:
    """Copies the live log, verifies the copy, prunes old copies, then records `admin.BackupMade`."""
    if app.backup_dir is None or app.store.path == ":memory:":
        raise BackupUnavailable
    try:
        result = await make_backup(
            app.store.path, app.backup_dir, app.backup_keep, app.service.clock()
        )
    except OSError as exc:
        raise ToolError(f"could not write to {app.backup_dir}: {exc.strerror or exc}") from exc
    await record_backup(app.store, result, requested_by)
    log.info(
        "backup %s: %d events, %d bytes, pruned %d",
        result.path.name,
        result.event_count,
        result.size_bytes,
        len(result.pruned),
    )
    return result
