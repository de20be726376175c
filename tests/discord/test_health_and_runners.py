"""`/admin health` content, and the serve runner's lifecycle (start, signal, drain)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from app.adapters.discord import (
    BotRuntime,
    BotServices,
    StartupError,
    StoreStatus,
    run_gateway,
    run_serve,
)
from app.adapters.discord.commands.admin import format_duration, health_report
from tests.discord.conftest import ManualClock, RecordingService, settings_for
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, Signer, fake_token, slash_command


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
    service: RecordingService, clock: ManualClock
) -> None:
    async def probe() -> StoreStatus:
        return StoreStatus(ok=True, position=1234)

    services = BotServices(execute=service, store_probe=probe, clock=clock)
    runtime = BotRuntime(mode="gateway", started_at=clock() - 3661, latency=lambda: 0.042)

    reply = await health_report(services, runtime)

    assert reply.ephemeral
    assert reply.text.splitlines() == [
        "Up for 1h 01m 01s (gateway mode).",
        "Event store: OK, position 1234.",
        "Gateway latency: 42 ms.",
    ]


async def test_health_says_when_the_store_does_not_answer(
    service: RecordingService, clock: ManualClock
) -> None:
    async def stuck() -> StoreStatus:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    services = BotServices(execute=service, store_probe=stuck, clock=clock)
    runtime = BotRuntime(mode="http", started_at=clock())

    reply = await health_report(services, runtime, probe_timeout=0.01)

    assert reply.text.splitlines()[1] == "Event store: not answering within 0.01 s."


async def test_health_before_the_first_heartbeat_says_latency_is_unknown(
    service: RecordingService, clock: ManualClock
) -> None:
    runtime = BotRuntime(mode="gateway", started_at=clock(), latency=lambda: float("nan"))

    reply = await health_report(BotServices(execute=service, clock=clock), runtime)

    assert reply.text.splitlines()[-1] == "Gateway latency: not measured yet."


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
