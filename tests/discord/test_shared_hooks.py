"""The shared plumbing every command relies on, through the real lightbulb pipeline and the real
command path (`CommandSpec` → `specs.command_for` → `app.commands.run.invoke`): permission check,
cooldown, option limits, duplicate guard, deferral, error reporting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import lightbulb
import pytest

from app.adapters.discord import DEFAULT_LOADERS, InteractionIdFilter
from app.commands import run
from app.commands.spec import Invocation, Reply
from app.domain.errors import DomainError
from tests.discord import probe_commands
from tests.discord.conftest import HttpHarness, ManualClock
from tests.discord.probe_commands import ProbeBackend
from tests.fakes.discord import ADMINISTRATOR, MANAGE_GUILD, SEND_MESSAGES


@pytest.fixture
def backend() -> ProbeBackend:
    return ProbeBackend()


@pytest.fixture
def loaders(backend: ProbeBackend) -> Sequence[lightbulb.Loader]:
    return (*DEFAULT_LOADERS, probe_commands.probe_loader(backend))


async def test_the_handler_receives_the_options_and_the_interaction_facts(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    payload = http.command("probe echo", {"wishlist": "socks", "count": 2}, user_id=42)

    content, flags = await http.content_of(payload)

    [(name, invocation, values)] = backend.calls
    assert (name, values) == ("echo", {"wishlist": "socks", "count": 2})
    assert invocation.interaction_id == payload["id"]
    assert invocation.user_id == 42
    assert invocation.guild_id == int(payload["guild_id"])
    assert content == "done: echo {'wishlist': 'socks', 'count': 2}"
    assert flags & 64


async def test_a_public_reply_answers_in_the_channel(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    backend.reply = lambda name, inv, values: Reply("Season opened!", ephemeral=False)

    content, flags = await http.content_of(http.command("probe public"))

    assert content == "Season opened!"
    assert not flags & 64


async def test_no_reply_can_ping_anyone(http: HttpHarness, backend: ProbeBackend) -> None:
    backend.reply = lambda name, inv, values: Reply("@everyone <@1>", ephemeral=False)

    [callback] = await http.invoke(http.command("probe public"))

    assert callback["data"]["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize(
    ("permissions", "allowed"),
    [(SEND_MESSAGES, False), (MANAGE_GUILD, True), (ADMINISTRATOR, True)],
)
async def test_organiser_commands_need_manage_server(
    http: HttpHarness, backend: ProbeBackend, permissions: int, allowed: bool
) -> None:
    content, flags = await http.content_of(http.command("probe organiser", permissions=permissions))

    assert bool(backend.calls) is allowed
    if not allowed:
        assert content == "Only members with the Manage Server permission can use /probe organiser."
        assert flags & 64


async def test_a_cooldown_refuses_with_the_wait_and_lifts_after_it(
    http: HttpHarness, backend: ProbeBackend, clock: ManualClock
) -> None:
    first, _ = await http.content_of(http.command("probe limited"))
    clock.advance(1.0)
    refused, flags = await http.content_of(http.command("probe limited"))
    clock.advance(probe_commands.LIMITED_WINDOW - 1.0)
    after, _ = await http.content_of(http.command("probe limited"))

    assert first == "done: limited {}"
    assert refused == "/probe limited is cooling down; try again in 4 seconds."
    assert flags & 64
    assert after == "done: limited {}"
    assert len(backend.calls) == 2


async def test_a_cooldown_is_per_user(http: HttpHarness, backend: ProbeBackend) -> None:
    await http.content_of(http.command("probe limited", user_id=1))

    other, _ = await http.content_of(http.command("probe limited", user_id=2))

    assert other == "done: limited {}"


async def test_text_over_its_named_limit_is_refused_clearly(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    too_long = "x" * (probe_commands.WISHLIST_LIMIT + 1)

    content, flags = await http.content_of(http.command("probe echo", {"wishlist": too_long}))

    assert content == "wishlist is 11 characters long; the limit is 10."
    assert flags & 64
    assert backend.calls == []


async def test_a_number_out_of_range_is_refused_clearly(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    content, _ = await http.content_of(http.command("probe echo", {"wishlist": "a", "count": 9}))

    assert content == "count must be at most 5."
    assert backend.calls == []


async def test_the_same_interaction_delivered_twice_runs_once(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    payload = http.command("probe echo", {"wishlist": "tea"})
    raw = http.signer.body(payload)
    headers = http.signer.headers(raw)

    await http.post(payload, body=raw, headers=headers)
    await http.fake.wait_for(lambda: payload["id"] in http.fake.callbacks)
    await http.post(payload, body=raw, headers=headers)
    barrier, _ = await http.content_of(http.command("probe public"))

    assert barrier == "done: public {}"
    assert [name for name, _, _ in backend.calls] == ["echo", "public"]
    assert len(http.fake.callbacks[payload["id"]]) == 1


async def test_a_domain_refusal_reaches_the_user_verbatim(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    backend.error = DomainError("Sign-ups for 2026 are closed.")

    content, flags = await http.content_of(http.command("probe echo", {"wishlist": "a"}))

    assert content == "Sign-ups for 2026 are closed."
    assert flags & 64


async def test_a_failing_handler_gives_one_sentence_and_logs_a_traceback_with_the_id(
    http: HttpHarness, backend: ProbeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.error = RuntimeError("disk on fire")
    payload = http.command("probe echo", {"wishlist": "a"})

    with caplog.at_level(logging.ERROR):
        content, flags = await http.content_of(payload)

    assert content == run.UNEXPECTED.format(reference=payload["id"])
    assert flags & 64
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert payload["id"] in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is backend.error


async def test_an_adapter_failure_gives_one_sentence_with_the_interaction_id(
    http: HttpHarness, backend: ProbeBackend, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    broken = clock.broken = RuntimeError("clock on fire")  # the cooldown hook reads it
    payload = http.command("probe limited")

    with caplog.at_level(logging.ERROR, logger="yulelog.discord"):
        content, flags = await http.content_of(payload)
    clock.broken = None

    assert content == (
        "Something went wrong on our side and nothing was changed; please try again in a moment "
        f"(reference {payload['id']})."
    )
    assert "clock on fire" not in content
    assert flags & 64
    assert backend.calls == []
    [record] = [r for r in caplog.records if r.name == "yulelog.discord"]
    assert payload["id"] in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[1] is broken


async def test_slow_work_is_deferred_then_answered_by_follow_up(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    backend.gate = asyncio.Event()
    payload = http.command("probe slow")

    [deferral] = await http.invoke(payload)
    backend.gate.set()
    await http.fake.wait_for(lambda: bool(http.fake.followups.get(payload["token"])))

    assert deferral["type"] == 5
    assert deferral["data"]["flags"] & 64
    [follow_up] = http.fake.followups[payload["token"]]
    assert follow_up["content"] == "done: slow {}"


async def test_slow_work_that_is_refused_is_reported_by_follow_up(
    http: HttpHarness, backend: ProbeBackend
) -> None:
    backend.gate = asyncio.Event()
    backend.error = DomainError("The draw has already happened.")
    payload = http.command("probe slow")

    await http.invoke(payload)
    backend.gate.set()
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
    http: HttpHarness, backend: ProbeBackend, caplog: pytest.LogCaptureFixture
) -> None:
    def reply(name: str, invocation: Invocation, values: Mapping[str, Any]) -> Reply:
        logging.getLogger("yulelog.somewhere.deep").info("working on %s", name)
        return Reply("ok")

    backend.reply = reply
    caplog.handler.addFilter(InteractionIdFilter())
    payload = http.command("probe echo", {"wishlist": "a"})

    with caplog.at_level(logging.INFO, logger="yulelog.somewhere.deep"):
        await http.content_of(payload)
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "idle", None, None)
    InteractionIdFilter().filter(outside)

    [record] = [r for r in caplog.records if r.name == "yulelog.somewhere.deep"]
    assert record.interaction_id == payload["id"]  # type: ignore[attr-defined]
    assert outside.interaction_id == "-"  # type: ignore[attr-defined]
