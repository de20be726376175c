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

from app.adapters.discord.dispatcher import Outbox


class Invocation(msgspec.Struct, frozen=True, kw_only=True):
    """Who asked for what, where: enough for idempotency (interaction id) and correlation."""

    interaction_id: int
    guild_id: int | None
    channel_id: int
    user_id: int
    locale: str = "en-US"


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """What the user sees. Ephemeral by default: most answers concern only the person asking."""

    text: str
    ephemeral: bool = True


class StoreStatus(msgspec.Struct, frozen=True, kw_only=True):
    """The event store as `/admin health` reports it."""

    ok: bool
    position: int
    detail: str = ""


class CommandExecutor(Protocol):
    """The one command path: a command Struct in, a reply out (raising a user error on refusal)."""

    async def __call__(self, command: object, invocation: Invocation, /) -> Reply: ...


class StoreProbe(Protocol):
    """Cheap check that the store answers, and its current position."""

    async def __call__(self) -> StoreStatus: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class BotServices:
    """Everything commands may use, registered once per lightbulb client.

    `execute`: the path for commands written against `execute_and_reply`; commands built from the
    shared specs (`specs.py`) run through `app.commands.run` instead and do not need it.
    `user_error_types`: exceptions whose `str()` is a sentence meant for the user (e.g. the domain's
    `DomainError`); any other exception is reported as an internal error with a reference.
    `outbox`: due DMs and posts; when given, the runners start a `Dispatcher` over it.
    `clock`: monotonic seconds, injectable so cooldown and uptime tests need no sleeping.
    """

    execute: CommandExecutor | None = None
    store_probe: StoreProbe | None = None
    outbox: Outbox | None = None
    user_error_types: tuple[type[Exception], ...] = ()
    clock: Callable[[], float] = time.monotonic


@dataclass(slots=True, kw_only=True)
class BotRuntime:
    """Facts about the running bot that only the adapter knows (mode, start time, latency)."""

    mode: Literal["gateway", "http"]
    started_at: float
    latency: Callable[[], float | None] = field(default=lambda: None)
