"""Running the bot in either mode until SIGTERM/SIGINT, then shutting down in order.

Shutdown order: stop taking new work (signal → stop event), let the dispatcher finish the
message in hand, drain tracked tasks (bounded; stragglers are cancelled, which the dispatcher's
nonce and its look at the channel after a restart make safe), then close the bot, which stops the
lightbulb client and tears down DI.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import tempfile
from collections.abc import AsyncIterator, Coroutine, Sequence
from pathlib import Path
from typing import Any

import hikari
import lightbulb

from app.adapters.discord.bots import (
    DEFAULT_LOADERS,
    BotHandle,
    build_gateway_bot,
    build_rest_bot,
)
from app.adapters.discord.dispatcher import Dispatcher
from app.adapters.discord.http_front import InteractionsEndpoint, SignatureVerifier
from app.adapters.discord.services import BotRuntime, BotServices
from app.settings import Settings

log = logging.getLogger("yulelog.discord")

DRAIN_TIMEOUT = 10.0


class StartupError(Exception):
    """The bot could not start for a reason the operator must fix; the message says which."""


def _explain(exc: hikari.HTTPResponseError) -> StartupError:
    if isinstance(exc, hikari.UnauthorizedError):
        return StartupError(
            "Discord refused DISCORD_TOKEN (401 Unauthorized): copy a fresh token from "
            "https://discord.com/developers/applications → your application → Bot → Reset Token"
        )
    return StartupError(f"Discord answered {exc.status} while the bot was starting: {exc.message}")


class BackgroundTasks:
    """Every long-lived task the adapter starts, so none is lost or left running at exit."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=exc)

    async def drain(self, grace: float) -> None:
        """Wait up to `grace` seconds for the tasks to finish on their own, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            log.warning("cancelling %s after %.0fs of shutdown", task.get_name(), grace)
            task.cancel()
        if pending:
            await asyncio.wait(pending)


@contextlib.asynccontextmanager
async def stop_on_signals(stop: asyncio.Event) -> AsyncIterator[None]:
    """Turn SIGTERM/SIGINT into `stop.set()` for the duration (where the platform allows)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


class _Common:
    def __init__(
        self,
        settings: Settings,
        services: BotServices,
        loaders: Sequence[lightbulb.Loader],
    ) -> None:
        self.settings = settings
        self.services = services
        self.loaders = loaders
        self.tasks = BackgroundTasks()
        self.dispatcher: Dispatcher | None = None
        # Set only once the bot's start returned: a failed start leaves nothing to close, and
        # hikari refuses to close what never fully started.
        self.bot_started = False

    def _start_dispatcher(self, rest: hikari.api.RESTClient, runtime: BotRuntime) -> None:
        if self.services.outbox is not None:
            self.dispatcher = dispatcher = Dispatcher(self.services.outbox, rest)
            runtime.dispatcher = dispatcher.status
            self.tasks.spawn(dispatcher.run(), "dm dispatcher")

    async def _drain(self, grace: float) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
        await self.tasks.drain(grace)


class GatewayRunner(_Common):
    """`python -m app run`: a gateway connection (needs DISCORD_TOKEN)."""

    handle: BotHandle[hikari.GatewayBot] | None = None

    async def start(self) -> BotHandle[hikari.GatewayBot]:
        self.handle = await build_gateway_bot(self.settings, self.services, loaders=self.loaders)
        try:
            await self.handle.bot.start(check_for_updates=False)
        except BaseException:
            # hikari starts its REST client before asking for the gateway URL and leaves it open
            # when that request fails (a refused token): close it, or its session leaks.
            if self.handle.bot.rest.is_alive:
                await self.handle.bot.rest.close()
            raise
        self.bot_started = True
        self._start_dispatcher(self.handle.bot.rest, self.handle.runtime)
        return self.handle

    async def join(self) -> None:
        assert self.handle is not None
        await self.handle.bot.join()

    async def stop(self, drain_timeout: float = DRAIN_TIMEOUT) -> None:
        await self._drain(drain_timeout)
        if self.handle is not None and self.bot_started:
            self.bot_started = False
            await self.handle.bot.close()


class ServeRunner(_Common):
    """`python -m app serve`: HTTP interactions behind the signature-checking endpoint.

    hikari's RESTBot insists on starting its own listener; it gets a private Unix socket in a
    temporary directory, reachable by nobody else, while the public port belongs to the endpoint.
    """

    handle: BotHandle[hikari.RESTBot] | None = None
    endpoint: InteractionsEndpoint | None = None
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    async def start(self) -> int:
        """Start and return the port the endpoint listens on."""
        self.handle = await build_rest_bot(self.settings, self.services, loaders=self.loaders)
        self._tmp = tempfile.TemporaryDirectory(prefix="yulelog-")
        private = Path(self._tmp.name) / "hikari.sock"
        await self.handle.bot.start(path=str(private), check_for_updates=False)
        self.bot_started = True
        self.endpoint = InteractionsEndpoint(
            self.handle.bot, SignatureVerifier(self.settings.public_key)
        )
        port = await self.endpoint.start(
            self.settings.interactions_host, self.settings.interactions_port
        )
        self._start_dispatcher(self.handle.bot.rest, self.handle.runtime)
        return port

    async def join(self) -> None:
        assert self.handle is not None
        await self.handle.bot.join()

    async def stop(self, drain_timeout: float = DRAIN_TIMEOUT) -> None:
        if self.endpoint is not None:
            await self.endpoint.close()
        await self._drain(drain_timeout)
        if self.handle is not None and self.bot_started:
            self.bot_started = False
            await self.handle.bot.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


async def _run(runner: GatewayRunner | ServeRunner, stop: asyncio.Event | None) -> None:
    stop = stop or asyncio.Event()
    async with stop_on_signals(stop):
        try:
            try:
                await runner.start()
            except (hikari.UnauthorizedError, hikari.ForbiddenError) as exc:
                raise _explain(exc) from exc
            stopped = asyncio.ensure_future(stop.wait())
            died = asyncio.ensure_future(runner.join())
            await asyncio.wait({stopped, died}, return_when=asyncio.FIRST_COMPLETED)
            for waiter in (stopped, died):
                waiter.cancel()
            log.info("shutting down")
        finally:
            await runner.stop()


async def run_gateway(
    settings: Settings,
    services: BotServices,
    *,
    loaders: Sequence[lightbulb.Loader] = DEFAULT_LOADERS,
    stop: asyncio.Event | None = None,
) -> None:
    """Run over the gateway until SIGTERM/SIGINT (or `stop` is set), then shut down gracefully."""
    await _run(GatewayRunner(settings, services, loaders), stop)


async def run_serve(
    settings: Settings,
    services: BotServices,
    *,
    loaders: Sequence[lightbulb.Loader] = DEFAULT_LOADERS,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve HTTP interactions until SIGTERM/SIGINT (or `stop` is set), then shut down."""
    await _run(ServeRunner(settings, services, loaders), stop)
