"""Every /santa command through the real pipeline: Discord-shaped JSON in, signed, through the real
lightbulb client, hooks and DI, into the real command path and event log; answers observed on the
fake Discord."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightbulb
import pytest

from app.adapters.discord import DEFAULT_LOADERS
from app.adapters.discord.specs import loader_for_specs
from app.bootstrap import App, open_app
from app.commands.santa import santa_specs
from tests.discord.conftest import HttpHarness, ManualClock
from tests.fakes.discord import MANAGE_GUILD, SEND_MESSAGES, USER, Opt

GUILD = 290926798626357999
ORGANISER, ANN, BOB, CY = 10, 11, 12, 13


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async with open_app(
        tmp_path / "yulelog.db",
        clock=lambda: datetime(2026, 11, 22, 12, tzinfo=UTC),
        rng=random.Random(7),
    ) as opened:
        yield opened


@pytest.fixture
def loaders(app: App) -> Sequence[lightbulb.Loader]:
    return (*DEFAULT_LOADERS, loader_for_specs(santa_specs(app), {"santa": "Secret Santa"}))


async def say(
    http: HttpHarness,
    user: int,
    path: str,
    options: dict[str, Any] | None = None,
    *,
    admin: bool = False,
) -> tuple[str, bool]:
    """Run one command as `user`; return the answer and whether only they could see it."""
    payload = http.command(
        path,
        options,
        user_id=user,
        guild_id=GUILD,
        permissions=MANAGE_GUILD if admin else SEND_MESSAGES,
    )
    content, flags = await http.content_of(payload)
    return content, bool(flags & 64)


async def open_season(http: HttpHarness) -> None:
    text, private = await say(
        http, ORGANISER, "santa start", {"year": 2026, "budget": "20 EUR"}, admin=True
    )
    assert text.startswith("The 2026 Secret Santa is open!"), text
    assert not private


async def test_every_spec_is_a_registered_slash_command(http: HttpHarness, app: App) -> None:
    [santa] = [c for c in http.fake.commands[None] if c["name"] == "santa"]

    registered = {o["name"] for o in santa["options"]}

    assert registered == {spec.path[1] for spec in santa_specs(app)}
    assert santa["contexts"] == [0]


async def test_a_whole_season_through_discord(http: HttpHarness, app: App) -> None:
    await open_season(http)
    for user in (ORGANISER, ANN, BOB, CY):
        text, private = await say(http, user, "santa join", {"wishlist": f"socks for {user}"})
        assert text.startswith("You're in!"), text
        assert private
    text, _ = await say(
        http,
        ORGANISER,
        "santa exclude",
        {"giver": Opt(USER, ANN), "receiver": Opt(USER, BOB)},
        admin=True,
    )
    assert text.startswith("Exclusion saved"), text

    drawn, drawn_private = await say(http, ORGANISER, "santa draw", admin=True)
    whois, whois_private = await say(http, ANN, "santa whois")
    message, _ = await say(http, ANN, "santa message", {"to": "giftee", "text": "Hello!"})
    sent, _ = await say(http, ANN, "santa sent")
    received, _ = await say(http, BOB, "santa received")
    status, _ = await say(http, BOB, "santa status")
    closed, closed_private = await say(http, ORGANISER, "santa close", admin=True)
    history, _ = await say(http, ANN, "santa history")

    assert drawn.startswith("The names are drawn: 4 Santas"), drawn
    assert not drawn_private
    assert whois.startswith("You are the Secret Santa of"), whois
    assert f"<@{BOB}>" not in whois.splitlines()[0]  # the exclusion held
    assert whois_private
    assert message == "Message sent anonymously to your giftee."
    assert sent == "Marked your gift as sent. Thank you, Santa!"
    assert received == "Marked your gift as received. Merry Christmas!"
    assert status.startswith("Secret Santa 2026:"), status
    assert closed == "The 2026 Secret Santa is closed and archived into the history."
    assert not closed_private
    assert history.startswith("Year | people"), history


async def test_a_slow_public_command_defers_privately_then_posts_publicly(
    http: HttpHarness,
) -> None:
    await open_season(http)
    for user in (ANN, BOB, CY):
        await say(http, user, "santa join")
    payload = http.command(
        "santa draw", user_id=ORGANISER, guild_id=GUILD, permissions=MANAGE_GUILD
    )

    [deferral] = await http.invoke(payload)
    await http.fake.wait_for(lambda: bool(http.fake.followups.get(payload["token"])))

    assert deferral["type"] == 5
    assert deferral["data"]["flags"] & 64
    assert http.fake.originals[payload["token"]]["content"].startswith("Done;")
    [public] = http.fake.followups[payload["token"]]
    assert public["content"].startswith("The names are drawn")
    assert not public["flags"] & 64


async def test_leave_wishlist_unexclude_remove(http: HttpHarness) -> None:
    await open_season(http)
    for user in (ANN, BOB, CY):
        await say(http, user, "santa join")

    wishlist, _ = await say(http, ANN, "santa wishlist", {"text": "a good book"})
    leave, _ = await say(http, BOB, "santa leave")
    await say(
        http,
        ORGANISER,
        "santa exclude",
        {"giver": Opt(USER, ANN), "receiver": Opt(USER, CY), "both_ways": True},
        admin=True,
    )
    unexclude, _ = await say(
        http,
        ORGANISER,
        "santa unexclude",
        {"giver": Opt(USER, ANN), "receiver": Opt(USER, CY), "both_ways": True},
        admin=True,
    )
    removed, _ = await say(http, ORGANISER, "santa remove", {"member": Opt(USER, ANN)}, admin=True)

    assert wishlist == "Wishlist saved."
    assert leave == "You have left the Secret Santa."
    assert unexclude == "Exclusion removed."
    assert removed == f"<@{ANN}> was removed from the Secret Santa."


async def test_organiser_commands_refuse_members_without_manage_server(
    http: HttpHarness, app: App
) -> None:
    text, private = await say(http, ANN, "santa start", {"year": 2026})

    assert text == "Only members with the Manage Server permission can use /santa start."
    assert private
    assert await app.store.head_position() == 0


async def test_a_domain_refusal_reads_as_one_sentence(http: HttpHarness) -> None:
    text, private = await say(http, ANN, "santa join")

    assert private
    assert text.endswith(".")
    assert "\n" not in text


async def test_a_text_over_its_limit_is_refused_before_the_log(http: HttpHarness, app: App) -> None:
    await open_season(http)
    position = await app.store.head_position()

    text, private = await say(http, ANN, "santa join", {"wishlist": "x" * 5000})

    assert "characters long; the limit is" in text
    assert private
    assert await app.store.head_position() == position


async def test_the_same_interaction_delivered_twice_appends_once(
    http: HttpHarness, app: App
) -> None:
    await open_season(http)
    payload = http.command("santa join", {"wishlist": "tea"}, user_id=ANN, guild_id=GUILD)
    raw = http.signer.body(payload)
    headers = http.signer.headers(raw)

    await http.post(payload, body=raw, headers=headers)
    await http.fake.wait_for(lambda: payload["id"] in http.fake.callbacks)
    after_first = await app.store.head_position()
    await http.post(payload, body=raw, headers=headers)
    probe, _ = await say(http, BOB, "santa status")

    assert await app.store.head_position() == after_first
    assert len(http.fake.callbacks[payload["id"]]) == 1
    assert probe.startswith("Secret Santa 2026")


async def test_a_second_draw_within_its_cooldown_is_refused_clearly(
    http: HttpHarness, app: App, clock: ManualClock
) -> None:
    await open_season(http)
    for user in (ANN, BOB, CY):
        await say(http, user, "santa join")
    drawn, _ = await say(http, ORGANISER, "santa draw", admin=True)
    position = await app.store.head_position()

    clock.advance(3)
    again, private = await say(http, ORGANISER, "santa draw", admin=True)
    at_refusal = await app.store.head_position()
    clock.advance(7)
    later, _ = await say(http, ORGANISER, "santa draw", admin=True)

    assert drawn.startswith("The names are drawn"), drawn
    assert again == "/santa draw is cooling down; try again in 7 seconds."
    assert private
    assert at_refusal == position  # refused before the command path: nothing appended
    assert "cooling down" not in later  # the window is over: the domain answers again


async def test_santa_message_has_a_per_member_cooldown(
    http: HttpHarness, clock: ManualClock
) -> None:
    await open_season(http)
    for user in (ANN, BOB, CY):
        await say(http, user, "santa join")
    await say(http, ORGANISER, "santa draw", admin=True)

    first, _ = await say(http, ANN, "santa message", {"to": "giftee", "text": "Hi!"})
    second, private = await say(http, ANN, "santa message", {"to": "giftee", "text": "Hi again"})
    other, _ = await say(http, BOB, "santa message", {"to": "giftee", "text": "Hello"})
    clock.advance(5)
    after, _ = await say(http, ANN, "santa message", {"to": "giftee", "text": "Hi again"})

    assert first == "Message sent anonymously to your giftee."
    assert second == "/santa message is cooling down; try again in 5 seconds."
    assert private
    assert other == "Message sent anonymously to your giftee."
    assert after == "Message sent anonymously to your giftee."
