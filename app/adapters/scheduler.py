"""Scheduled jobs (APScheduler 3, in memory): the daily backup.

Schedules are not a second source of truth: jobs live in APScheduler's memory store, are built from
settings at start, and everything a job does is recorded in the log (`admin.BackupMade`). A job that
fails is logged with its traceback and tried again the next day; it never takes the bot down.
"""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from app.backups import take_backup
from app.bootstrap import App

log = logging.getLogger("yulelog.scheduler")

DAILY_BACKUP_JOB = "daily-backup"


async def daily_backup(app: App) -> None:
    try:
        await take_backup(app)
    except Exception:
        log.exception("daily backup failed; the next attempt is tomorrow")


def build_scheduler(app: App, backup_hour_utc: int | None) -> AsyncIOScheduler:
    """A scheduler (not yet started) with the daily backup at `backup_hour_utc`:00 UTC, if any.

    `coalesce` runs a backup missed while the bot was down once, not once per missed day, and only
    within the grace period, so a restart at noon does not take a surprise backup.
    """
    scheduler = AsyncIOScheduler(timezone=UTC)
    if backup_hour_utc is not None and app.backup_dir is not None:
        scheduler.add_job(
            daily_backup,
            CronTrigger(hour=backup_hour_utc, minute=0, timezone=UTC),
            args=[app],
            id=DAILY_BACKUP_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler
