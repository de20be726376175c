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
from app.adapters.discord.services import BotServices, StoreProbe, StoreStatus
from app.adapters.discord.specs import loader_for_specs
from app.bootstrap import App
from app.commands.registry import all_specs
from app.settings import Settings
from eventstore import ProjectionFailed

#: Commands the adapter implements itself (`/admin health` adds gateway latency to the spec's
#: facts), so the shared spec of the same name is not registered twice.
ADAPTER_COMMANDS: Final = frozenset({("admin", "health")})

GROUP_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "santa": "Secret Santa, year after year",
    "admin": "Bot administration (Manage Server)",
}


#: Read models this far behind the log are fine; further behind, they must be catching up.
LAG_OK: Final = 100

#: How long the liveness check waits on a live projection runner (a dead one answers at once).
LIVENESS_WAIT: Final = 0.05


async def read_models_running(app: App) -> str | None:
    """None while the projection runner follows the log; otherwise why it does not.

    `ProjectionRunner.wait_for` raises `ProjectionFailed` when the runner has stopped (or failed)
    and is behind the position asked for. One past the head is behind by definition, so a dead
    runner raises at once, and a live one is still waiting after `LIVENESS_WAIT`.
    """
    head = await app.store.head_position()
    try:
        await asyncio.wait_for(app.runner.wait_for(head + 1), timeout=LIVENESS_WAIT)
    except TimeoutError:
        return None
    except ProjectionFailed as exc:
        return str(exc) or type(exc).__name__
    return None  # a new event arrived and was folded in meanwhile: plainly running


def store_probe(app: App) -> StoreProbe:
    """`/admin health`'s check of the log and the read models.

    OK needs: the store open, the projection runner following the log, and the read models close
    to the head (within `LAG_OK` events) or at least closer than at the previous check.
    """
    previous_lag: int | None = None

    async def probe() -> StoreStatus:
        nonlocal previous_lag
        head = await app.store.head_position()
        at = app.runner.position
        lag = max(0, head - at)
        stopped = await read_models_running(app)
        problems: list[str] = []
        if not app.store.is_open:
            problems.append("the store is closed")
        if stopped is not None:
            problems.append(f"read models stopped at {at}: {stopped}")
        elif lag > LAG_OK and (previous_lag is None or lag >= previous_lag):
            problems.append(f"read models at {at}, {lag} behind and not catching up")
        previous_lag = lag
        if problems:
            return StoreStatus(ok=False, position=head, detail="; ".join(problems))
        return StoreStatus(ok=True, position=head, detail=f"read models at {at}")

    return probe


def discord_services(app: App, *, clock: Callable[[], float] = time.monotonic) -> BotServices:
    """The services the Discord commands and runners use, all backed by `app`."""
    return BotServices(store_probe=store_probe(app), outbox=SantaOutbox(app), clock=clock)


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
