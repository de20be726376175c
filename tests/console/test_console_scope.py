"""Pointed at a live bot's log, the console must not read out or settle other DMs."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime
from pathlib import Path

from app.adapters.console import Console
from app.bootstrap import open_app
from app.domain import santa as s
from app.projections import santa as views
from app.reference import with_reference

NOW = datetime(2026, 11, 22, tzinfo=UTC)


async def test_console_leaves_other_servers_dms_alone(tmp_path: Path) -> None:
    async with open_app(tmp_path / "y.db", clock=lambda: NOW, rng=random.Random(2)) as app:
        # A season drawn by "the bot" in server 7: three draw notices due, not yet sent.
        deadline = datetime(2026, 12, 24, tzinfo=UTC)
        await app.santa(
            s.OpenSeason(
                guild_id=7,
                actor_id=1,
                actor_name="Org",
                year=2026,
                budget="",
                signup_deadline=deadline,
                gift_deadline=deadline,
            ),
            idempotency_key=None,
        )
        for member in (1, 2, 3):
            await app.santa(
                s.JoinSeason(guild_id=7, actor_id=member, display_name=f"m{member}"),
                idempotency_key=None,
            )
        await app.santa(s.DrawAssignments(guild_id=7, actor_id=1), idempotency_key=None)
        due = views.pending_messages(app.view(views.SantaOutboxProjection))
        assert len(due) == 3

        out = io.StringIO()
        console = Console(app, out)
        await console.handle(":admin on")
        await console.handle("/santa start year:2026")  # server 1, the console's default
        assert "[dm" not in out.getvalue()
        assert len(views.pending_messages(app.view(views.SantaOutboxProjection))) == 3

        # Asked explicitly, in that server, the console delivers what is due there.
        await console.handle(":guild 7")
        await console.handle(":deliver")
        assert out.getvalue().count("[dm ") == 3
        for message_id, dm in due:  # each printed as Discord would show it, reference line last
            assert (
                f"[dm {dm.recipient_id}] {with_reference(dm.text, message_id)}\n" in out.getvalue()
            )
        assert views.pending_messages(app.view(views.SantaOutboxProjection)) == []
