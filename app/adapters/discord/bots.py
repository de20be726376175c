"""Building the two kinds of bot — gateway and HTTP interactions — with one set of commands.

Both factories give the same lightbulb client setup: the services and hook state in dependency
injection, the shared hooks on every command, the shared error handler, the same loaders. Only
the transport differs, so a command behaves the same whichever way Discord delivers it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import hikari
import lightbulb

from app.adapters.discord.commands import admin
from app.adapters.discord.errors import make_error_handler
from app.adapters.discord.gateway_watch import GatewayWatch
from app.adapters.discord.hooks import once_per_interaction, option_limits, register_hook_state
from app.adapters.discord.services import BotRuntime, BotServices
from app.settings import Settings

log = logging.getLogger("yulelog.discord")

#: The command modules every bot loads; the lead's capability modules are appended here.
DEFAULT_LOADERS: tuple[lightbulb.Loader, ...] = (admin.loader,)

#: Hooks run before every command's own hooks: duplicate guard first, then option limits.
CLIENT_HOOKS: tuple[lightbulb.ExecutionHook, ...] = (once_per_interaction, option_limits)

BotT = TypeVar("BotT", hikari.GatewayBot, hikari.RESTBot)


@dataclass(frozen=True, slots=True)
class BotHandle(Generic[BotT]):
    """A built bot, its lightbulb client and the runtime facts `/admin health` reports."""

    bot: BotT
    client: lightbulb.Client
    runtime: BotRuntime


async def _configure(
    client: lightbulb.Client,
    services: BotServices,
    runtime: BotRuntime,
    loaders: Sequence[lightbulb.Loader],
) -> None:
    registry = client.di.registry_for(lightbulb.di.Contexts.DEFAULT)
    registry.register_value(BotServices, services)
    registry.register_value(BotRuntime, runtime)
    register_hook_state(client, services)
    # lightbulb types handlers as Concatenate[exc, ...]; a one-argument handler is what it calls.
    client.error_handler(make_error_handler())  # type: ignore[type-var]
    for loader in loaders:
        # add_to_client, not load_extensions: an import error must stop the start, not be logged.
        await loader.add_to_client(client)


async def build_gateway_bot(
    settings: Settings,
    services: BotServices,
    *,
    loaders: Sequence[lightbulb.Loader] = DEFAULT_LOADERS,
) -> BotHandle[hikari.GatewayBot]:
    """A gateway bot (`python -m app run`); the client starts once the shards are up."""
    bot = hikari.GatewayBot(
        settings.token,
        intents=hikari.Intents.GUILDS,
        rest_url=settings.discord_api_url,
        logs=None,  # logging is configured once, by the entry point
        banner=None,
        suppress_optimization_warning=True,
    )
    client = lightbulb.client_from_app(
        bot, default_enabled_guilds=settings.guild_ids, hooks=list(CLIENT_HOOKS)
    )
    watch = GatewayWatch(services.clock)
    watch.subscribe(bot)
    runtime = BotRuntime(
        mode="gateway",
        started_at=services.clock(),
        latency=lambda: bot.heartbeat_latency,
        gateway=watch,
    )
    await _configure(client, services, runtime, loaders)
    bot.subscribe(hikari.StartedEvent, client.start)
    bot.subscribe(hikari.StoppingEvent, client.stop)
    return BotHandle(bot=bot, client=client, runtime=runtime)


async def build_rest_bot(
    settings: Settings,
    services: BotServices,
    *,
    loaders: Sequence[lightbulb.Loader] = DEFAULT_LOADERS,
) -> BotHandle[hikari.RESTBot]:
    """An HTTP-interactions bot (`python -m app serve`); put `InteractionsEndpoint` in front."""
    bot = hikari.RESTBot(
        settings.token,
        public_key=settings.public_key,
        rest_url=settings.discord_api_url,
        logs=None,
        banner=None,
        suppress_optimization_warning=True,
    )
    client = lightbulb.client_from_app(
        bot, default_enabled_guilds=settings.guild_ids, hooks=list(CLIENT_HOOKS)
    )
    runtime = BotRuntime(mode="http", started_at=services.clock())
    await _configure(client, services, runtime, loaders)
    bot.add_startup_callback(client.start)
    bot.add_shutdown_callback(client.stop)
    return BotHandle(bot=bot, client=client, runtime=runtime)
