"""The CLI as admins run it (`python scripts/replay.py ...` in a subprocess): every subcommand has
`--help`, and refuses a missing file, a foreign database or a bad `--at` with a clear message and a
non-zero exit, never a traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.replaytool.generate import GeneratedLog

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "replay.py"


def replay(*argv: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )


def argv_for(command: str, db: Path, tmp: Path) -> list[str | Path]:
    """Each subcommand with its required flags (outputs under tmp, never existing)."""
    extra: dict[str, list[str | Path]] = {
        "verify": [],
        "stats": [],
        "audit": [],
        "rebuild": [],
        "state": ["--at", "1"],
        "restore": ["--at", "1", "--out", tmp / "restored.db"],
        "history": ["--guild", "1"],
        "backup": ["--out", tmp / "backup.db"],
    }
    return [command, "--db", db, *extra[command]]


COMMANDS = ["verify", "stats", "audit", "rebuild", "state", "restore", "history", "backup"]


def assert_clean_refusal(run: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    for needle in needles:
        assert needle in run.stderr, run.stderr


def test_every_subcommand_has_help() -> None:
    top = replay("--help")
    assert top.returncode == 0
    for command in COMMANDS:
        assert command in top.stdout
        run = replay(command, "--help")
        assert run.returncode == 0, run.stderr
        assert "--db" in run.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_file_is_refused(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    run = replay(*argv_for(command, missing, tmp_path))
    assert_clean_refusal(run, f"{missing}: no such file")
    assert not missing.exists()
    assert not any(tmp_path.iterdir()), "nothing may be created for a refused command"


@pytest.fixture
def foreign_db(tmp_path: Path) -> Path:
    path = tmp_path / "other-app.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO users (name) VALUES ('ann')")
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("command", COMMANDS)
def test_foreign_sqlite_database_is_refused_and_untouched(
    command: str, foreign_db: Path, tmp_path: Path
) -> None:
    before = foreign_db.read_bytes()
    run = replay(*argv_for(command, foreign_db, tmp_path))
    assert_clean_refusal(run, "not a Yulelog database")
    assert foreign_db.read_bytes() == before
    assert not (tmp_path / "restored.db").exists()
    assert not (tmp_path / "backup.db").exists()


@pytest.mark.parametrize("command", ["verify", "state", "backup"])
def test_a_file_that_is_not_sqlite_is_refused(command: str, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("dear santa\n" * 20)
    run = replay(*argv_for(command, path, tmp_path))
    assert_clean_refusal(run, "not a Yulelog database")


@pytest.mark.parametrize("command", ["state", "restore"])
@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("yesterday", "is not an ISO-8601 time"),
        ("0", "positions start at 1"),
        ("99999999", "past the end of the log"),
        ("1999-01-01", "before the first event"),
        ("2025-02-30", "is not an ISO-8601 time"),
    ],
)
def test_bad_at_is_refused(
    command: str, at: str, message: str, generated: GeneratedLog, tmp_path: Path
) -> None:
    argv = argv_for(command, generated.path, tmp_path)
    argv[argv.index("--at") + 1] = at
    run = replay(*argv)
    assert_clean_refusal(run, message)
    assert not (tmp_path / "restored.db").exists()


def test_verify_and_restore_from_another_directory(generated: GeneratedLog, tmp_path: Path) -> None:
    run = replay("verify", "--db", generated.path, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"verified {generated.event_count} events"
    run = replay(
        "restore", "--db", generated.path, "--at", "2024-12-31", "--out", "r.db", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "r.db").exists()


def test_restore_at_the_end_says_nothing_was_left_out(
    generated: GeneratedLog, tmp_path: Path
) -> None:
    at = str(generated.event_count)
    run = replay("restore", "--db", generated.path, "--at", at, "--out", "r.db", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "left out: nothing (that point is the end of the log)" in run.stdout
