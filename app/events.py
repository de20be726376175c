"""The application's event registry: every domain module's events under `<capability>.<ClassName>`.

One registry for the bot, the console and the admin tooling, so a name in the log always maps to the
same class and version everywhere. Domain modules stay ignorant of the store: they only list
`EVENT_TYPES` as (class, current version) pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import msgspec

from app.domain import admin, santa
from eventstore import EventRegistry

EventTypes = Iterable[tuple[type[msgspec.Struct], int]]

#: (prefix, event types) of every capability; adding a capability means adding a line here.
CAPABILITIES: tuple[tuple[str, EventTypes], ...] = (
    ("santa", santa.EVENT_TYPES),
    ("admin", admin.EVENT_TYPES),
)


def build_registry() -> EventRegistry:
    registry = EventRegistry()
    for prefix, types in CAPABILITIES:
        for cls, version in types:
            registry.register(cls, name=f"{prefix}.{cls.__name__}", version=version)
    return registry


@cache
def app_registry() -> EventRegistry:
    """One registry per process: its decoders are cached inside it."""
    return build_registry()
