"""The DM and channel-post dispatcher against the fake Discord: exactly once, even when killed,
and even when the retry comes after Discord has forgotten the nonce."""

from __future__ import annotations

import asyncio
import logging
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
from app.reference import reference_for, with_reference
from tests.discord.conftest import ManualClock, settings_for
from tests.fakes.discord import FakeDiscord, snowflake
from tests.fakes.outbox import MemoryOutbox


def dm(n: int, user: int = 500, text: str | None = None) -> OutboundMessage:
    return OutboundMessage(
        message_id=f"santa/1/dm/{n}", position=n, kind="dm", target=user, text=text or f"hi {n}"
    )


def shown(message: OutboundMessage) -> str:
    """What Discord holds for `message`: its text and its reference line."""
    return with_reference(message.text, message.message_id)


def contents(fake: FakeDiscord) -> list[str]:
    return [m["content"] for m in fake.all_messages()]


def looks(fake: FakeDiscord) -> list[str]:
    """The channels whose history the bot read, in order."""
    return [r.path.split("/")[2] for r in fake.requests_to("GET", "/channels/")]


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
    assert message["content"] == "hi 1\n-# ref " + reference_for(dm(1).message_id)
    assert outbox.delivered == {dm(1).message_id: int(message["id"])}


async def test_a_channel_post_goes_to_the_channel(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    post = OutboundMessage(message_id="m", position=1, kind="channel", target=777, text="Drawn!")
    outbox = MemoryOutbox(due=[post])

    await run_until_settled(Dispatcher(outbox, rest), outbox, "m")

    assert [m["content"] for m in fake.messages[777]] == ["Drawn!\n-# ref " + reference_for("m")]
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

    assert contents(fake) == [shown(m) for m in messages]
    [posted_2] = [m for m in fake.all_messages() if m["content"] == shown(dm(2))]
    assert outbox.delivered[dm(2).message_id] == int(posted_2["id"])
    assert sorted(outbox.record_calls) == sorted(m.message_id for m in messages)


async def test_restarted_after_discord_forgot_the_nonce_it_finds_the_sent_dm_and_posts_nothing(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    messages = [dm(1), dm(2), dm(3)]
    outbox = MemoryOutbox(due=list(messages), hold_record_of=dm(2).message_id)
    first = asyncio.create_task(Dispatcher(outbox, rest).run())
    await asyncio.wait_for(outbox.record_reached.wait(), timeout=10)
    first.cancel()  # message 2 is on Discord, its delivery is not in the log
    with pytest.raises(asyncio.CancelledError):
        await first
    [posted_2] = [m for m in fake.all_messages() if m["content"] == shown(dm(2))]
    fake.forget_nonces()  # the restart comes later than Discord's nonce memory
    posts_before = len(fake.requests_to("POST", "/channels/"))
    looks_before = len(looks(fake))

    outbox.hold_record_of = None
    await run_until_settled(Dispatcher(outbox, rest), outbox, *(m.message_id for m in messages))

    assert contents(fake) == [shown(m) for m in messages]  # exactly one of each
    assert outbox.delivered[dm(2).message_id] == int(posted_2["id"])  # the original message
    sends = fake.requests_to("POST", "/channels/")[posts_before:]
    assert [r.body["content"] for r in sends] == [shown(dm(3))]  # 2 found, 3 never sent before
    reads = fake.requests_to("GET", "/channels/")[looks_before:]
    assert {r.path for r in reads} == {f"/channels/{fake.dm_channels[500]}/messages"}
    # 2: found on the newest page; 3: the page, then hikari's empty read past the channel's start.
    assert ["before" in r.query for r in reads] == [False, False, True]
    assert all(r.query["limit"] == "100" for r in reads)


@pytest.mark.parametrize("lost", [500, None], ids=["answered 500", "connection dropped"])
async def test_a_lost_answer_retried_after_the_nonce_window_is_found_not_posted_again(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock, lost: int | None
) -> None:
    fake.clock = clock
    fake.nonce_ttl = 60.0  # Discord would post a second copy for this nonce by the retry
    fake.lose_answer["POST channels"] = [lost]
    outbox = MemoryOutbox(due=[dm(1)])
    dispatcher = Dispatcher(
        outbox, rest, max_attempts=1, defer_delay=400, clock=clock, sleep=clock.sleep
    )
    start = clock.now

    await run_until_settled(dispatcher, outbox, dm(1).message_id)

    [message] = fake.all_messages()
    assert message["content"] == shown(dm(1))
    assert outbox.delivered == {dm(1).message_id: int(message["id"])}  # the original's id
    assert len(fake.requests_to("POST", "/channels/")) == 1
    assert clock.now - start >= 200  # the retry came after the nonce window ...
    # ... and only looked: the first look (due at start) found nothing, the send's answer was
    # lost, the retry's look found the message.
    assert [r.method for r in fake.requests if "/messages" in r.path] == ["GET", "POST", "GET"]
    assert outbox.failed == {}


async def test_a_lost_answer_retried_at_once_relies_on_the_nonce_without_looking(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    outbox = MemoryOutbox(due=[dm(1)])
    dispatcher = Dispatcher(outbox, rest, base_delay=0.001)
    task = asyncio.create_task(dispatcher.run())
    await outbox.wait_settled(dm(1).message_id)
    looks_before = len(looks(fake))
    fake.lose_answer["POST channels"] = [503]

    await outbox.add(dm(2))  # due after the dispatcher started: nobody tried it before
    await outbox.wait_settled(dm(2).message_id)
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)

    assert contents(fake) == [shown(dm(1)), shown(dm(2))]
    assert outbox.delivered[dm(2).message_id] == int(fake.all_messages()[1]["id"])
    sends_of_2 = [
        r for r in fake.requests_to("POST", "/channels/") if r.body["content"] == shown(dm(2))
    ]
    assert len(sends_of_2) == 2  # the retry came within the nonce window: Discord deduplicated it
    assert len(looks(fake)) == looks_before  # so it did not look


async def test_a_send_that_never_reached_discord_is_sent_once_after_the_look(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    fake.fail_next["POST channels"] = [500]  # refused before anything was created
    outbox = MemoryOutbox(due=[dm(1)])
    dispatcher = Dispatcher(
        outbox, rest, max_attempts=1, defer_delay=400, clock=clock, sleep=clock.sleep
    )

    await run_until_settled(dispatcher, outbox, dm(1).message_id)

    assert contents(fake) == [shown(dm(1))]
    assert [r.method for r in fake.requests if "/messages" in r.path] == [
        "GET",
        "POST",
        "GET",
        "POST",
    ]


async def arrange_earlier_send(fake: FakeDiscord, message: OutboundMessage) -> dict[str, object]:
    """`message` as an earlier process left it: on Discord, long enough ago that the nonce is
    forgotten, and not recorded."""
    channel = fake.dm_channels.setdefault(message.target, snowflake())
    return fake.add_message(channel, shown(message), author_id=fake.bot_id)


async def test_a_failing_look_defers_the_message_and_never_sends_it_blind(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    earlier = await arrange_earlier_send(fake, dm(1))
    fake.down["GET channels"] = 503
    outbox = MemoryOutbox(due=[dm(1)])
    deferring = asyncio.Event()
    release = asyncio.Event()

    async def sleep(seconds: float) -> None:
        if seconds >= 10:  # a deferral's wait, not a retry pause within the attempts
            deferring.set()
            await release.wait()
        await clock.sleep(seconds)

    dispatcher = Dispatcher(outbox, rest, max_attempts=2, clock=clock, sleep=sleep)
    task = asyncio.create_task(dispatcher.run())
    await asyncio.wait_for(deferring.wait(), timeout=10)

    assert dispatcher.deferred == {dm(1).message_id}
    assert dispatcher.status().deferred == 1
    assert len(looks(fake)) == 2  # both attempts looked, and failed
    assert not fake.requests_to("POST", "/channels/")  # nothing sent blind
    assert outbox.failed == {}  # not failed early either

    del fake.down["GET channels"]
    release.set()
    await outbox.wait_settled(dm(1).message_id)
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)

    assert outbox.delivered == {dm(1).message_id: int(str(earlier["id"]))}
    assert not fake.requests_to("POST", "/channels/")
    assert len(fake.all_messages()) == 1


async def test_a_look_that_never_succeeds_fails_the_message_only_at_the_deferral_cap(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    fake.down["GET channels"] = 503
    outbox = MemoryOutbox(due=[dm(1)])
    dispatcher = Dispatcher(
        outbox, rest, max_attempts=2, defer_cap=6 * 3600, clock=clock, sleep=clock.sleep
    )
    start = clock.now

    await run_until_settled(dispatcher, outbox, dm(1).message_id)

    reason, detail = outbox.failed[dm(1).message_id]
    assert reason is FailureReason.UNAVAILABLE
    assert "503" in detail
    assert clock.now - start >= 6 * 3600
    assert fake.all_messages() == []


async def test_a_look_discord_refuses_falls_back_to_the_nonce(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    fake.fail_next["GET channels"] = [403]  # e.g. no Read Message History in a channel
    post = OutboundMessage(message_id="m", position=1, kind="channel", target=777, text="Drawn!")
    outbox = MemoryOutbox(due=[post])

    await run_until_settled(Dispatcher(outbox, rest), outbox, "m")

    assert contents(fake) == [shown(post)]
    assert outbox.failed == {}


async def test_the_look_counts_only_the_bots_own_message_with_that_reference(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    channel = fake.dm_channels.setdefault(500, snowflake())
    fake.add_message(channel, shown(dm(1)), author_id=500)  # the member pasted it back
    fake.add_message(channel, shown(dm(2)), author_id=fake.bot_id)  # another DM of the bot
    outbox = MemoryOutbox(due=[dm(1)])

    await run_until_settled(Dispatcher(outbox, rest), outbox, dm(1).message_id)

    [sent] = [m for m in fake.all_messages() if m["author"]["id"] == str(fake.bot_id)][1:]
    assert sent["content"] == shown(dm(1))
    assert outbox.delivered == {dm(1).message_id: int(sent["id"])}


async def test_the_look_reads_one_page_and_misses_a_message_pushed_out_of_it(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    # The documented limit: an earlier copy with more than `history_limit` newer messages after
    # it is not seen, and the message goes out again.
    earlier = await arrange_earlier_send(fake, dm(1))
    channel = int(str(earlier["channel_id"]))
    for n in range(3):
        fake.add_message(channel, f"thanks! {n}", author_id=500)
    outbox = MemoryOutbox(due=[dm(1)])

    await run_until_settled(Dispatcher(outbox, rest, history_limit=3), outbox, dm(1).message_id)

    [look] = fake.requests_to("GET", "/channels/")
    assert look.query == {"limit": "100"}  # hikari asks for a full page; the bot reads 3
    assert contents(fake).count(shown(dm(1))) == 2


async def test_a_text_that_fits_discord_still_fits_with_its_reference_line(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    long = dm(1, text="x" * 2000)
    outbox = MemoryOutbox(due=[long])

    await run_until_settled(Dispatcher(outbox, rest), outbox, long.message_id)

    [message] = fake.all_messages()
    assert len(message["content"]) == 2000
    assert message["content"].endswith("x…\n-# ref " + reference_for(long.message_id))


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

    assert contents(fake) == [shown(dm(1))]
    # Due before this dispatcher started: an earlier one may have sent it, so it looked first.
    assert [r.method for r in fake.requests if "/messages" in r.path] == ["GET", "POST"]


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

    assert contents(fake) == [shown(dm(1)), shown(dm(2))]
    assert dispatcher.position == 2
    assert len(looks(fake)) <= 2  # dm 1 was due at start (one page: a second, empty read at most)
    assert all("before" in r.query for r in fake.requests_to("GET", "/channels/")[1:])
    assert fake.requests[-1].method == "POST"  # dm 2 became due later: sent without looking


async def test_a_transient_discord_error_is_retried(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    fake.fail_next["POST channels"] = [500, 503]
    outbox = MemoryOutbox(due=[dm(1)])

    await run_until_settled(Dispatcher(outbox, rest, base_delay=0.001), outbox, dm(1).message_id)

    assert dm(1).message_id in outbox.delivered
    assert len(fake.all_messages()) == 1


async def test_a_short_outage_defers_the_dm_and_it_is_delivered_once_discord_is_back(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    # Was `test_an_outage_outlasting_the_retries_is_recorded_as_unavailable`: a few seconds of
    # 5xx used to fail the DM for good. Now it stays due, the next DM goes out meanwhile, and it
    # is retried later (virtual time: the clock moves by the dispatcher's own sleeps).
    fake.fail_next["POST channels"] = [500] * 3
    outbox = MemoryOutbox(due=[dm(1, user=501), dm(2, user=502)])
    dispatcher = Dispatcher(outbox, rest, max_attempts=3, clock=clock, sleep=clock.sleep)
    start = clock.now

    await run_until_settled(dispatcher, outbox, dm(1).message_id, dm(2).message_id)

    assert outbox.failed == {}
    assert set(outbox.delivered) == {dm(1).message_id, dm(2).message_id}
    assert contents(fake) == [shown(dm(2)), shown(dm(1))]  # 2 did not wait for 1
    assert clock.now - start >= 15  # retried after a deferral, not within the first attempts
    assert dispatcher.deferred == frozenset()


async def test_only_an_outage_outlasting_the_deferral_cap_is_recorded_as_unavailable(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    fake.down["POST channels"] = 503
    outbox = MemoryOutbox(due=[dm(1)])
    dispatcher = Dispatcher(
        outbox,
        rest,
        max_attempts=2,
        defer_delay=30,
        defer_max_delay=900,
        defer_cap=6 * 3600,
        clock=clock,
        sleep=clock.sleep,
    )
    start = clock.now
    task = asyncio.create_task(dispatcher.run())

    await outbox.wait_settled(dm(1).message_id)
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)

    reason, detail = outbox.failed[dm(1).message_id]
    assert reason is FailureReason.UNAVAILABLE
    assert "503" in detail
    assert clock.now - start >= 6 * 3600  # not before the cap
    sends = fake.requests_to("POST", "/channels/")
    # Growing delays (jittered to at least half of 900 s once grown): under 60 rounds of two
    # attempts in six hours, not thousands.
    assert len(sends) <= 2 * (6 * 3600 // 450 + 10)
    assert fake.all_messages() == []


async def test_deferred_messages_are_bounded_and_the_rest_wait_their_turn(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    fake.fail_next["POST channels"] = [500] * 4  # dm 1 and dm 2 each fail twice
    outbox = MemoryOutbox(due=[dm(1), dm(2), dm(3)])
    dispatcher = Dispatcher(
        outbox, rest, max_attempts=2, max_deferred=2, clock=clock, sleep=clock.sleep
    )

    await run_until_settled(dispatcher, outbox, *(dm(n).message_id for n in (1, 2, 3)))

    assert set(outbox.delivered) == {dm(n).message_id for n in (1, 2, 3)}
    # With two deferred (the bound), dm 3 was not even read until one of them went out.
    [first, *_] = contents(fake)
    assert first in (shown(dm(1)), shown(dm(2)))


@pytest.mark.parametrize(
    "fault",
    ["the log refuses the record", "Discord refuses the token"],
)
async def test_an_unexpected_error_restarts_the_dispatcher_and_nothing_is_lost_or_doubled(
    fake: FakeDiscord,
    rest: hikari.api.RESTClient,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    outbox = MemoryOutbox(due=[dm(1), dm(2)])
    if fault == "the log refuses the record":
        outbox.record_errors = [RuntimeError("database is locked")]
    else:
        fake.fail_next["POST channels"] = [401]
    dispatcher = Dispatcher(outbox, rest, clock=clock, sleep=clock.sleep)

    with caplog.at_level(logging.ERROR, logger="yulelog.discord.dispatcher"):
        await run_until_settled(dispatcher, outbox, dm(1).message_id, dm(2).message_id)

    assert set(outbox.delivered) == {dm(1).message_id, dm(2).message_id}
    assert contents(fake) == [shown(dm(1)), shown(dm(2))]
    if fault == "the log refuses the record":
        # dm 1 was sent, its record refused: after the restart only the record is retried.
        assert len(fake.requests_to("POST", "/channels/")) == 2
    status = dispatcher.status()
    assert status.restarts == 1
    assert status.last_error is not None
    assert "database is locked" in status.last_error or "Unauthorized" in status.last_error
    [record] = caplog.records
    assert record.exc_info is not None  # logged with its traceback


async def test_while_restarting_the_status_says_why(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    outbox = MemoryOutbox(due=[dm(1)], record_errors=[RuntimeError("store closed")])
    pausing = asyncio.Event()
    release = asyncio.Event()

    async def sleep(seconds: float) -> None:
        pausing.set()
        await release.wait()
        clock.advance(seconds)

    dispatcher = Dispatcher(outbox, rest, clock=clock, sleep=sleep)
    task = asyncio.create_task(dispatcher.run())
    await asyncio.wait_for(pausing.wait(), timeout=10)
    clock.advance(7)

    during = dispatcher.status()
    release.set()
    await outbox.wait_settled(dm(1).message_id)
    after = dispatcher.status()
    dispatcher.stop()
    await asyncio.wait_for(task, timeout=5)

    assert during.state == "restarting"
    assert not during.alive
    assert during.state_for == 7
    assert during.last_error == "RuntimeError: store closed"
    assert after.alive
    assert dispatcher.status().state == "stopped"


async def test_another_client_error_is_recorded_as_rejected_and_the_rest_still_go_out(
    fake: FakeDiscord, rest: hikari.api.RESTClient
) -> None:
    fake.fail_next["POST channels"] = [413]
    outbox = MemoryOutbox(due=[dm(1), dm(2)])

    await run_until_settled(Dispatcher(outbox, rest), outbox, dm(1).message_id, dm(2).message_id)

    reason, detail = outbox.failed[dm(1).message_id]
    assert reason is FailureReason.REJECTED
    assert "413" in detail
    assert dm(2).message_id in outbox.delivered


async def test_the_serve_runner_starts_and_drains_the_dispatcher(
    fake: FakeDiscord,
) -> None:
    outbox = MemoryOutbox(due=[dm(1)])
    runner = ServeRunner(settings_for(fake), BotServices(outbox=outbox), ())
    await runner.start()
    await outbox.wait_settled(dm(1).message_id)
    await runner.stop(drain_timeout=5)

    assert runner.dispatcher is not None
    assert len(runner.tasks) == 0
    assert contents(fake) == [shown(dm(1))]


async def test_a_dispatcher_failing_for_days_keeps_restarting_at_the_capped_pause(
    fake: FakeDiscord, rest: hikari.api.RESTClient, clock: ManualClock
) -> None:
    # The growing pause is 2**failures: past ~1000 failures in a row it overflowed a float and
    # the supervisor itself died.
    class BrokenOutbox(MemoryOutbox):
        async def checkpoint(self) -> int:
            if dispatcher.status().restarts >= 1100:
                dispatcher.stop()
            raise RuntimeError("store closed")

    outbox = BrokenOutbox()
    dispatcher = Dispatcher(outbox, rest, restart_max_delay=300, clock=clock, sleep=clock.sleep)
    logging.getLogger("yulelog.discord.dispatcher").disabled = True
    try:
        await asyncio.wait_for(dispatcher.run(), timeout=30)
    finally:
        logging.getLogger("yulelog.discord.dispatcher").disabled = False

    assert dispatcher.status().restarts > 1100
    assert dispatcher.status().state == "stopped"
