"""What the Discord adapter needs from the rest of the bot, as one small injectable object.

The adapter never imports the domain or the store: the composition root builds a `BotServices`
and every command receives it through lightbulb's dependency injection, so tests pass fakes the
same way production passes the real service.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import msgspec

from app.adapters.discord.dispatcher import DispatcherStatus, Outbox
from app.adapters.discord.gateway_watch import GatewayWatch


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """What the user sees. Ephemeral by default: most answers concern only the person asking."""

    text: str
    ephemeral: bool = True


class StoreStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The event store as `/admin health` reports it."""

    ok: bool
    position: int
    detail: str = ""


class StoreProbe(Protocol):
    """Cheap check that the store answers, and its current position."""

    async def __call__(self) -> StoreStatus: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BotServices:
    """Everything commands may use, registered once per lightbulb client.

    Commands themselves run through `app.commands.run.invoke` (see `specs.py`), the one command
    path every front end shares; these are the adapter's own needs.
    `store_probe`: what `/admin health` reports about the log and the read models.
    `outbox`: due DMs and posts; when given, the runners start a `Dispatcher` over it.
    `clock`: monotonic seconds, injectable so cooldown and uptime tests need no sleeping.
    """

    store_probe: StoreProbe | None = None
    outbox: Outbox | None = None
    clock: Callable[[], float] = time.monotonic


@dataclass(slots=True, kw_only=True)
class BotRuntime:
    """Facts about the running bot that only the adapter knows (mode, start time, latency, the
    gateway's disconnections, and the DM dispatcher's liveness once the runner has started one)."""

    mode: Literal["gateway", "http"]
    started_at: float
    latency: Callable[[], float | None] = field(default=lambda: None)
    dispatcher: Callable[[], DispatcherStatus | None] = field(default=lambda: None)
    gateway: GatewayWatch | None = None
