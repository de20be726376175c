"""Given a bot appending to the log, `backup` and `make_backup` copy a consistent, verified prefix;
retention keeps the newest N backups and nothing else is touched."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.domain.admin import BackupMade
from app.replaytool.backup import (
    BACKUP_STREAM,
    backup_made_event,
    backup_to,
    list_backups,
    make_backup,
    record_backup,
)
from app.replaytool.errors import ToolError
from app.replaytool.wiring import app_registry
from eventstore import EventStore
from tests.replay.conftest import run_cli
from tests.replay.test_cli import SCRIPT

NOW = datetime(2026, 12, 24, 3, 0, tzinfo=UTC)


def _hashes(path: Path) -> list[bytes]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [bytes(r[0]) for r in con.execute("SELECT hash FROM events ORDER BY position")]
    finally:
        con.close()


def _has_wal(path: Path) -> bool:
    return Path(f"{path}-wal").exists()


class Appender:
    """A stand-in for the running bot: appends one event at a time until told to stop."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.count = 0
        self.stop = False
        self._progress = asyncio.Event()

    async def run(self, limit: int = 20_000) -> None:
        for i in range(limit):
            if self.stop:
                return
            event = BackupMade(
                file_name=f"filler-{i}",
                size_bytes=i,
                last_position=i,
                event_count=i,
                taken_at=NOW,
                keep=1,
            )
            await self.store.append("admin/filler", [event], expected_version=i)
            self.count += 1
            self._progress.set()

    async def wait_for_more(self, n: int) -> None:
        target = self.count + n
        while self.count < target:
            self._progress.clear()
            await asyncio.wait_for(self._progress.wait(), 30)


async def test_backup_during_concurrent_appends_is_a_verified_consistent_prefix(
    log_copy: Path, tmp_path: Path
) -> None:
    async with EventStore(log_copy, registry=app_registry()) as store:
        start_head = await store.head_position()
        appender = Appender(store)
        task = asyncio.create_task(appender.run())
        results = []
        try:
            for i in range(3):
                await appender.wait_for_more(10)
                size, report = await backup_to(log_copy, tmp_path / f"b{i}.db")
                results.append((tmp_path / f"b{i}.db", report))
                assert size > 0
            await appender.wait_for_more(10)
        finally:
            appender.stop = True
            await task
        final_head = await store.head_position()

    source = _hashes(log_copy)
    assert len(source) == final_head
    previous = start_head
    for path, report in results:
        assert report.ok
        copied = _hashes(path)
        assert len(copied) == report.event_count
        assert start_head + 10 <= len(copied) < final_head  # taken while appends went on
        assert len(copied) >= previous
        assert copied == source[: len(copied)]  # the very same prefix, hash for hash
        previous = len(copied)


