"""Gateway reconnects end to end: the real GatewayBot loses its connection to the fake gateway in
each way Discord documents (socket dropped, resumable close code, op 7 RECONNECT, op 9 INVALID
SESSION, a session that timed out) and must come back without losing or double-handling an
interaction.

Timing: after any disconnect within 30 s of its last connect, hikari 2.6 sleeps 1.85**n seconds
plus up to 1 s of jitter before reconnecting (`_BACKOFF_WINDOW`, `_BACKOFF_BASE` in
hikari/impl/shard.py; n counts back-offs since the last reset), after 0.25 s for closing the old
socket. The bot cannot configure any of it, so each reconnect here costs 1.25-2.25 s, and a
refused RESUME followed by a new IDENTIFY about twice that.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.adapters.discord import GatewayRunner
from app.adapters.discord.wiring import discord_loaders, discord_services
from app.bootstrap import App, open_app
from app.projections import santa as views
from tests.discord.conftest import settings_for
from tests.fakes.discord import (
    MANAGE_GUILD,
    SEND_MESSAGES,
    FakeDiscord,
    GatewayConnection,
    slash_command,
)
from tests.fakes.discord.server import CLIENT_ENDING_CLOSE_CODES, GATEWAY_PATH, RESUME_PATH

GUILD = 290926798626357999
ORGANISER, ANN = 10, 11

#: Long enough for hikari's worst back-off in these tests (see the module docstring), with margin.
RECONNECT_WITHIN = 15.0


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async with open_app(
        tmp_path / "yulelog.db",
        clock=lambda: datetime(2026, 11, 22, 12, tzinfo=UTC),
        rng=random.Random(5),
    ) as opened:
        yield opened


@pytest.fixture
async def santa_bot(fake: FakeDiscord, app: App) -> AsyncIterator[GatewayRunner]:
    """The whole Discord mode on a real App (commands, event log, read models, DM dispatcher)."""
    runner = GatewayRunner(settings_for(fake), discord_services(app), discord_loaders(app))
    await runner.start()
    await fake.wait_for(lambda: None in fake.commands)
    yield runner
    await runner.stop(drain_timeout=2.0)


def health(fake: FakeDiscord) -> dict[str, Any]:
    return slash_command(
        "admin health", application_id=fake.application_id, permissions=MANAGE_GUILD
    )


def santa(
    fake: FakeDiscord, user: int, path: str, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    return slash_command(
        path,
        options,
        application_id=fake.application_id,
        guild_id=GUILD,
        user_id=user,
        permissions=MANAGE_GUILD if user == ORGANISER else SEND_MESSAGES,
    )


async def answer(fake: FakeDiscord, payload: dict[str, Any]) -> str:
    """Wait for the bot's answer to an interaction already dispatched; follow a deferral."""
    await fake.wait_for(lambda: payload["id"] in fake.callbacks, within=RECONNECT_WITHIN)
    [callback] = fake.callbacks[payload["id"]]
    if callback["type"] == 5:
        await fake.wait_for(lambda: bool(fake.followups.get(payload["token"])))
        return str(fake.followups[payload["token"]][-1]["content"])
    return str(callback["data"]["content"])


async def ask(fake: FakeDiscord, payload: dict[str, Any]) -> str:
    await fake.dispatch_interaction(payload)
    return await answer(fake, payload)


async def answered_once(fake: FakeDiscord, payload: dict[str, Any]) -> bool:
    """True when the bot answered `payload` exactly once, checked after a later interaction was
    answered (interactions are handled in order, so a second answer would be in by then)."""
    await answer(fake, payload)
    barrier = health(fake)
    await ask(fake, barrier)
    return len(fake.requests_to("POST", f"/interactions/{payload['id']}/")) == 1


async def reconnected(fake: FakeDiscord, after: int) -> GatewayConnection:
    """The first connection past the first `after` that took up a session (READY or RESUMED)."""
    await fake.wait_for(
        lambda: any(c.session is not None for c in fake.connections[after:]),
        within=RECONNECT_WITHIN,
    )
    return next(c for c in fake.connections[after:] if c.session is not None)


async def event_types(app: App) -> Counter[str]:
    return Counter([rec.type async for rec in app.store.read_all()])


