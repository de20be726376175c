"""The shared plumbing every command relies on, through the real lightbulb pipeline: permission
check, cooldown, option limits, deferral, error reporting, service injection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import lightbulb
import pytest

from app.adapters.discord import (
    DEFAULT_LOADERS,
    BotServices,
    InteractionIdFilter,
    Invocation,
    Reply,
)
from tests.discord import probe_commands
from tests.discord.conftest import HttpHarness, ManualClock, RecordingService
from tests.fakes.discord import ADMINISTRATOR, MANAGE_GUILD, SEND_MESSAGES


class SeasonClosed(Exception):
    """Stands in for the domain's DomainError: its message is meant for the user."""


@pytest.fixture
def loaders() -> Sequence[lightbulb.Loader]:
    return (*DEFAULT_LOADERS, probe_commands.loader)


@pytest.fixture
def services(service: RecordingService, clock: ManualClock) -> BotServices:
    return BotServices(execute=service, clock=clock, user_error_types=(SeasonClosed,))


async def test_the_service_receives_the_command_and_the_interaction_facts(
    http: HttpHarness, service: RecordingService
) -> None:
    payload = http.command("probe echo", {"wishlist": "socks", "count": 2}, user_id=42)

    content, flags = await http.content_of(payload)

    [(command, invocation)] = service.calls
    assert command == probe_commands.Echo("socks", 2)
    assert invocation.interaction_id == int(payload["id"])
    assert invocation.user_id == 42
    assert invocation.guild_id == int(payload["guild_id"])
    assert content == "done: Echo(text='socks', count=2)"
    assert flags & 64


async def test_a_public_command_may_answer_in_the_channel(
    http: HttpHarness, service: RecordingService
) -> None:
    service.reply = lambda c, i: Reply(text="Season opened!", ephemeral=False)

    content, flags = await http.content_of(http.command("probe public"))

    assert content == "Season opened!"
    assert not flags & 64


async def test_a_secret_command_never_answers_publicly(
    http: HttpHarness, service: RecordingService
) -> None:
    service.reply = lambda c, i: Reply(text="Your giftee is Ann.", ephemeral=False)

    _, flags = await http.content_of(http.command("probe echo", {"wishlist": "x"}))

    assert flags & 64


async def test_no_reply_can_ping_anyone(http: HttpHarness, service: RecordingService) -> None:
    service.reply = lambda c, i: Reply(text="@everyone <@1>", ephemeral=False)

    [callback] = await http.invoke(http.command("probe public"))

    assert callback["data"]["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    ("permissions", "allowed"),
    [(SEND_MESSAGES, False), (MANAGE_GUILD, True), (ADMINISTRATOR, True)],
)
async def test_organiser_commands_need_manage_server(
    http: HttpHarness, service: RecordingService, permissions: int, allowed: bool
) -> None:
    content, flags = await http.content_of(http.command("probe organiser", permissions=permissions))

    assert bool(service.calls) is allowed
    if not allowed:
        assert content == "You need the Manage Server permission to use this command."
        assert flags & 64


async def test_a_cooldown_refuses_with_the_wait_and_lifts_after_it(
    http: HttpHarness, service: RecordingService, clock: ManualClock
) -> None:
    answers = [(await http.content_of(http.command("probe limited")))[0] for _ in range(3)]
    clock.advance(5.0)
    after, _ = await http.content_of(http.command("probe limited"))

    assert answers[:2] == ["done: Named(name='limited')"] * 2
    assert answers[2] == "/probe limited is cooling down; try again in 5 seconds."
    assert after == "done: Named(name='limited')"
    assert len(service.calls) == 3


async def test_a_cooldown_is_per_user(http: HttpHarness, service: RecordingService) -> None:
    for _ in range(2):
        await http.content_of(http.command("probe limited", user_id=1))

    other, _ = await http.content_of(http.command("probe limited", user_id=2))

    assert other == "done: Named(name='limited')"


async def test_text_over_its_named_limit_is_refused_clearly(
    http: HttpHarness, service: RecordingService
) -> None:
    too_long = "x" * (probe_commands.WISHLIST_LIMIT + 1)

    content, flags = await http.content_of(http.command("probe echo", {"wishlist": too_long}))

    assert content == "wishlist is 11 characters long; the limit is 10."
    assert flags & 64
    assert service.calls == []