async def test_cli_backup_while_the_bot_appends(log_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-backup.db"
    async with EventStore(log_copy, registry=app_registry()) as store:
        appender = Appender(store)
        task = asyncio.create_task(appender.run())
        try:
            await appender.wait_for_more(5)
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                str(SCRIPT),
                "backup",
                "--db",
                str(log_copy),
                "--out",
                str(out),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
        finally:
            appender.stop = True
            await task
    assert proc.returncode == 0, stderr.decode()
    assert "verified" in stdout.decode()
    copied = _hashes(out)
    assert copied == _hashes(log_copy)[: len(copied)]
    assert not _has_wal(out), "a backup is one self-contained file"


async def test_make_backup_keeps_the_newest_n_and_touches_nothing_else(
    log_copy: Path, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "notes.txt").write_text("keep me")
    (backups / "yulelog-manual.db").write_bytes(b"an admin's own copy")
    made = []
    for day in range(5):
        result = await make_backup(log_copy, backups, keep=3, now=NOW + timedelta(days=day))
        made.append(result)
        assert result.report.ok
        assert result.path.name == f"yulelog-{NOW + timedelta(days=day):%Y%m%dT%H%M%SZ}.db"
    assert [p.name for p in list_backups(backups)] == [r.path.name for r in made[-3:]]
    assert made[3].pruned == (made[0].path,)
    assert made[4].pruned == (made[1].path,)
    assert (backups / "notes.txt").read_text() == "keep me"
    assert (backups / "yulelog-manual.db").exists()
    assert not [p for p in backups.iterdir() if p.name.startswith(".")], "no partial files left"


async def test_backups_in_the_same_second_all_survive(log_copy: Path, tmp_path: Path) -> None:
    first = await make_backup(log_copy, tmp_path, keep=5, now=NOW)
    second = await make_backup(log_copy, tmp_path, keep=5, now=NOW)
    assert first.path != second.path
    assert second.path.name.endswith("-1.db")
    # the scheduler and `/admin backup` at the same moment
    both = await asyncio.gather(
        make_backup(log_copy, tmp_path, keep=5, now=NOW),
        make_backup(log_copy, tmp_path, keep=5, now=NOW),
    )
    names = {first.path.name, second.path.name, *(r.path.name for r in both)}
    assert len(names) == 4
    assert [p.name for p in list_backups(tmp_path)] == sorted(names, key=lambda n: (len(n), n))


async def test_backup_made_is_a_registered_event_the_bot_can_record(
    log_copy: Path, tmp_path: Path
) -> None:
    result = await make_backup(log_copy, tmp_path / "b", keep=2, now=NOW)
    event = backup_made_event(result, requested_by=42)
    assert app_registry().type_of(BackupMade) == ("admin.BackupMade", 1)
    async with EventStore(":memory:", registry=app_registry()) as store:
        await store.append("admin/backups", [event], expected_version=0)
        recs = [r async for r in store.read_all()]
    assert recs[0].type == "admin.BackupMade"
    assert recs[0].event == event
    assert event.last_position == result.last_position == result.event_count
    assert event.file_name == result.path.name


async def test_record_backup_appends_once_even_when_retried(log_copy: Path, tmp_path: Path) -> None:
    result = await make_backup(log_copy, tmp_path / "b", keep=2, now=NOW)
    async with EventStore(":memory:", registry=app_registry()) as store:
        first = await record_backup(store, result)
        again = await record_backup(store, result)
        assert again == first
        assert await store.stream_version(BACKUP_STREAM) == 1
    assert first.type == "admin.BackupMade"
    assert first.event.requested_by is None


async def test_make_backup_of_a_foreign_file_fails_and_leaves_no_files(tmp_path: Path) -> None:
    foreign = tmp_path / "other.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    backups = tmp_path / "backups"
    with pytest.raises(ToolError, match="not a Yulelog database"):
        await make_backup(foreign, backups, keep=3, now=NOW)
    assert list(backups.iterdir()) == []


async def test_make_backup_rejects_a_naive_time_or_keep_below_one(
    log_copy: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="keep"):
        await make_backup(log_copy, tmp_path, keep=0, now=NOW)
    with pytest.raises(ValueError, match="timezone"):
        await make_backup(log_copy, tmp_path, keep=1, now=NOW.replace(tzinfo=None))


async def test_read_subcommands_work_while_the_bot_appends(log_copy: Path) -> None:
    async with EventStore(log_copy, registry=app_registry()) as store:
        start = await store.head_position()
        appender = Appender(store)
        task = asyncio.create_task(appender.run())
        try:
            await appender.wait_for_more(3)
            runs = {}
            for argv in (
                ("verify",),
                ("stats",),
                ("state", "--at", str(start)),
                ("audit", "--json", "--stream", "admin/filler"),
                ("rebuild",),
            ):
                runs[argv[0]] = await asyncio.to_thread(
                    run_cli, argv[0], "--db", log_copy, *argv[1:]
                )
                await appender.wait_for_more(1)  # the bot really is writing in between
        finally:
            appender.stop = True
            await task
    for name, run in runs.items():
        assert run.code == 0, (name, run.err)
    verified = int(runs["verify"].out.split()[1])
    assert start < verified < start + appender.count
    assert runs["audit"].out.count("\n") >= 3


def test_cli_backup_refuses_an_existing_file(log_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "exists.db"
    out.write_bytes(b"an older backup")
    run = run_cli("backup", "--db", log_copy, "--out", out)
    assert run.code == 1
    assert "already exists" in run.err
    assert out.read_bytes() == b"an older backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "exists.db"]
