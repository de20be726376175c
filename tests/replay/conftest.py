"""Shared fixtures: one generated three-year, multi-server log per test session (read-only use)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.replaytool.cli import main
from app.replaytool.generate import GeneratedLog, GenSpec, generate_log

SPEC = GenSpec(years=(2024, 2025, 2026), guilds=5, members_per_guild=16, snapshot_every=300)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run_cli(*argv: str | Path | int) -> Run:
    """`main(argv)` in-process with stdout/stderr captured (argparse writes to sys.stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv], stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


def file_digest(path: Path) -> str:
    """The database file and, if present, its WAL: together they are the log's content."""
    digest = hashlib.sha256(path.read_bytes())
    wal = Path(f"{path}-wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GeneratedLog:
    path = tmp_path_factory.mktemp("gen") / "yulelog.db"
    return asyncio.run(generate_log(path, SPEC))


@pytest.fixture
def log_copy(generated: GeneratedLog, tmp_path: Path) -> Path:
    """A private copy for tests that damage or write to the log."""
    target = tmp_path / "copy.db"
    shutil.copyfile(generated.path, target)
    return target