async def test_a_number_out_of_range_is_refused_clearly(
    http: HttpHarness, service: RecordingService
) -> None:
    content, _ = await http.content_of(http.command("probe echo", {"wishlist": "a", "count": 9}))

    assert content == "count must be at most 5."
    assert service.calls == []


async def test_a_user_error_from_the_service_reaches_the_user_verbatim(
    http: HttpHarness, service: RecordingService
) -> None:
    service.error = SeasonClosed("Sign-ups for 2026 are closed.")

    content, flags = await http.content_of(http.command("probe echo", {"wishlist": "a"}))

    assert content == "Sign-ups for 2026 are closed."
    assert flags & 64


async def test_an_internal_error_gives_one_sentence_and_logs_a_traceback_with_the_id(
    http: HttpHarness, service: RecordingService, caplog: pytest.LogCaptureFixture
) -> None:
    service.error = RuntimeError("disk on fire")
    payload = http.command("probe echo", {"wishlist": "a"})

    with caplog.at_level(logging.ERROR, logger="yulelog.discord"):
        content, _ = await http.content_of(payload)

    assert content == (
        "Something went wrong on our side and nothing was changed; please try again in a moment "
        f"(reference {payload['id']})."
    )
    assert "disk on fire" not in content
    [record] = [r for r in caplog.records if r.name == "yulelog.discord"]
    assert payload["id"] in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is service.error


async def test_slow_work_is_deferred_then_answered_by_follow_up(
    http: HttpHarness, service: RecordingService
) -> None:
    service.gate = asyncio.Event()
    payload = http.command("probe slow")

    [deferral] = await http.invoke(payload)
    service.gate.set()
    await http.fake.wait_for(lambda: bool(http.fake.followups.get(payload["token"])))

    assert deferral["type"] == 5
    assert deferral["data"]["flags"] & 64
    [follow_up] = http.fake.followups[payload["token"]]
    assert follow_up["content"] == "done: Named(name='slow')"


async def test_slow_work_that_fails_is_reported_by_follow_up(
    http: HttpHarness, service: RecordingService
) -> None:
    service.gate = asyncio.Event()
    service.error = SeasonClosed("The draw has already happened.")
    payload = http.command("probe slow")

    await http.invoke(payload)
    service.gate.set()
    await http.fake.wait_for(lambda: bool(http.fake.followups.get(payload["token"])))

    [follow_up] = http.fake.followups[payload["token"]]
    assert follow_up["content"] == "The draw has already happened."


async def test_every_text_option_of_every_command_declares_a_length_limit(
    http: HttpHarness,
) -> None:
    def options(command: dict[str, object]) -> list[dict[str, object]]:
        found: list[dict[str, object]] = []
        for option in command.get("options", []) or []:  # type: ignore[attr-defined]
            found.append(option)
            found.extend(options(option))
        return found

    strings = [o for c in http.fake.commands[None] for o in options(c) if o["type"] == 3]

    assert strings
    assert all(isinstance(o.get("max_length"), int) for o in strings), strings


async def test_every_log_line_during_an_interaction_carries_its_id(
    http: HttpHarness, service: RecordingService, caplog: pytest.LogCaptureFixture
) -> None:
    def reply(command: object, invocation: Invocation) -> Reply:
        logging.getLogger("yulelog.somewhere.deep").info("working on %r", command)
        return Reply(text="ok")

    service.reply = reply
    caplog.handler.addFilter(InteractionIdFilter())
    payload = http.command("probe echo", {"wishlist": "a"})

    with caplog.at_level(logging.INFO, logger="yulelog.somewhere.deep"):
        await http.content_of(payload)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "idle", None, None)
    InteractionIdFilter().filter(outside)

    [record] = [r for r in caplog.records if r.name == "yulelog.somewhere.deep"]
    assert record.interaction_id == payload["id"]  # type: ignore[attr-defined]
    assert outside.interaction_id == "-"  # type: ignore[attr-defined]
