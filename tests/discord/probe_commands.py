"""A small command set that exercises every shared hook, for tests of the plumbing alone."""

from __future__ import annotations

from dataclasses import dataclass

import lightbulb

from app.adapters.discord import (
    BotServices,
    cooldown,
    execute_and_reply,
    manage_server_only,
)

loader = lightbulb.Loader()
probe = lightbulb.Group("probe", "Test commands")

WISHLIST_LIMIT = 10


@dataclass(frozen=True)
class Echo:
    text: str
    count: int


@dataclass(frozen=True)
class Named:
    name: str


@probe.register
class EchoCommand(lightbulb.SlashCommand, name="echo", description="Echo text"):
    text = lightbulb.string("wishlist", "Some text", max_length=WISHLIST_LIMIT)
    count = lightbulb.integer("count", "How many", min_value=1, max_value=5, default=1)

    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, services: BotServices = lightbulb.di.INJECTED
    ) -> None:
        await execute_and_reply(ctx, services, Echo(self.text, self.count))


@probe.register
class Slow(lightbulb.SlashCommand, name="slow", description="Takes a while"):
    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, services: BotServices = lightbulb.di.INJECTED
    ) -> None:
        await execute_and_reply(ctx, services, Named("slow"), defer_after=0.05)


@probe.register
class Public(lightbulb.SlashCommand, name="public", description="Answers in the channel"):
    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, services: BotServices = lightbulb.di.INJECTED
    ) -> None:
        await execute_and_reply(ctx, services, Named("public"), secret=False)


@probe.register
class Organiser(
    lightbulb.SlashCommand,
    name="organiser",
    description="Manage Server only",
    hooks=[manage_server_only],
):
    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, services: BotServices = lightbulb.di.INJECTED
    ) -> None:
        await execute_and_reply(ctx, services, Named("organiser"))


@probe.register
class Limited(
    lightbulb.SlashCommand,
    name="limited",
    description="Two uses per five seconds",
    hooks=[cooldown(5.0, allowed=2)],
):
    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, services: BotServices = lightbulb.di.INJECTED
    ) -> None:
        await execute_and_reply(ctx, services, Named("limited"))


loader.command(probe)
