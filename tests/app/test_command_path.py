"""The one command path: idempotent retries, concurrent writers, refusals that change nothing."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.bootstrap import App, open_app
from app.commands.registry import all_specs
from app.commands.run import NEEDS_MANAGE_SERVER, invoke
from app.commands.spec import REPLY_MAX_CHARS, CommandSpec, Invocation, Reply
from app.domain import santa as s

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async with open_app(tmp_path / "y.db", clock=lambda: NOW, rng=random.Random(7)) as a:
        yield a


def spec(app: App, path: str) -> CommandSpec:
    return next(sp for sp in all_specs(app) if sp.name == path)


def inv(user: int, *, admin: bool = False, interaction: str | None = None) -> Invocation:
    return Invocation(
        guild_id=10,
        channel_id=20,
        user_id=user,
        user_name=f"user{user}",
        is_admin=admin,
        interaction_id=interaction or f"i-{user}-{random.random()}",
    )


async def test_same_interaction_twice_appends_once(app: App) -> None:
    start = spec(app, "santa start")
    first = await invoke(start, inv(1, admin=True, interaction="123"), {"year": 2026})
    head = await app.store.head_position()
    again = await invoke(start, inv(1, admin=True, interaction="123"), {"year": 2026})
    assert await app.store.head_position() == head
    assert again.text == first.text


async def test_retried_draw_is_not_redrawn(app: App) -> None:
    await invoke(spec(app, "santa start"), inv(1, admin=True), {"year": 2026})
    for user in (1, 2, 3, 4):
        await invoke(spec(app, "santa join"), inv(user), {})
    draw = spec(app, "santa draw")
    await invoke(draw, inv(1, admin=True, interaction="draw-1"), {})
    head = await app.store.head_position()
    reply = await invoke(draw, inv(1, admin=True, interaction="draw-1"), {})
    assert "names are drawn" in reply.text
    assert await app.store.head_position() == head


async def test_concurrent_joins_all_recorded(app: App) -> None:
    await invoke(spec(app, "santa start"), inv(1, admin=True), {"year": 2026})
    join = spec(app, "santa join")
    replies = await asyncio.gather(*(invoke(join, inv(u), {}) for u in range(100, 140)))
    assert all(r.text.startswith("You're in!") for r in replies)
    status = await invoke(spec(app, "santa status"), inv(1), {})
    assert "Participants: 40." in status.text


async def test_refusals_append_nothing(app: App) -> None:
    head = await app.store.head_position()
    assert (await invoke(spec(app, "santa join"), inv(2), {})).text.startswith("There is no open")
    reply = await invoke(spec(app, "santa start"), inv(2), {"year": 2026})
    assert reply.text == NEEDS_MANAGE_SERVER.format(name="santa start")
    reply = await invoke(spec(app, "santa start"), inv(2, admin=True), {"year": 1999})
    assert reply.text == "year must be at least 2000."
    too_long = "x" * (s.WISHLIST_MAX_CHARS + 1)
    reply = await invoke(spec(app, "santa wishlist"), inv(2), {"text": too_long})
    assert (
        reply.text
        == f"text is {len(too_long)} characters long; the limit is {s.WISHLIST_MAX_CHARS}."
    )
    assert await app.store.head_position() == head


async def test_organiser_without_manage_server_may_draw(app: App) -> None:
    # An admin opens the season on behalf of organiser 5? No: the organiser is whoever opened it.
    await invoke(spec(app, "santa start"), inv(5, admin=True), {"year": 2026})
    for user in (5, 6):
        await invoke(spec(app, "santa join"), inv(user), {})
    reply = await invoke(spec(app, "santa draw"), inv(5, admin=False), {})
    assert "names are drawn" in reply.text
    refused = await invoke(spec(app, "santa draw"), inv(6, admin=False), {})
    assert "names are drawn" not in refused.text


@pytest.mark.parametrize(
    "raw", ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "1999-12-24", "2102-01-01"]
)
async def test_extreme_deadlines_are_refused_clearly(app: App, raw: str) -> None:
    reply = await invoke(
        spec(app, "santa start"), inv(1, admin=True), {"year": 2026, "gift_deadline": raw}
    )
    assert reply.text == "gift_deadline must fall between 2000 and 2101."


async def test_history_shows_other_members_pairs_only_to_admins(app: App) -> None:
    await invoke(spec(app, "santa start"), inv(1, admin=True), {"year": 2025})
    for user in (1, 2, 3):
        await invoke(spec(app, "santa join"), inv(user), {})
    await invoke(spec(app, "santa draw"), inv(1, admin=True), {})
    await invoke(spec(app, "santa close"), inv(1, admin=True), {})
    history = spec(app, "santa history")
    own = await invoke(history, inv(2), {})
    assert "gave to user" in own.text
    other = await invoke(history, inv(3), {"member": 2})
    assert "gave to" not in other.text
    assert "Only members with Manage Server" in other.text
    admin = await invoke(history, inv(1, admin=True), {"member": 2})
    assert "gave to user" in admin.text


async def test_deciding_happens_off_the_event_loop(app: App) -> None:
    """A long draw must not freeze the bot: decide runs on a worker thread (lessons 001 #4)."""
    import threading

    from app.bootstrap import SANTA_DECIDER
    from app.service import FunctionDecider

    threads: list[str] = []

    def spying_decide(command: object, state: s.SantaState, **kw: object) -> list[object]:
        threads.append(threading.current_thread().name)
        return s.decide(command, state, **kw)  # type: ignore[arg-type]

    spy = FunctionDecider(SANTA_DECIDER.initial, SANTA_DECIDER.evolve_fn, spying_decide)
    cmd = s.OpenSeason(
        guild_id=10,
        actor_id=1,
        actor_name="Ann",
        year=2026,
        budget="",
        signup_deadline=NOW,
        gift_deadline=NOW,
    )
    await app.service.execute(s.stream_id(10), cmd, spy)
    assert threads
    assert threads[0] != threading.main_thread().name


async def test_a_refusal_about_a_large_group_counts_it_and_fits_one_message(app: App) -> None:
    """35 of 40 members may not give to the other 5, so no single loop exists: the refusal counts
    the closed group instead of naming 35 long names past Discord's 2,000 characters."""
    admin = Invocation(
        guild_id=10, channel_id=20, user_id=1, user_name="o", is_admin=True, interaction_id="x"
    )

    def member(user: int) -> Invocation:
        name = f"a-rather-long-display-name-{user:02d}"
        return Invocation(
            guild_id=10,
            channel_id=20,
            user_id=user,
            user_name=name,
            is_admin=False,
            interaction_id=f"join-{user}",
        )

    await invoke(
        spec(app, "santa start"),
        replace(admin, interaction_id="start"),
        {"year": 2026, "single_loop": True},
    )
    for user in range(1, 41):
        await invoke(spec(app, "santa join"), member(user), {})
    exclude = spec(app, "santa exclude")
    for giver in range(1, 36):
        for receiver in range(36, 41):
            reply = await invoke(
                exclude,
                replace(admin, interaction_id=f"ex-{giver}-{receiver}"),
                {"giver": giver, "receiver": receiver},
            )
            assert reply.text.startswith("Exclusion saved"), reply.text
    reply = await invoke(spec(app, "santa draw"), replace(admin, interaction_id="draw"), {})
    assert reply.text.startswith("No single loop through everyone is possible: 35 members may only")
    assert len(reply.text) <= REPLY_MAX_CHARS


async def test_every_reply_fits_one_discord_message(app: App) -> None:
    async def chatty(inv: Invocation, values: Mapping[str, Any]) -> Reply:
        return Reply("x" * 5000)

    long_spec = CommandSpec(path=("test", "chatty"), description="says too much", handler=chatty)
    reply = await invoke(long_spec, inv(1), {})
    assert len(reply.text) == REPLY_MAX_CHARS
    assert reply.text.endswith("…")