@pytest.mark.parametrize("code", [None, 4000], ids=["socket-dropped", "close-4000"])
async def test_after_a_drop_the_bot_resumes_and_answers_the_next_interaction_once(
    fake: FakeDiscord, gateway: GatewayRunner, code: int | None
) -> None:
    await fake.wait_for(lambda: None in fake.commands)
    [first] = fake.connections
    assert first.session is not None
    session, seq = first.session, first.session.seq

    await fake.drop_connections(code)
    resumed = await reconnected(fake, after=1)
    payload = health(fake)
    await fake.dispatch_interaction(payload)

    assert resumed.path == RESUME_PATH  # READY's resume_gateway_url, as Discord asks
    assert resumed.identify is None
    assert resumed.resume == {"token": fake.token, "session_id": session.session_id, "seq": seq}
    assert resumed.resumed
    assert await answered_once(fake, payload)
    assert list(fake.sessions) == [session.session_id]  # no second IDENTIFY


async def test_an_interaction_sent_while_disconnected_is_replayed_and_handled_once(
    fake: FakeDiscord, santa_bot: GatewayRunner, app: App
) -> None:
    opened = await ask(fake, santa(fake, ORGANISER, "santa start", {"year": 2026}))
    [first] = fake.connections
    assert first.session is not None
    session, seq = first.session, first.session.seq

    await fake.drop_connections()
    join = santa(fake, ANN, "santa join", {"wishlist": "warm socks"})
    await fake.dispatch_interaction(join)  # nobody is connected: the session queues it
    queued = [frame["d"]["id"] for frame in session.after(seq)]
    resumed = await reconnected(fake, after=1)
    joined = await answer(fake, join)
    status = await ask(fake, santa(fake, ANN, "santa status"))

    assert opened.startswith("The 2026 Secret Santa is open!"), opened
    assert queued == [join["id"]]
    assert resumed.resume == {"token": fake.token, "session_id": session.session_id, "seq": seq}
    events = [f.get("t") for f in resumed.sent if f.get("op") == 0]
    assert events[:2] == ["INTERACTION_CREATE", "RESUMED"]  # replayed, then RESUMED
    assert joined.startswith("You're in!"), joined
    assert len(fake.requests_to("POST", f"/interactions/{join['id']}/")) == 1
    assert (await event_types(app))["santa.ParticipantJoined"] == 1
    season = views.current_season(app.view(views.SantaSeasonsProjection), GUILD)
    assert season is not None
    assert list(season.participants) == [ANN]
    assert "Participants: 1." in status, status


async def test_an_interaction_in_flight_when_the_socket_drops_is_handled_once(
    fake: FakeDiscord, santa_bot: GatewayRunner, app: App
) -> None:
    """Sent on the socket just before it drops: the bot either read it (and its RESUME's seq
    covers it) or did not (and gets it replayed); whichever happened, it joins once. Here the
    bytes are already in the kernel when the fake drops the socket, so in practice the bot reads
    it; the replayed case is the test above."""
    await ask(fake, santa(fake, ORGANISER, "santa start", {"year": 2026}))
    [first] = fake.connections
    assert first.session is not None
    join = santa(fake, ANN, "santa join")

    await fake.dispatch_interaction(join)
    await fake.drop_connections()
    resumed = await reconnected(fake, after=1)

    [join_seq] = [f["s"] for f in first.session.dispatches if f["d"].get("id") == join["id"]]
    replayed = any(f.get("d", {}).get("id") == join["id"] for f in resumed.sent if f["op"] == 0)
    assert resumed.resume is not None
    assert (resumed.resume["seq"] >= join_seq) is not replayed
    assert await answered_once(fake, join)
    assert (await event_types(app))["santa.ParticipantJoined"] == 1


async def _reconnect(fake: FakeDiscord) -> None:
    await fake.send_reconnect()


async def _invalid_but_resumable(fake: FakeDiscord) -> None:
    await fake.invalidate_sessions(resumable=True)


