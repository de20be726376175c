"""`restore` says when the copy holds DMs that a bot started on it would send (again)."""

from __future__ import annotations

import asyncio
import io
import random
from datetime import UTC, datetime
from pathlib import Path

from app.adapters.console import Console
from app.bootstrap import open_app
from app.domain import santa as s
from tests.replay.conftest import run_cli

NOW = datetime(2026, 11, 22, tzinfo=UTC)


async def _season_with_delivered_draw(path: Path) -> int:
    """A drawn season whose draw notices were then delivered; returns the draw's last position."""
    async with open_app(path, clock=lambda: NOW, rng=random.Random(4)) as app:
        console = Console(app, io.StringIO())
        await console.handle(":admin on")
        await console.handle("/santa start year:2026")
        for user in (1, 2, 3):
            await console.handle(f":user {user}")
            await console.handle("/santa join")
        await console.handle(":user 1")
        outcome = await app.santa(
            s.DrawAssignments(guild_id=1, actor_id=1, actor_is_admin=True), idempotency_key=None
        )
        drawn_at = outcome.records[-1].position
        await console.handle(":deliver")
        return drawn_at


def test_restore_between_due_and_delivered_warns(tmp_path: Path) -> None:
    db = tmp_path / "y.db"
    drawn_at = asyncio.run(_season_with_delivered_draw(db))
    before = run_cli("restore", "--db", db, "--at", drawn_at, "--out", tmp_path / "a.db")
    assert before.code == 0, before.err
    assert "note: 3 direct message(s) were due and not yet settled" in before.out
    after = run_cli("restore", "--db", db, "--at", drawn_at + 3, "--out", tmp_path / "b.db")
    assert after.code == 0, after.err
    assert "direct message(s)" not in after.out
