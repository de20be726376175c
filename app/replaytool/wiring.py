"""The event types and read models the tool uses: exactly the bot's, from its composition root.

`app.events` builds the app's registry from every capability's `EVENT_TYPES`; this adds the admin
capability's own events (`admin.BackupMade`) when the app's registry does not list them yet, so the
tool decodes them either way. Events of types nobody registers still verify, list and count; only
their payload stays undecoded (`rec.event is None`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from app.bootstrap import app_projections as bot_projections
from app.events import build_registry
from app.replaytool import events as admin_events
from eventstore import EventRegistry, Projection


@cache
def app_registry() -> EventRegistry:
    """One registry per process (decoders are cached inside it)."""
    registry = build_registry()
    for cls, version in admin_events.EVENT_TYPES:
        if cls not in registry:
            registry.register(cls, name=f"{admin_events.PREFIX}.{cls.__name__}", version=version)
    return registry


def app_projections() -> list[Projection[Any]]:
    """Every read model the bot keeps (fresh instances), so snapshot names match the bot's."""
    return bot_projections()
