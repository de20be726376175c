"""`/admin …` commands that every front end offers (Discord adds gateway facts of its own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.backups import BackupUnavailable, take_backup
from app.bootstrap import App
from app.commands.spec import CommandSpec, Invocation, Reply
from app.replaytool.errors import ToolError


def admin_specs(app: App) -> list[CommandSpec]:
    async def health(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        now = app.service.clock()
        uptime = int((now - app.started_at).total_seconds())
        head = await app.store.head_position()
        return Reply(
            f"Yulelog is up ({uptime // 3600}h {uptime % 3600 // 60}m). "
            f"Event log: {head} events, read models at {app.runner.position}."
        )

    async def backup(inv: Invocation, o: Mapping[str, Any]) -> Reply:
        try:
            result = await take_backup(app, requested_by=inv.user_id)
        except BackupUnavailable as exc:
            return Reply(exc.message)
        except ToolError as exc:
            return Reply(f"The backup failed and nothing was kept: {exc}")
        pruned = f" Removed {len(result.pruned)} older backup(s)." if result.pruned else ""
        return Reply(
            f"Backup {result.path.name} made and verified: {result.event_count} events, "
            f"{result.size_bytes / 1_000_000:.1f} MB. Keeping the {app.backup_keep} newest.{pruned}"
        )

    return [
        CommandSpec(("admin", "health"), "Is the bot healthy?", health, manage_server=True),
        CommandSpec(
            ("admin", "backup"),
            "Make a verified backup of the event log now",
            backup,
            manage_server=True,
            cooldown_seconds=60.0,
            slow=True,
        ),
    ]
