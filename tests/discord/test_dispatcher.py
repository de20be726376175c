"""The DM and channel-post dispatcher against the fake Discord: exactly once, even when killed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import hikari
import pytest

from app.adapters.discord import (
    BotServices,
    Dispatcher,
    FailureReason,
    OutboundMessage,
    ServeRunner,
    nonce_for,
)
from tests.discord.conftest import RecordingService, settings_for
from tests.fakes.discord import FakeDiscord
from tests.fakes.outbox import MemoryOutbox


def dm(n: int, user: int = 500, text: str | None = None) -> OutboundMessage:
    return OutboundMessage(
        message_id=f"santa/1/dm/{n}", position=n, kind="dm", target=user, text=text or f"hi {n}"
    )


@pytest.fixture
async def rest(fake: FakeDiscord) -> AsyncIterator[hikari.api.RESTClient]:
    app = hikari.RESTApp(url=fake.api_url, max_retries=0)
    await app.start()
    async with app.acquire(fake.token, hikari.TokenType.BOT) as client:
        yield client
    await app.close()


async def run_until_settled(dispatcher: Dispatcher, outbox: MemoryOutbox, *ids: str) -> None:
    task = asyncio.create_task(dispatcher.run())
    await outbox.wait_settled(*ids)
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)


async def test_a_due_dm_is_sent_once_with_a_nonce_and_recorded(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    outbox = MemoryOutbox(due=[dm(1)])

    await run_until_settled(Dispatcher(outbox, rest), outbox, dm(1).message_id)

    [posted] = fake.requests_to("POST", "/channels/")
    assert posted.body["nonce"] == nonce_for(dm(1).message_id)
    assert posted.body["enforce_nonce"] is True
    assert posted.path == f"/channels/{fake.dm_channels[500]}/messages"
    [message] = fake.all_messages()
    assert message["content"] == "hi 1"
    assert outbox.delivered == {dm(1).message_id: int(message["id"])}


async def test_a_channel_post_goes_to_the_channel(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    post = OutboundMessage(message_id="m", position=1, kind="channel", target=777, text="Drawn!")
    outbox = MemoryOutbox(due=[post])

    await run_until_settled(Dispatcher(outbox, rest), outbox, "m")

    assert [m["content"] for m in fake.messages[777]] == ["Drawn!"]
    assert not fake.requests_to("POST", "/users/@me/channels")


async def test_closed_dms_are_recorded_as_failed_and_the_rest_still_go_out(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    fake.closed_dms.add(501)
    outbox = MemoryOutbox(due=[dm(1, user=501), dm(2, user=502)])

    await run_until_settled(Dispatcher(outbox, rest), outbox, dm(1).message_id, dm(2).message_id)

    reason, detail = outbox.failed[dm(1).message_id]
    assert reason is FailureReason.RECIPIENT_UNREACHABLE
    assert "Cannot send messages to this user" in detail
    assert dm(2).message_id in outbox.delivered


async def test_killed_between_send_and_record_it_resumes_without_loss_or_duplicate(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    messages = [dm(1), dm(2), dm(3)]
    outbox = MemoryOutbox(due=list(messages), hold_record_of=dm(2).message_id)

    first = asyncio.create_task(Dispatcher(outbox, rest).run())
    await asyncio.wait_for(outbox.record_reached.wait(), timeout=10)
    first.cancel()  # the crash: message 2 is on Discord, its delivery is not in the log
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(fake.all_messages()) == 2
    assert dm(2).message_id not in outbox.delivered

    outbox.hold_record_of = None
    await run_until_settled(Dispatcher(outbox, rest), outbox, *(m.message_id for m in messages))

    assert [m["content"] for m in fake.all_messages()] == ["hi 1", "hi 2", "hi 3"]
    sends_of_2 = [r for r in fake.requests_to("POST", "/channels/") if r.body["content"] == "hi 2"]
    assert len(sends_of_2) == 2  # sent again after the restart ...
    assert sends_of_2[0].body["nonce"] == sends_of_2[1].body["nonce"]  # ... with the same nonce
    [posted_2] = [m for m in fake.all_messages() if m["content"] == "hi 2"]
    assert outbox.delivered[dm(2).message_id] == int(posted_2["id"])
    assert sorted(outbox.record_calls) == sorted(m.message_id for m in messages)


async def test_killed_before_sending_it_sends_after_restart(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    outbox = MemoryOutbox()
    dispatcher = Dispatcher(outbox, rest)
    task = asyncio.create_task(dispatcher.run())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await outbox.add(dm(1))

    await run_until_settled(Dispatcher(outbox, rest), outbox, dm(1).message_id)

    assert [m["content"] for m in fake.all_messages()] == ["hi 1"]


async def test_new_due_messages_are_followed_live(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    outbox = MemoryOutbox(due=[dm(1)])
    dispatcher = Dispatcher(outbox, rest)
    task = asyncio.create_task(dispatcher.run())
    await outbox.wait_settled(dm(1).message_id)

    await outbox.add(dm(2))
    await outbox.wait_settled(dm(2).message_id)
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)

    assert [m["content"] for m in fake.all_messages()] == ["hi 1", "hi 2"]
    assert dispatcher.position == 2


async def test_a_transient_discord_error_is_retried(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    fake.fail_next["POST channels"] = [500, 503]
    outbox = MemoryOutbox(due=[dm(1)])

    await run_until_settled(Dispatcher(outbox, rest, base_delay=0.001), outbox, dm(1).message_id)

    assert dm(1).message_id in outbox.delivered
    assert len(fake.all_messages()) == 1


async def test_an_outage_outlasting_the_retries_is_recorded_as_unavailable(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    fake.fail_next["POST channels"] = [500] * 3
    outbox = MemoryOutbox(due=[dm(1)])
    dispatcher = Dispatcher(outbox, rest, max_attempts=3, base_delay=0.001)

    await run_until_settled(dispatcher, outbox, dm(1).message_id)

    assert outbox.failed[dm(1).message_id][0] is FailureReason.UNAVAILABLE
    assert fake.all_messages() == []


async def test_the_serve_runner_starts_and_drains_the_dispatcher(
    fake: FakeDiscord, service: RecordingService
) -> None:
    outbox = MemoryOutbox(due=[dm(1)])
    runner = ServeRunner(settings_for(fake), BotServices(execute=service, outbox=outbox), ())
    await runner.start()
    await outbox.wait_settled(dm(1).message_id)
    await runner.stop(drain_timeout=5)

    assert runner.dispatcher is not None
    assert len(runner.tasks) == 0
    assert [m["content"] for m in fake.all_messages()] == ["hi 1"]
