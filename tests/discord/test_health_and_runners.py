"""`/admin health` content (PROBLEM lines included), and the serve runner's lifecycle (start,
signal, drain)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Awaitable, Callable

import aiohttp
import hikari
import pytest

from app.adapters.discord import (
    BotRuntime,
    BotServices,
    Dispatcher,
    OutboundMessage,
    StartupError,
    StoreStatus,
    run_gateway,
    run_serve,
)
from app.adapters.discord.commands.admin import format_duration, health_report
from app.adapters.discord.gateway_watch import GatewayWatch
from tests.discord.conftest import ManualClock, settings_for
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Signer, fake_token, slash_command
from tests.fakes.outbox import MemoryOutbox


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (61, "1m 01s"),
        (3600 * 5 + 7, "5h 00m 07s"),
        (90061, "1d 1h 01m 01s"),
    ],
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


async def test_health_reports_the_store_position(
    clock: ManualClock,
) -> None:
    async def probe() -> StoreStatus:
        return StoreStatus(ok=True, position=1234)

    services = BotServices(store_probe=probe, clock=clock)
    runtime = BotRuntime(mode="gateway", started_at=clock() - 3661, latency=lambda: 0.042)

    reply = await health_report(services, runtime)

    assert reply.ephemeral
    assert reply.text.splitlines() == [
        "Up for 1h 01m 01s (gateway mode).",
        "Event store: OK, position 1234.",
        "Gateway latency: 42 ms.",
    ]


async def test_health_says_when_the_store_does_not_answer(
    clock: ManualClock,
) -> None:
    async def stuck() -> StoreStatus:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    services = BotServices(store_probe=stuck, clock=clock)
    runtime = BotRuntime(mode="http", started_at=clock())

    reply = await health_report(services, runtime, probe_timeout=0.01)

    assert reply.text.splitlines()[1] == "Event store: PROBLEM, not answering within 0.01 s."


async def test_health_before_the_first_heartbeat_says_latency_is_unknown(
    clock: ManualClock,
) -> None:
    runtime = BotRuntime(mode="gateway", started_at=clock(), latency=lambda: float("nan"))

    reply = await health_report(BotServices(clock=clock), runtime)

    assert reply.text.splitlines()[-1] == "Gateway latency: not measured yet."


async def test_health_counts_gateway_disconnections_and_how_they_ended(
    clock: ManualClock,
) -> None:
    """The event path (hikari's shard events) is covered end to end in test_gateway_resume."""
    watch = GatewayWatch(clock, sessions=1, connected=True)
    runtime = BotRuntime(mode="gateway", started_at=clock(), latency=lambda: 0.05, gateway=watch)
    reply = await health_report(BotServices(clock=clock), runtime)
    assert reply.text.splitlines()[-1] == "Gateway: connected, no disconnection since start."

    watch.disconnections, watch.resumes, watch.sessions = 3, 2, 2
    watch.last_disconnection_at = clock() - 125
    reply = await health_report(BotServices(clock=clock), runtime)
    assert reply.text.splitlines()[-1] == (
        "Gateway: connected; 3 disconnections since start, the last 2m 05s ago "
        "(2 resumed, 1 new session)."
    )
    assert "PROBLEM" not in reply.text  # hikari reconnects by itself: news, not a problem


async def test_run_serve_answers_until_sigterm_then_stops(
    fake: FakeDiscord, signer: Signer, services: BotServices
) -> None:
    port = _free_port()
    task = asyncio.create_task(run_serve(settings_for(fake, interactions_port=port), services))
    payload = slash_command(
        "admin health", application_id=fake.application_id, permissions=MANAGE_GUILD
    )
    raw = Signer.body(payload)

    async with aiohttp.ClientSession() as session:
        for _ in range(200):  # bounded: the endpoint comes up within a few event-loop turns
            try:
                async with session.post(
                    f"http://127.0.0.1:{port}/", data=raw, headers=signer.headers(raw)
                ) as response:
                    status = response.status
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.01)
        await fake.wait_for(lambda: payload["id"] in fake.callbacks)

        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(task, timeout=15)

        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(f"http://127.0.0.1:{port}/", data=raw)

    assert status == 204
    assert task.exception() is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("run", [run_gateway, run_serve])
async def test_a_refused_token_stops_the_start_with_a_clear_message(
    fake: FakeDiscord, services: BotServices, run: Callable[..., Awaitable[None]]
) -> None:
    settings = settings_for(fake, discord_token=fake_token(123), interactions_port=0)

    with pytest.raises(StartupError) as caught:
        await asyncio.wait_for(run(settings, services), timeout=15)

    assert str(caught.value).startswith("Discord refused DISCORD_TOKEN (401 Unauthorized)")


async def test_health_shows_a_dispatcher_that_keeps_failing_as_a_problem(
    fake: FakeDiscord, clock: ManualClock
) -> None:
    outbox = MemoryOutbox(
        due=[OutboundMessage(message_id="m1", position=1, kind="dm", target=5, text="hi")],
        record_errors=[RuntimeError("database is locked")],
    )
    pausing = asyncio.Event()
    release = asyncio.Event()

    async def sleep(seconds: float) -> None:  # the restart pause, held open by the test
        pausing.set()
        await release.wait()

    rest_app = hikari.RESTApp(url=fake.api_url, max_retries=0)
    await rest_app.start()
    async with rest_app.acquire(fake.token, hikari.TokenType.BOT) as rest:
        dispatcher = Dispatcher(outbox, rest, clock=clock, sleep=sleep)
        task = asyncio.create_task(dispatcher.run())
        await asyncio.wait_for(pausing.wait(), timeout=10)
        clock.advance(65)
        runtime = BotRuntime(mode="http", started_at=clock() - 100, dispatcher=dispatcher.status)

        during = await health_report(BotServices(clock=clock), runtime)

        release.set()
        await outbox.wait_settled("m1")
        after = await health_report(BotServices(clock=clock), runtime)
        dispatcher.stop()
        await asyncio.wait_for(task, timeout=5)
        stopped = await health_report(BotServices(clock=clock), runtime)
    await rest_app.close()

    assert during.text.splitlines()[1] == (
        "DM dispatcher: PROBLEM, restarting for 1m 05s after 1 failures "
        "(last error: RuntimeError: database is locked)."
    )
    assert after.text.splitlines()[1].startswith("DM dispatcher: OK, running for 0s (1 restarts;")
    assert stopped.text.splitlines()[1].startswith("DM dispatcher: PROBLEM, stopped")


async def test_health_shows_a_store_problem_as_a_problem(clock: ManualClock) -> None:
    async def probe() -> StoreStatus:
        return StoreStatus(ok=False, position=12, detail="read models stopped at 10: boom")

    runtime = BotRuntime(mode="http", started_at=clock())

    reply = await health_report(BotServices(store_probe=probe, clock=clock), runtime)

    assert reply.text.splitlines()[1] == (
        "Event store: PROBLEM, position 12 (read models stopped at 10: boom)."
    )
