"""Small probe commands built from `CommandSpec`, the way production commands are, so tests of the
shared plumbing (hooks, deferral, error reporting) run through the real command path
(`specs.command_for` → `app.commands.run.invoke`) with a handler the test scripts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import lightbulb

from app.adapters.discord.specs import loader_for_specs
from app.commands.spec import CommandSpec, Invocation, OptionKind, OptionSpec, Reply

WISHLIST_LIMIT = 10
LIMITED_WINDOW = 5.0


@dataclass
class ProbeBackend:
    """What the probe handlers do: record each call, then answer from a script (or fail)."""

    calls: list[tuple[str, Invocation, dict[str, Any]]] = field(default_factory=list)
    reply: Callable[[str, Invocation, Mapping[str, Any]], Reply] = lambda name, inv, values: Reply(
        f"done: {name} {dict(values)}"
    )
    gate: asyncio.Event | None = None
    error: Exception | None = None

    def handler(self, name: str) -> Any:
        async def handle(inv: Invocation, values: Mapping[str, Any]) -> Reply:
            self.calls.append((name, inv, dict(values)))
            if self.gate is not None:
                await self.gate.wait()
            if self.error is not None:
                raise self.error
            return self.reply(name, inv, values)

        return handle


def probe_specs(backend: ProbeBackend) -> list[CommandSpec]:
    return [
        CommandSpec(
            ("probe", "echo"),
            "Echo text",
            backend.handler("echo"),
            (
                OptionSpec(
                    "wishlist",
                    OptionKind.STRING,
                    "Some text",
                    required=True,
                    max_length=WISHLIST_LIMIT,
                ),
                OptionSpec("count", OptionKind.INTEGER, "How many", min_value=1, max_value=5),
            ),
        ),
        CommandSpec(("probe", "slow"), "Takes a while", backend.handler("slow"), slow=True),
        CommandSpec(("probe", "public"), "Answers in the channel", backend.handler("public")),
        CommandSpec(
            ("probe", "organiser"),
            "Manage Server only",
            backend.handler("organiser"),
            manage_server=True,
        ),
        CommandSpec(
            ("probe", "limited"),
            "Once per five seconds",
            backend.handler("limited"),
            cooldown_seconds=LIMITED_WINDOW,
        ),
    ]


def probe_loader(backend: ProbeBackend) -> lightbulb.Loader:
    return loader_for_specs(probe_specs(backend), {"probe": "Test commands"})
