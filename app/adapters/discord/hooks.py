"""Shared lightbulb hooks: permission checks, cooldowns, option limits, duplicate guard.

Lightbulb's prefab cooldowns keep their state on module-level objects with a hidden clock, which
leaks between tests and between bots in one process. These hooks keep state in objects registered
per client through dependency injection, with the clock from `BotServices`.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import hikari
import lightbulb

from app.adapters.discord.logcontext import current_interaction
from app.adapters.discord.services import BotServices

MANAGE_SERVER: Final = hikari.Permissions.MANAGE_GUILD


class CommandRefused(Exception):
    """A refusal whose message is one sentence meant for the user."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class MissingPermission(CommandRefused):
    """The member lacks a permission the command needs."""


class OnCooldown(CommandRefused):
    """The command was used too often; `remaining` seconds until it may be used again."""

    def __init__(self, command: str, remaining: float) -> None:
        seconds = max(1, round(remaining + 0.499))
        unit = "second" if seconds == 1 else "seconds"
        super().__init__(f"/{command} is cooling down; try again in {seconds} {unit}.")
        self.remaining = remaining


class InvalidOption(CommandRefused):
    """An option value is outside its declared limits (too long, out of range, not a choice)."""


class DuplicateInteraction(Exception):
    """The same interaction arrived twice; the first delivery is (being) answered."""

    def __init__(self, interaction_id: int) -> None:
        super().__init__(f"interaction {interaction_id} was already received")
        self.interaction_id = interaction_id


@dataclass(slots=True)
class CooldownBook:
    """Sliding-window use counts per (command, bucket), on the services' clock."""

    clock: Callable[[], float]
    _uses: dict[tuple[str, int], collections.deque[float]] = field(default_factory=dict)

    def charge(self, key: tuple[str, int], window: float, allowed: int) -> float | None:
        """Record one use; return the seconds to wait instead when the window is full."""
        now = self.clock()
        uses = self._uses.setdefault(key, collections.deque())
        while uses and uses[0] <= now - window:
            uses.popleft()
        if len(uses) >= allowed:
            return uses[0] + window - now
        uses.append(now)
        return None


@dataclass(slots=True)
class SeenInteractions:
    """The most recent interaction ids, bounded, to answer a redelivered interaction once."""

    capacity: int = 4096
    _ids: collections.OrderedDict[int, None] = field(default_factory=collections.OrderedDict)

    def first_time(self, interaction_id: int) -> bool:
        if interaction_id in self._ids:
            return False
        self._ids[interaction_id] = None
        while len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True


def register_hook_state(client: lightbulb.Client, services: BotServices) -> None:
    """Give this client its own cooldown and duplicate-guard state."""
    registry = client.di.registry_for(lightbulb.di.Contexts.DEFAULT)
    registry.register_value(CooldownBook, CooldownBook(services.clock))
    registry.register_value(SeenInteractions, SeenInteractions())


def _permission_names(perms: hikari.Permissions) -> str:
    names = [
        (p.name or str(p)).replace("MANAGE_GUILD", "MANAGE_SERVER").replace("_", " ").title()
        for p in hikari.Permissions
        if p and p in perms and bin(p.value).count("1") == 1
    ]
    return " and ".join(names) or "a permission"


def require_permissions(perms: hikari.Permissions) -> lightbulb.ExecutionHook:
    """Refuse members without `perms` (Administrator passes), and refuse outside servers."""

    @lightbulb.hook(
        lightbulb.ExecutionSteps.CHECKS, skip_when_failed=True, name="require_permissions"
    )
    def _check(_: lightbulb.ExecutionPipeline, ctx: lightbulb.Context) -> None:
        member = ctx.member
        if member is None or ctx.guild_id is None:
            raise MissingPermission("This command works only inside a server.")
        if member.permissions & hikari.Permissions.ADMINISTRATOR:
            return
        missing = perms & ~member.permissions
        if missing:
            raise MissingPermission(
                f"You need the {_permission_names(missing)} permission to use this command."
            )

    return _check


manage_server_only: Final = require_permissions(MANAGE_SERVER)


def cooldown(
    window: float, allowed: int = 1, bucket: Literal["user", "guild", "global"] = "user"
) -> lightbulb.ExecutionHook:
    """At most `allowed` uses per `window` seconds per bucket; a refusal says how long to wait."""

    @lightbulb.hook(lightbulb.ExecutionSteps.COOLDOWNS, skip_when_failed=True, name="cooldown")
    def _cooldown(
        _: lightbulb.ExecutionPipeline,
        ctx: lightbulb.Context,
        book: CooldownBook = lightbulb.di.INJECTED,
    ) -> None:
        if bucket == "user":
            key = int(ctx.user.id)
        elif bucket == "guild":
            key = int(ctx.guild_id or ctx.channel_id)
        else:
            key = 0
        name = ctx.command_data.qualified_name
        wait = book.charge((name, key), window, allowed)
        if wait is not None:
            raise OnCooldown(name, wait)

    return _cooldown


@lightbulb.hook(lightbulb.ExecutionSteps.MAX_CONCURRENCY, name="once_per_interaction")
def once_per_interaction(
    _: lightbulb.ExecutionPipeline,
    ctx: lightbulb.Context,
    seen: SeenInteractions = lightbulb.di.INJECTED,
) -> None:
    """Drop a redelivered interaction before any other hook or the command runs; tag the logs."""
    current_interaction.set(str(ctx.interaction.id))
    if not seen.first_time(int(ctx.interaction.id)):
        raise DuplicateInteraction(int(ctx.interaction.id))


def check_option_values(
    declared: Sequence[lightbulb.commands.options.OptionData[Any, Any]],
    given: Sequence[hikari.CommandInteractionOption],
) -> None:
    """Hold every given value to the limits its option declares.

    Discord enforces these in its client, but a command must not depend on the client for its
    own limits. The wording is the one `app.commands.spec.validate` uses, so a refusal reads the
    same whichever front end (or check) catches it.
    """
    by_name = {o.name: o for o in declared}
    for value in given:
        option = by_name.get(value.name)
        if option is None or value.value is None:
            continue
        name = option.name
        raw = value.value
        if option.type is hikari.OptionType.STRING and isinstance(raw, str):
            if option.max_length is not hikari.UNDEFINED and len(raw) > option.max_length:
                raise InvalidOption(
                    f"{name} is {len(raw)} characters long; the limit is {option.max_length}."
                )
            if option.min_length is not hikari.UNDEFINED and len(raw) < option.min_length:
                raise InvalidOption(f"{name} must be at least {option.min_length} characters long.")
        if option.type in (hikari.OptionType.INTEGER, hikari.OptionType.FLOAT):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise InvalidOption(f"{name} must be a whole number.")
            if option.min_value is not hikari.UNDEFINED and raw < option.min_value:
                raise InvalidOption(f"{name} must be at least {option.min_value}.")
            if option.max_value is not hikari.UNDEFINED and raw > option.max_value:
                raise InvalidOption(f"{name} must be at most {option.max_value}.")
        if option.choices is not hikari.UNDEFINED:
            allowed = [c.value for c in option.choices]
            if raw not in allowed:
                raise InvalidOption(f"{name} must be one of: {', '.join(map(str, allowed))}.")


@lightbulb.hook(lightbulb.ExecutionSteps.CHECKS, skip_when_failed=True, name="option_limits")
def option_limits(_: lightbulb.ExecutionPipeline, ctx: lightbulb.Context) -> None:
    """Apply `check_option_values` to the command being run."""
    check_option_values(list(ctx.command_data.options.values()), ctx.options)
