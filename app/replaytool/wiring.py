"""Which event types and read models the tool knows: the app's, found the same way the bot finds
them.

The registry is built from each domain module's `EVENT_TYPES` (list of (cls, version)), registered
as `"<capability>.<ClassName>"`, plus this package's own `admin.*` events. Events of types no module
registers still verify, list and count; only their payload stays undecoded (`rec.event is None`).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType
from typing import Any

import msgspec

from app.replaytool import events as admin_events
from eventstore import EventRegistry, Projection


def _event_modules() -> list[ModuleType]:
    import app.domain

    found: list[ModuleType] = []
    for info in sorted(pkgutil.iter_modules(app.domain.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"app.domain.{info.name}")
        if hasattr(module, "EVENT_TYPES"):
            found.append(module)
    found.append(admin_events)
    return found


def _prefix(module: ModuleType) -> str:
    prefix = getattr(module, "EVENT_NAME_PREFIX", None)
    if not isinstance(prefix, str) or not prefix.strip("."):
        prefix = module.__name__.rsplit(".", 1)[-1]
    return prefix.rstrip(".") + "."


def register_module_events(registry: EventRegistry, module: ModuleType) -> None:
    event_types: list[tuple[type[msgspec.Struct], int]] = module.EVENT_TYPES
    prefix = _prefix(module)
    for cls, version in event_types:
        name = prefix + cls.__name__
        if name not in registry:
            registry.register(cls, name=name, version=version)


@cache
def app_registry() -> EventRegistry:
    """One registry per process (decoders are cached inside it)."""
    registry = EventRegistry()
    for module in _event_modules():
        register_module_events(registry, module)
    return registry


def app_projections() -> list[Projection[Any]]:
    """The read models `state` and `rebuild` fold: this tool's Santa history."""
    from app.replaytool.history import SantaHistoryProjection

    return [SantaHistoryProjection()]
