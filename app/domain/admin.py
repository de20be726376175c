"""Events of the admin capability: operations that the log itself should remember (backups)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class BackupMade(msgspec.Struct, frozen=True, kw_only=True):
    """A verified backup file now exists (scheduled daily or `/admin backup`); older ones may have
    been pruned.

    Recorded by the bot after `make_backup` returns, so the log itself says which backups exist and
    up to which position each one holds.
    """

    file_name: str
    size_bytes: int
    last_position: int
    event_count: int
    taken_at: datetime
    keep: int
    pruned: tuple[str, ...] = ()
    requested_by: int | None = None  # Discord user id for `/admin backup`; None for the scheduler


EVENT_TYPES: list[tuple[type[msgspec.Struct], int]] = [(BackupMade, 1)]
"""Registered as `admin.<ClassName>` by `app.events`."""
