"""`/admin health`: is the bot up, is the event log answering, how is the gateway."""

from __future__ import annotations

import asyncio
from typing import Final

import hikari
import lightbulb

from app.adapters.discord.dispatcher import DispatcherStatus
from app.adapters.discord.hooks import MANAGE_SERVER, cooldown, manage_server_only
from app.adapters.discord.replies import answer
from app.adapters.discord.services import BotRuntime, BotServices, Reply, StoreStatus

PROBE_TIMEOUT: Final = 2.0


def format_duration(seconds: float) -> str:
    """`3d 4h 05m 06s`, dropping leading zero units: short enough for one line."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m {secs:02d}s"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def dispatcher_line(status: DispatcherStatus) -> str:
    """`DM dispatcher: OK, running …` or `DM dispatcher: PROBLEM, restarting for … (last error: …)`."""
    deferred = f", {status.deferred} deferred until Discord answers" if status.deferred else ""
    if status.alive:
        line = (
            f"DM dispatcher: OK, {status.state} for {format_duration(status.state_for)}{deferred}"
        )
        if status.last_error is not None and status.error_ago is not None:
            line += (
                f" ({status.restarts} restarts; last error {format_duration(status.error_ago)}"
                f" ago: {status.last_error})"
            )
        return line + "."
    if status.state == "restarting":
        return (
            f"DM dispatcher: PROBLEM, restarting for {format_duration(status.state_for)} after "
            f"{status.restarts} failures{deferred} (last error: {status.last_error})."
        )
    return f"DM dispatcher: PROBLEM, stopped {format_duration(status.state_for)} ago; DMs are not sent."


async def health_report(
    services: BotServices, runtime: BotRuntime, *, probe_timeout: float = PROBE_TIMEOUT
) -> Reply:
    """Uptime, store and read models (bounded wait), DM dispatcher and gateway latency, as one
    ephemeral message; anything wrong reads `PROBLEM`."""
    lines = [
        f"Up for {format_duration(services.clock() - runtime.started_at)} ({runtime.mode} mode)."
    ]
    if services.store_probe is not None:
        try:
            async with asyncio.timeout(probe_timeout):
                status: StoreStatus = await services.store_probe()
        except TimeoutError:
            lines.append(f"Event store: PROBLEM, not answering within {probe_timeout:g} s.")
        else:
            state = "OK" if status.ok else "PROBLEM"
            detail = f" ({status.detail})" if status.detail else ""
            lines.append(f"Event store: {state}, position {status.position}{detail}.")
    dispatcher = runtime.dispatcher()
    if dispatcher is not None:
        lines.append(dispatcher_line(dispatcher))
    latency = runtime.latency()
    if runtime.mode == "gateway":
        if latency is None or latency != latency:  # NaN until the first heartbeat is acknowledged
            lines.append("Gateway latency: not measured yet.")
        else:
            lines.append(f"Gateway latency: {latency * 1000:.0f} ms.")
        if runtime.gateway is not None:
            lines.append(runtime.gateway.line(format_duration))
    return Reply(text="\n".join(lines), ephemeral=True)


def health_command() -> type[lightbulb.SlashCommand]:
    """A fresh `/admin health` class (each client gets its own, with its own hook objects)."""

    class Health(
        lightbulb.SlashCommand,
        name="health",
        description="Uptime, event log status and gateway latency",
        hooks=[manage_server_only, cooldown(5.0, allowed=2)],
    ):
        @lightbulb.invoke
        async def invoke(
            self,
            ctx: lightbulb.Context,
            services: BotServices = lightbulb.di.INJECTED,
            runtime: BotRuntime = lightbulb.di.INJECTED,
        ) -> None:
            await answer(ctx, health_report(services, runtime), secret=True)

    return Health


def admin_group() -> lightbulb.Group:
    """The `/admin` group with `health`; shared specs under `admin` can be added to it."""
    group = lightbulb.Group(
        "admin",
        "Bot administration (Manage Server)",
        default_member_permissions=MANAGE_SERVER,
        contexts=[hikari.ApplicationContextType.GUILD],
    )
    group.register(health_command())
    return group


def admin_loader() -> lightbulb.Loader:
    loader = lightbulb.Loader()
    loader.command(admin_group())
    return loader


loader = admin_loader()
