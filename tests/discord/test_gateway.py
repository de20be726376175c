"""Gateway mode end to end: the real GatewayBot against the fake gateway (zlib-stream JSON)."""

from __future__ import annotations

import asyncio
import os
import signal

from app.adapters.discord import DEFAULT_LOADERS, BotServices, GatewayRunner, run_gateway
from tests.discord.conftest import settings_for
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, slash_command


async def test_the_bot_identifies_with_its_token_and_reaches_ready(
    fake: FakeDiscord, gateway: GatewayRunner
) -> None:
    [connection] = fake.connections

    assert connection.identify is not None
    assert connection.identify["token"] == fake.token
    assert connection.sent[1]["t"] == "READY"
    assert gateway.handle is not None
    assert gateway.handle.bot.get_me() is not None


async def test_commands_are_synced_globally_at_start(
    fake: FakeDiscord, gateway: GatewayRunner
) -> None:
    await fake.wait_for(lambda: None in fake.commands)

    [admin] = fake.commands[None]
    assert admin["name"] == "admin"
    assert admin["default_member_permissions"] == str(MANAGE_GUILD)
    assert [o["name"] for o in admin["options"]] == ["health"]


async def test_health_over_the_gateway_reports_uptime_and_latency(
    fake: FakeDiscord, gateway: GatewayRunner
) -> None:
    await fake.wait_for(lambda: None in fake.commands)
    await fake.wait_for(lambda: fake.connections[0].heartbeats > 0)
    payload = slash_command(
        "admin health", application_id=fake.application_id, permissions=MANAGE_GUILD
    )

    await fake.dispatch_interaction(payload)
    await fake.wait_for(lambda: payload["id"] in fake.callbacks)

    [callback] = fake.callbacks[payload["id"]]
    assert callback["type"] == 4
    assert callback["data"]["flags"] & 64
    content = callback["data"]["content"]
    assert "(gateway mode)" in content
    assert "Gateway latency:" in content


async def test_an_interaction_dispatched_twice_is_answered_once(
    fake: FakeDiscord, gateway: GatewayRunner
) -> None:
    await fake.wait_for(lambda: None in fake.commands)
    payload = slash_command(
        "admin health", application_id=fake.application_id, permissions=MANAGE_GUILD
    )

    await fake.dispatch_interaction(payload)
    await fake.dispatch_interaction(payload)
    await fake.wait_for(lambda: payload["id"] in fake.callbacks)
    probe = slash_command(
        "admin health", application_id=fake.application_id, permissions=MANAGE_GUILD
    )
    await fake.dispatch_interaction(probe)  # handled after both copies: a barrier
    await fake.wait_for(lambda: probe["id"] in fake.callbacks)

    assert len(fake.requests_to("POST", f"/interactions/{payload['id']}/")) == 1


async def test_guild_ids_sync_commands_to_those_servers_only(
    fake: FakeDiscord, services: BotServices
) -> None:
    runner = GatewayRunner(settings_for(fake, guild_ids=(111, 222)), services, DEFAULT_LOADERS)
    await runner.start()
    try:
        await fake.wait_for(lambda: 111 in fake.commands and 222 in fake.commands)
        payload = slash_command(
            "admin health",
            application_id=fake.application_id,
            permissions=MANAGE_GUILD,
            guild_id=111,
            registered_guild_id=111,
        )
        await fake.dispatch_interaction(payload)
        await fake.wait_for(lambda: payload["id"] in fake.callbacks)
    finally:
        await runner.stop()

    assert not fake.requests_to("PUT", f"/applications/{fake.application_id}/commands")
    assert [c["name"] for c in fake.commands[111]] == ["admin"]


async def test_a_restart_does_not_rewrite_unchanged_commands(
    fake: FakeDiscord, services: BotServices
) -> None:
    for _ in range(2):
        runner = GatewayRunner(settings_for(fake), services, DEFAULT_LOADERS)
        await runner.start()
        await runner.stop()

    puts = fake.requests_to("PUT", f"/applications/{fake.application_id}/commands")
    assert len(puts) == 1


async def test_run_gateway_stops_cleanly_on_sigterm(
    fake: FakeDiscord, services: BotServices
) -> None:
    task = asyncio.create_task(run_gateway(settings_for(fake), services))
    await fake.wait_for(lambda: bool(fake.connections) and fake.connections[0].identify is not None)
    await fake.wait_for(lambda: None in fake.commands)

    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, timeout=15)

    assert task.exception() is None
    await fake.wait_for(lambda: fake.connections[0].ws.closed)
