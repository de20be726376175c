"""The whole Discord mode on the real App: commands over the gateway, the draw's DMs delivered by
the dispatcher from the log, a closed DM reported to the organiser, a crash mid-delivery."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import hikari
import pytest

from app.adapters.discord import Dispatcher, FailureReason, GatewayRunner, OutboundMessage
from app.adapters.discord.santa_outbox import SantaOutbox
from app.adapters.discord.wiring import discord_loaders, discord_services, run_discord, store_probe
from app.bootstrap import App, open_app
from app.commands.registry import all_specs
from app.delivery import record_delivery
from app.domain import santa as s
from app.projections import santa as views
from app.reference import with_reference
from tests.discord.conftest import settings_for
from tests.fakes.discord import MANAGE_GUILD, SEND_MESSAGES, FakeDiscord, slash_command

GUILD = 290926798626357999
ORGANISER, ANN, BOB, CY = 10, 11, 12, 13


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async with open_app(
        tmp_path / "yulelog.db",
        clock=lambda: datetime(2026, 11, 22, 12, tzinfo=UTC),
        rng=random.Random(3),
    ) as opened:
        yield opened


async def event_types(app: App) -> Counter[str]:
    return Counter([rec.type async for rec in app.store.read_all()])


async def command(
    fake: FakeDiscord, user: int, path: str, options: dict[str, Any] | None = None
) -> str:
    payload = slash_command(
        path,
        options,
        application_id=fake.application_id,
        guild_id=GUILD,
        user_id=user,
        permissions=MANAGE_GUILD if user == ORGANISER else SEND_MESSAGES,
    )
    await fake.dispatch_interaction(payload)
    await fake.wait_for(lambda: payload["id"] in fake.callbacks)
    [callback] = fake.callbacks[payload["id"]]
    if callback["type"] == 5:
        await fake.wait_for(lambda: bool(fake.followups.get(payload["token"])))
        return str(fake.followups[payload["token"]][-1]["content"])
    return str(callback["data"]["content"])


def dm_texts(fake: FakeDiscord, user: int) -> list[str]:
    channel = fake.dm_channels.get(user)
    return [m["content"] for m in fake.messages.get(channel, [])] if channel else []


async def test_a_draw_over_the_gateway_delivers_every_dm_once_and_reports_closed_dms(
    fake: FakeDiscord, app: App
) -> None:
    fake.closed_dms.add(CY)
    runner = GatewayRunner(settings_for(fake), discord_services(app), discord_loaders(app))
    await runner.start()
    try:
        await fake.wait_for(lambda: None in fake.commands)
        await command(fake, ORGANISER, "santa start", {"year": 2026})
        for user in (ORGANISER, ANN, BOB, CY):
            await command(fake, user, "santa join")
        drawn = await command(fake, ORGANISER, "santa draw")
        await fake.wait_for(
            lambda: (
                bool(dm_texts(fake, ORGANISER)) and len(fake.requests_to("POST", "/channels/")) >= 5
            )
        )
        for _ in range(100):  # bounded: the dispatcher records each outcome right after its send
            types = await event_types(app)
            if types["santa.DirectMessageDelivered"] + types["santa.DirectMessageFailed"] >= 5:
                break
            await asyncio.sleep(0.01)
        status = await command(fake, BOB, "santa status")
    finally:
        await runner.stop()

    assert drawn.startswith("The names are drawn: 4 Santas")
    assert len(dm_texts(fake, ANN)) == 1
    assert len(dm_texts(fake, BOB)) == 1
    assert dm_texts(fake, CY) == []
    organiser = dm_texts(fake, ORGANISER)
    assert len(organiser) == 2  # their own draw notice, and the alert about Cy
    assert any("direct messages are closed" in text for text in organiser)
    assert types["santa.DirectMessageDelivered"] == 4
    assert types["santa.DirectMessageFailed"] == 1
    assert "failed 1" in status
    # Each delivery names the Discord message that carried it (for audits).
    delivered = [
        rec.event.discord_message_id
        async for rec in app.store.read_all()
        if rec.type == "santa.DirectMessageDelivered"
    ]
    assert sorted(delivered) == sorted(int(m["id"]) for m in fake.all_messages())


class _HoldFirstRecord:
    """Wraps the real outbox; the first delivery record never completes (the crash window)."""

    def __init__(self, inner: SantaOutbox) -> None:
        self.inner = inner
        self.reached = asyncio.Event()

    async def checkpoint(self) -> int:
        return await self.inner.checkpoint()

    async def head(self) -> int:
        return await self.inner.head()

    def due_after(self, position: int) -> AsyncIterator[OutboundMessage]:
        return self.inner.due_after(position)

    async def record_delivered(self, message: OutboundMessage, discord_message_id: int) -> None:
        self.reached.set()
        await asyncio.Event().wait()

    async def record_failed(
        self, message: OutboundMessage, reason: FailureReason, detail: str
    ) -> None:
        await self.inner.record_failed(message, reason, detail)


async def _drawn_season(app: App) -> None:
    """A 2026 season with Ann, Bob and Cy, drawn: three DMs are due."""
    guild = GUILD
    await app.santa(
        s.OpenSeason(
            guild_id=guild,
            actor_id=ORGANISER,
            actor_is_admin=True,
            actor_name="Org",
            year=2026,
            budget="",
            signup_deadline=datetime(2026, 12, 1, tzinfo=UTC),
            gift_deadline=datetime(2026, 12, 24, tzinfo=UTC),
            single_loop=False,
            avoid_past_years=0,
        ),
        idempotency_key="open",
    )
    for user in (ANN, BOB, CY):
        await app.santa(
            s.JoinSeason(
                guild_id=guild, actor_id=user, actor_is_admin=False, display_name=f"u{user}"
            ),
            idempotency_key=f"join/{user}",
        )
    await app.santa(
        s.DrawAssignments(guild_id=guild, actor_id=ORGANISER, actor_is_admin=True, any_valid=True),
        idempotency_key="draw",
    )


async def test_a_dispatcher_killed_after_a_send_resumes_from_the_log_without_duplicates(
    fake: FakeDiscord, app: App
) -> None:
    await _drawn_season(app)

    rest_app = hikari.RESTApp(url=fake.api_url, max_retries=0)
    await rest_app.start()
    async with rest_app.acquire(fake.token, hikari.TokenType.BOT) as rest:
        held = _HoldFirstRecord(SantaOutbox(app, poll_interval=0.05))
        first = asyncio.create_task(Dispatcher(held, rest).run())
        await asyncio.wait_for(held.reached.wait(), timeout=10)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert len(fake.all_messages()) == 1
        fake.forget_nonces()  # restarted later than Discord remembers nonces

        outbox = SantaOutbox(app, poll_interval=0.05)
        second = Dispatcher(outbox, rest)
        task = asyncio.create_task(second.run())
        for _ in range(500):  # bounded
            if (await event_types(app))["santa.DirectMessageDelivered"] == 3:
                break
            await asyncio.sleep(0.01)
        second.stop()
        await asyncio.wait_for(task, timeout=5)
    await rest_app.close()

    texts = [m["content"] for m in fake.all_messages()]
    assert len(texts) == 3
    assert len(set(texts)) == 3
    assert all(len(dm_texts(fake, user)) == 1 for user in (ANN, BOB, CY))
    assert (await event_types(app))["santa.DirectMessageDelivered"] == 3
    # Each DM is the due text with its reference line (which found the first one again).
    due = [rec.event async for rec in app.store.read_all() if rec.type == "santa.DirectMessageDue"]
    assert sorted(texts) == sorted(
        with_reference(ev.text, ev.message_id) for ev in due if isinstance(ev, s.DirectMessageDue)
    )


async def test_health_reports_the_log_position_and_read_models(fake: FakeDiscord, app: App) -> None:
    runner = GatewayRunner(settings_for(fake), discord_services(app), discord_loaders(app))
    await runner.start()
    try:
        await fake.wait_for(lambda: None in fake.commands)
        await command(fake, ORGANISER, "santa start", {"year": 2026})
        health = await command(fake, ORGANISER, "admin health")
    finally:
        await runner.stop()

    head = await app.store.head_position()
    assert f"Event store: OK, position {head} (read models at {head})." in health
    assert "DM dispatcher: OK, running for" in health  # the runner's dispatcher, reported live
    assert "Gateway latency:" in health
    assert "PROBLEM" not in health


async def test_every_spec_and_the_adapter_commands_are_registered(
    fake: FakeDiscord, app: App
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_discord("serve", settings_for(fake, interactions_port=0), app, stop=stop)
    )
    await fake.wait_for(lambda: None in fake.commands)
    stop.set()
    await asyncio.wait_for(task, timeout=10)

    names = {c["name"]: [o["name"] for o in c["options"]] for c in fake.commands[None]}
    assert set(names) == {"admin", "santa"}
    assert {"health", "backup"} <= set(names["admin"])
    santa_names = {spec.path[1] for spec in all_specs(app) if spec.path[0] == "santa"}
    assert set(names["santa"]) == santa_names
    texts = [
        o
        for c in fake.commands[None]
        for sub in c["options"]
        for o in sub.get("options", [])
        if o["type"] == 3
    ]
    assert texts
    # A named length limit on every free-text option (a choice list bounds the rest).
    assert all(isinstance(o.get("max_length"), int) or o.get("choices") for o in texts), texts


async def test_the_store_check_fails_once_the_read_models_stop(app: App) -> None:
    probe = store_probe(app)
    healthy = await probe()

    await app.runner.stop()
    stopped = await probe()

    head = await app.store.head_position()
    assert healthy.ok
    assert not stopped.ok
    assert stopped.detail == f"read models stopped at {head}: projection runner is not running"


@dataclass
class _Store:
    head: int
    is_open: bool = True

    async def head_position(self) -> int:
        return self.head


@dataclass
class _Runner:
    """Read models following the log (never caught up to `head + 1`), at `position`."""

    position: int

    async def wait_for(self, position: int) -> None:
        await asyncio.Event().wait()


async def test_the_store_check_fails_when_the_read_models_fall_behind_and_stay_behind() -> None:
    store, runner = _Store(head=1000), _Runner(position=100)
    probe = store_probe(cast(App, SimpleNamespace(store=store, runner=runner)))

    behind = await probe()
    runner.position = 600
    catching_up = await probe()
    stuck = await probe()
    runner.position = 990
    close = await probe()

    assert not behind.ok
    assert behind.detail == "read models at 100, 900 behind and not catching up"
    assert catching_up.ok  # still far behind, but closer than at the last check
    assert not stuck.ok
    assert close.ok
    assert close.detail == "read models at 990"


async def test_a_delivery_recorded_twice_appends_once(app: App) -> None:
    await _drawn_season(app)
    [(message_id, due)] = [
        (m, d)
        for m, d in views.pending_messages(app.view(views.SantaOutboxProjection))
        if d.recipient_id == ANN
    ]
    position = await app.store.head_position()

    for _ in range(2):
        await record_delivery(app, guild_id=due.guild_id, message_id=message_id, delivered=True)

    assert await app.store.head_position() == position + 1
    pending = views.pending_messages(app.view(views.SantaOutboxProjection))
    assert message_id not in {m for m, _ in pending}