@pytest.mark.parametrize(
    "instruct",
    [_reconnect, _invalid_but_resumable],
    ids=["op7-reconnect", "op9-resumable"],
)
async def test_told_to_reconnect_the_bot_resumes_its_session(
    fake: FakeDiscord,
    gateway: GatewayRunner,
    instruct: Callable[[FakeDiscord], Awaitable[None]],
) -> None:
    await fake.wait_for(lambda: None in fake.commands)
    [first] = fake.connections
    assert first.session is not None
    session, seq = first.session, first.session.seq

    await instruct(fake)
    resumed = await reconnected(fake, after=1)
    payload = health(fake)
    await fake.dispatch_interaction(payload)

    # Closing with 1000/1001 would have ended the session on Discord's side.
    assert first.close_code not in CLIENT_ENDING_CLOSE_CODES
    assert resumed.resume == {"token": fake.token, "session_id": session.session_id, "seq": seq}
    assert await answered_once(fake, payload)


async def test_an_invalid_session_makes_the_bot_identify_anew_and_keep_working(
    fake: FakeDiscord, gateway: GatewayRunner
) -> None:
    await fake.wait_for(lambda: None in fake.commands)
    [first] = fake.connections
    assert first.session is not None
    rest_calls = len(fake.requests)

    await fake.invalidate_sessions(resumable=False)
    fresh = await reconnected(fake, after=1)
    payload = health(fake)
    await fake.dispatch_interaction(payload)

    assert fresh.path == GATEWAY_PATH  # the resume URL belongs to the ended session
    assert fresh.resume is None
    assert fresh.identify is not None
    assert fresh.session is not None
    assert fresh.session.session_id != first.session.session_id
    report = await answer(fake, payload)
    assert "Gateway: connected; 1 disconnection since start, the last " in report, report
    assert "(0 resumed, 1 new session)." in report, report
    assert await answered_once(fake, payload)
    # The new READY did not restart the lightbulb client: no application lookup, no command sync.
    later = fake.requests[rest_calls:]
    assert [(r.method, r.path) for r in later if not r.path.startswith("/interactions/")] == []


async def test_a_session_that_timed_out_is_refused_on_resume_and_the_bot_identifies(
    fake: FakeDiscord, gateway: GatewayRunner
) -> None:
    """4009 (session timed out): hikari still tries RESUME; the fake answers op 9 d=false, as
    Discord does for a session it no longer knows; then the bot must IDENTIFY."""
    await fake.wait_for(lambda: None in fake.commands)
    [first] = fake.connections
    assert first.session is not None

    await fake.drop_connections(4009)
    fresh = await reconnected(fake, after=1)
    payload = health(fake)
    await fake.dispatch_interaction(payload)

    [refused] = [c for c in fake.connections[1:] if c.resume is not None]
    assert refused.resume is not None
    assert refused.resume["session_id"] == first.session.session_id
    assert {"op": 9, "d": False} in refused.sent
    assert fresh.identify is not None
    assert await answered_once(fake, payload)


async def test_health_stays_truthful_across_a_reconnect(
    fake: FakeDiscord, santa_bot: GatewayRunner, app: App
) -> None:
    """`/admin health` reports uptime, the store, the DM dispatcher and the last measured gateway
    latency, and counts disconnections and how they ended (resumed or a new session). Asked while the bot was disconnected, it is answered after the resume, and a reconnect has
    stopped neither the DM dispatcher nor the read models."""
    await ask(fake, santa(fake, ORGANISER, "santa start", {"year": 2026}))
    await fake.wait_for(lambda: fake.connections[0].heartbeats > 0)

    await fake.drop_connections()
    during = health(fake)
    await fake.dispatch_interaction(during)
    resumed = await reconnected(fake, after=1)
    asked_during = await answer(fake, during)
    await fake.wait_for(lambda: resumed.heartbeats > 0)
    after = await ask(fake, health(fake))

    head = await app.store.head_position()
    for report in (asked_during, after):
        assert f"Event store: OK, position {head} (read models at {head})." in report, report
        assert "DM dispatcher: OK, running for" in report, report
        assert "Gateway latency:" in report, report
        assert "PROBLEM" not in report, report
    assert "Gateway latency: not measured yet." not in after
    assert "Gateway: connected; 1 disconnection since start, the last " in after, after
    assert "(1 resumed, 0 new sessions)." in after, after
