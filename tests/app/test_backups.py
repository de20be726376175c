"""`/admin backup` and the daily job: a verified copy, retention, and an event in the log."""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.adapters.console import Console
from app.adapters.scheduler import DAILY_BACKUP_JOB, build_scheduler
from app.bootstrap import App, open_app
from app.domain.admin import BackupMade

clock_now = [datetime(2026, 12, 1, 3, 0, tzinfo=UTC)]


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    clock_now[0] = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    async with open_app(
        tmp_path / "y.db",
        clock=lambda: clock_now[0],
        rng=random.Random(1),
        backup_dir=tmp_path / "backups",
        backup_keep=2,
    ) as a:
        yield a


async def backups_recorded(app: App) -> list[BackupMade]:
    return [r.event async for r in app.store.read_stream("admin/backups")]


async def test_admin_backup_makes_verified_copies_and_keeps_the_newest(
    app: App, tmp_path: Path
) -> None:
    out = io.StringIO()
    console = Console(app, out)
    await console.handle("/admin backup")
    assert "Only members with the Manage Server permission" in out.getvalue()
    await console.handle(":admin on")
    await console.handle('/santa start year:2026 budget:"10"')
    for hour in range(3):
        clock_now[0] = datetime(2026, 12, 1, 3 + hour, 0, tzinfo=UTC)
        await console.handle("/admin backup")
    text = out.getvalue()
    assert text.count("made and verified") == 3
    assert "Removed 1 older backup(s)." in text
    files = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert files == ["yulelog-20261201T040000Z.db", "yulelog-20261201T050000Z.db"]
    recorded = await backups_recorded(app)
    assert [e.file_name for e in recorded][-1] == "yulelog-20261201T050000Z.db"
    assert recorded[-1].pruned == ("yulelog-20261201T030000Z.db",)
    assert recorded[-1].requested_by == 1


async def test_daily_job_is_scheduled_and_records_a_backup(app: App) -> None:
    scheduler = build_scheduler(app, backup_hour_utc=3)
    job = scheduler.get_job(DAILY_BACKUP_JOB)
    assert job is not None
    assert str(job.trigger.fields[5]) == "3"  # the cron "hour" field
    scheduler.start()
    try:
        # Make the job due now instead of waiting for 03:00.
        scheduler.modify_job(
            DAILY_BACKUP_JOB, next_run_time=datetime.now(UTC) - timedelta(seconds=1)
        )
        scheduler.wakeup()
        for _ in range(200):
            if await backups_recorded(app):
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    recorded = await backups_recorded(app)
    assert len(recorded) == 1
    assert recorded[0].requested_by is None


async def test_no_daily_job_when_switched_off(app: App) -> None:
    assert build_scheduler(app, backup_hour_utc=None).get_job(DAILY_BACKUP_JOB) is None


async def test_an_unwritable_backup_folder_is_a_clear_refusal(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the backup folder should be")
    async with open_app(tmp_path / "y.db", backup_dir=blocker / "backups") as app:
        out = io.StringIO()
        console = Console(app, out)
        await console.handle(":admin on")
        await console.handle("/admin backup")
    assert "The backup failed and nothing was kept: could not write to" in out.getvalue()
