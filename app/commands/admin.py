"""`/admin …` commands that every front end offers (Discord adds gateway facts of its own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.bootstrap import App
from app.commands.spec import CommandSpec, Invocation, Reply


def admin_specs(app: App) -> list[CommandSpec]:
    async def health(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        now = app.service.clock()
        uptime = int((now - app.started_at).total_seconds())
        head = await app.store.head_position()
        return Reply(
            f"Yulelog is up ({uptime // 3600}h {uptime % 3600 // 60}m). "
            f"Event log: {head} events, read models at {app.runner.position}."
        )

    return [CommandSpec(("admin", "health"), "Is the bot healthy?", health, manage_server=True)]
