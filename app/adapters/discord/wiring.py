"""Discord mode in one call: the App's commands, health probe and DM outbox on either transport.

`python -m app run|serve` needs only `await run_discord(mode, settings, app)`; everything the
adapter needs from the App is derived here, in one place.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Final, Literal

import lightbulb

from app.adapters.discord.commands.admin import admin_group
from app.adapters.discord.runner import run_gateway, run_serve
from app.adapters.discord.santa_outbox import SantaOutbox
from app.adapters.discord.services import BotServices, StoreStatus
from app.adapters.discord.specs import loader_for_specs
from app.bootstrap import App
from app.commands.registry import all_specs
from app.settings import Settings

#: Commands the adapter implements itself (`/admin health` adds gateway latency to the spec's
#: facts), so the shared spec of the same name is not registered twice.
ADAPTER_COMMANDS: Final = frozenset({("admin", "health")})

GROUP_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "santa": "Secret Santa, year after year",
    "admin": "Bot administration (Manage Server)",
}


def discord_services(app: App, *, clock: Callable[[], float] = time.monotonic) -> BotServices:
    """The services the Discord commands and runners use, all backed by `app`."""

    async def probe() -> StoreStatus:
        head = await app.store.head_position()
        caught_up = app.runner.position
        return StoreStatus(
            ok=app.store.is_open and caught_up <= head,
            position=head,
            detail=f"read models at {caught_up}",
        )

    return BotServices(store_probe=probe, outbox=SantaOutbox(app), clock=clock)


def discord_loaders(app: App) -> tuple[lightbulb.Loader, ...]:
    """The adapter's own commands plus every shared spec, as lightbulb loaders."""
    specs = [spec for spec in all_specs(app) if spec.path not in ADAPTER_COMMANDS]
    return (loader_for_specs(specs, GROUP_DESCRIPTIONS, groups={"admin": admin_group()}),)


async def run_discord(
    mode: Literal["run", "serve"],
    settings: Settings,
    app: App,
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the bot over the gateway (`run`) or HTTP interactions (`serve`) until stopped."""
    services = discord_services(app)
    loaders = discord_loaders(app)
    if mode == "run":
        await run_gateway(settings, services, loaders=loaders, stop=stop)
    else:
        await run_serve(settings, services, loaders=loaders, stop=stop)
