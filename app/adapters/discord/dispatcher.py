"""Sends the bot's direct messages and channel posts exactly once, following the log.

The domain never talks to Discord: it records that a message is *due*. This dispatcher follows the
due messages from the outbox's checkpoint and, for each: sends it, then records it as delivered
(or failed, with the reason). A crash before the send leaves the message due, so it is sent after
the restart (no loss). The rest of this text is about never sending it twice.

What guards against a second copy. Every send may already have happened once: a crash between
send and record, an answer lost to a timeout, a dropped connection or a 5xx after Discord created
the message. Three things cover that:

- every attempt carries the same `nonce` with `enforce_nonce`, so Discord answers with the message
  it already created instead of posting another. Discord remembers a nonce only for "the past few
  minutes", so the dispatcher trusts it for `nonce_trust` seconds (60 by default) after an attempt
  started, and no longer;
- every message ends with a reference line derived from its message id (`-# ref 3f9a0c51e2`,
  Discord's small subtext; see `app.reference`). Before any attempt that might repeat a send older
  than `nonce_trust`, the dispatcher first *looks*: it reads the newest `history_limit` messages
  (100, one page) of the target channel (the recipient's DM channel) for one by the bot carrying
  that reference. If it is there, the message is recorded as delivered with that Discord message
  id and not sent again;
- the dispatcher remembers, for each message it tried and has not yet settled, when the earliest
  attempt that no look has ruled out began, and the Discord id once it has one (so a record that
  fails after a send is retried without sending or looking again).

Which attempts look first, without any extra event in the log (an "attempted" event would cost a
durable append before every send, and a look would still be needed after it):

- after a restart, every message that was already due when the dispatcher started (`Outbox.head`)
  and that this process has not tried itself: an earlier process may have sent it at any time;
- a retry (within `deliver` or a deferred one) once `nonce_trust` seconds have passed since the
  earliest attempt not ruled out by a look. Within that time the nonce alone is trusted;
- never a message that became due after the dispatcher started and was not tried before.

The look and the nonce work together: an attempt after a look still carries the nonce, so a copy
too recent to show in the history yet (a send cut short just before a crash) is still caught by
Discord. The cost is one read of history per message still due at a restart, and per retry that
comes more than `nonce_trust` after its first attempt; a message that goes out at its first
attempt costs nothing extra.

The look is a read, and is handled like the send it protects: a 5xx, timeout or connection error
makes the attempt fail transiently (retried, then deferred, then after `defer_cap` recorded as
unavailable), never a blind send. If Discord refuses the read itself (403 or 404: no permission to
read that channel's history, or the channel is gone), the send goes ahead with the nonce alone and
answers for itself (a 404 then records the message as not found).

The guarantee as it holds: a message goes out at most once, unless an earlier copy is both older
than Discord's nonce memory and missing from its channel's newest `history_limit` messages by the
time of the retry. That leaves:

- more than `history_limit` messages posted to the channel between the first send and the retry
  (a DM channel holds the bot's DMs to one person and that person's replies: practically never; a
  busy server channel during a long outage of the bot: possible), or the first copy deleted;
- a look that Discord refused (above), or an `Outbox.head` that does not cover every message an
  earlier process might have tried (two dispatchers on one log at once, beyond a deploy overlap
  shorter than `nonce_trust`);
- two due messages in one channel whose 40-bit references collide, where the later one would be
  taken for delivered: odds near 1e-10 per look.

Recording is idempotent on the outbox side (event ids derived from the due message's id), so a
crash during the record cannot record twice either.

Two things keep one problem from stopping every message:

- a message whose sends keep failing transiently (Discord 5xx, network, timeout) is *deferred*,
  not failed: it stays due, the dispatcher moves on, and retries it later with growing delay. Only
  once it has been failing for `defer_cap` seconds (a day by default) is it recorded as failed;
- anything unexpected (a store error while recording, a 401, a bug) ends the follow loop, which
  the supervisor in `run()` logs with its traceback and restarts after a bounded, jittered,
  growing pause. `status()` tells `/admin health` whether it is running or restarting, and why.

Cancelling the task (the crash case) is never caught: it ends `run()` at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import aiohttp
import hikari
import msgspec

from app.reference import carries_reference, with_reference

log = logging.getLogger("yulelog.discord.dispatcher")

CANNOT_MESSAGE_USER: Final = 50007  # Discord: "Cannot send messages to this user" (DMs closed)
NONCE_LENGTH: Final = 25  # Discord's limit on a message nonce
HISTORY_PAGE: Final = 100  # Discord's largest page of channel messages


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message the log says is due.

    `message_id`: the stable id the domain gave it (the nonce derives from it).
    `position`: where in the log it became due (the checkpoint moves past it once settled).
    `target`: a user id for `kind="dm"`, a channel id for `kind="channel"`.
    `text`: what to say; it goes out followed by its reference line (`app.reference`).
    """

    message_id: str
    position: int
    kind: Literal["dm", "channel"]
    target: int
    text: str


class FailureReason(enum.Enum):
    """Why a message could not be delivered; the domain decides who to tell."""

    RECIPIENT_UNREACHABLE = "recipient_unreachable"  # DMs closed or no shared server
    FORBIDDEN = "forbidden"  # the bot may not post there
    NOT_FOUND = "not_found"  # channel or user gone
    REJECTED = "rejected"  # Discord refused the content
    UNAVAILABLE = "discord_unavailable"  # transient errors outlasted the deferral cap


class Outbox(Protocol):
    """The log-backed source of due messages (implemented by the composition root)."""

    async def checkpoint(self) -> int:
        """Position up to which every due message is already settled (delivered or failed)."""

    async def head(self) -> int:
        """The log's position now. Asked once at start: a message due at or before it may have
        been sent by an earlier process, so its first attempt here looks for it first."""

    def due_after(self, position: int) -> AsyncIterator[OutboundMessage]:
        """Unsettled due messages after `position`, in log order: catch-up, then live."""

    async def record_delivered(self, message: OutboundMessage, discord_message_id: int) -> None:
        """Record the delivery; must be idempotent (same message recorded once)."""

    async def record_failed(
        self, message: OutboundMessage, reason: FailureReason, detail: str
    ) -> None:
        """Record the failure; must be idempotent."""


def nonce_for(message_id: str) -> str:
    """A deterministic nonce of Discord's maximum length, the same on every attempt."""
    return hashlib.blake2b(message_id.encode("utf-8"), digest_size=16).hexdigest()[:NONCE_LENGTH]


class _Transient(Exception):
    """A failure worth retrying (Discord 5xx, network, timeout)."""


class _Deferred(Exception):
    """A message whose sends kept failing transiently; it stays due and is retried later."""


@dataclass(slots=True)
class _Tried:
    """What this process knows about a message it tried and has not settled yet.

    `since`: when the earliest attempt began that may have reached Discord and that no look has
    ruled out (the clock's seconds). `sent_id`: its Discord id, once Discord answered or a look
    found it (then only the record is missing).
    """

    position: int
    since: float
    sent_id: int | None = None


@dataclass(slots=True)
class _DeferredEntry:
    message: OutboundMessage
    first_failed_at: float
    next_attempt_at: float
    rounds: int
    last_error: str


DispatcherState = Literal["starting", "running", "restarting", "stopped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatcherStatus:
    """The dispatcher as `/admin health` reports it.

    `state_for`: seconds in the current state; `last_error`: the last unexpected error (with
    `error_ago` seconds since), kept after a successful restart so health can mention it.
    """

    state: DispatcherState
    state_for: float
    restarts: int
    deferred: int
    last_error: str | None = None
    error_ago: float | None = None

    @property
    def alive(self) -> bool:
        return self.state in ("starting", "running")


Sleep = Callable[[float], Awaitable[None]]


class Dispatcher:
    """Delivers due messages in log order; deferred ones are retried on their own schedule.

    `stop()` asks it to finish the message in hand and return; cancelling the task instead is the
    crash case the nonce and the look protect against (see the module's text).

    `clock` (monotonic seconds) and `sleep` drive every wait — retry pauses, deferrals and
    restart backoff — and decide when the nonce is no longer trusted, so tests can run an outage
    of a day without waiting. `nonce_trust`: seconds after an attempt began during which a retry
    relies on Discord's nonce alone; `history_limit`: how many of a channel's newest messages a
    look reads (one page, at most 100); `max_remembered`: bound on the messages tried and not yet
    settled that the dispatcher keeps in memory (a forgotten one is looked for before its next
    attempt).
    """

    def __init__(
        self,
        outbox: Outbox,
        rest: hikari.api.RESTClient,
        *,
        max_attempts: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        send_timeout: float = 15.0,
        defer_delay: float = 30.0,
        defer_max_delay: float = 900.0,
        defer_cap: float = 86_400.0,
        max_deferred: int = 10_000,
        nonce_trust: float = 60.0,
        history_limit: int = HISTORY_PAGE,
        max_remembered: int = 20_000,
        restart_delay: float = 1.0,
        restart_max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._outbox = outbox
        self._rest = rest
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._send_timeout = send_timeout
        self._defer_delay = defer_delay
        self._defer_max_delay = defer_max_delay
        self._defer_cap = defer_cap
        self._max_deferred = max_deferred
        if not 1 <= history_limit <= HISTORY_PAGE:
            raise ValueError(f"history_limit must be 1..{HISTORY_PAGE}, not {history_limit}")
        self._nonce_trust = nonce_trust
        self._history_limit = history_limit
        self._max_remembered = max_remembered
        self._restart_delay = restart_delay
        self._restart_max_delay = restart_max_delay
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._stopping = asyncio.Event()
        self._dm_channels: dict[int, int] = {}
        #: Deferred message ids, in no particular order; bounded by `max_deferred`.
        self._deferred: dict[str, _DeferredEntry] = {}
        #: Messages tried and not settled, oldest first; bounded by `max_remembered`.
        self._tried: dict[str, _Tried] = {}
        #: Messages due up to here when the dispatcher started (or forgotten since) that this
        #: process has no memory of trying may have been sent already: they are looked for first.
        self._look_upto: int | None = None
        self._my_id: int | None = None
        self._state: DispatcherState = "starting"
        self._state_since = clock()
        self._restarts = 0
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._handled_since_restart = False
        self.position = 0

    def stop(self) -> None:
        self._stopping.set()

    @property
    def deferred(self) -> frozenset[str]:
        """Ids of the messages waiting for a later retry."""
        return frozenset(self._deferred)

    def status(self) -> DispatcherStatus:
        now = self._clock()
        return DispatcherStatus(
            state=self._state,
            state_for=now - self._state_since,
            restarts=self._restarts,
            deferred=len(self._deferred),
            last_error=self._last_error,
            error_ago=None if self._last_error_at is None else now - self._last_error_at,
        )

    def _enter(self, state: DispatcherState) -> None:
        if state != self._state:
            self._state = state
            self._state_since = self._clock()

    async def run(self) -> None:
        """Follow the outbox until stopped, restarting the follow loop after unexpected errors."""
        failures = 0
        try:
            while not self._stopping.is_set():
                self._enter("running")
                try:
                    await self._follow()
                    return
                except Exception as exc:  # supervised: logged with its traceback, then restarted
                    # Consecutive failures without progress back off further; progress resets.
                    failures = 1 if self._handled_since_restart else failures + 1
                    self._restarts += 1
                    self._last_error = f"{type(exc).__name__}: {exc}"
                    self._last_error_at = self._clock()
                    self._enter("restarting")
                    pause = self._jitter(
                        min(
                            self._restart_max_delay,
                            self._restart_delay * 2 ** min(failures - 1, 32),
                        )
                    )
                    log.exception(
                        "dispatcher failed (%s in a row); restarting in %.1fs", failures, pause
                    )
                    await self._pause(pause)
        finally:
            self._enter("stopped")

    async def _pause(self, seconds: float) -> None:
        """Sleep `seconds` on the injected sleep, or less if `stop()` is called meanwhile."""
        napping = asyncio.ensure_future(self._sleep(seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({napping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (napping, stopping):
                waiter.cancel()
            await asyncio.wait({napping, stopping})

    def _jitter(self, seconds: float) -> float:
        return seconds * (0.5 + self._rng.random() / 2)

    async def _follow(self) -> None:
        """One run of the follow loop: catch up from the checkpoint, then follow live."""
        self._handled_since_restart = False
        self.position = await self._outbox.checkpoint()
        if self._look_upto is None:
            self._look_upto = await self._outbox.head()
        log.info("dispatcher following the log after position %s", self.position)
        messages = self._outbox.due_after(self.position)
        reading: asyncio.Future[OutboundMessage] | None = None
        stopping = asyncio.ensure_future(self._stopping.wait())
        timer: asyncio.Future[None] | None = None
        exhausted = False
        try:
            while not self._stopping.is_set():
                entry = self._next_retry()
                if entry is not None:
                    await self._retry(entry)
                    continue
                if reading is None and not exhausted and len(self._deferred) < self._max_deferred:
                    reading = asyncio.ensure_future(anext(messages))
                waiters: set[asyncio.Future[Any]] = {stopping}
                if reading is not None:
                    waiters.add(reading)
                if self._deferred:
                    wake_at = min(e.next_attempt_at for e in self._deferred.values())
                    timer = asyncio.ensure_future(self._sleep(max(0.0, wake_at - self._clock())))
                    waiters.add(timer)
                if waiters == {stopping}:
                    break  # the outbox ended and nothing is deferred
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if timer is not None:
                        timer.cancel()
                        await asyncio.wait({timer})
                        timer = None
                if self._stopping.is_set() or reading is None or not reading.done():
                    continue
                done, reading = reading, None
                try:
                    message = done.result()
                except StopAsyncIteration:
                    exhausted = True
                    continue
                if message.message_id not in self._deferred:  # else: retried on its schedule
                    await self._first_attempt(message)
                self.position = max(self.position, message.position)
                self._handled_since_restart = True
        finally:
            # Unwind in order, also when cancelled: the pending read must end before the
            # generator can be closed.
            pending = {f for f in (reading, stopping) if f is not None}
            for waiter in pending:
                waiter.cancel()
            await asyncio.wait(pending)
            aclose = getattr(messages, "aclose", None)
            if aclose is not None:
                await aclose()

    def _next_retry(self) -> _DeferredEntry | None:
        now = self._clock()
        due = [e for e in self._deferred.values() if e.next_attempt_at <= now]
        return min(due, key=lambda e: e.next_attempt_at) if due else None

    async def _first_attempt(self, message: OutboundMessage) -> None:
        try:
            await self.deliver(message)
        except _Deferred as exc:
            now = self._clock()
            self._deferred[message.message_id] = _DeferredEntry(
                message=message,
                first_failed_at=now,
                next_attempt_at=now + self._jitter(self._defer_delay),
                rounds=1,
                last_error=str(exc),
            )
            log.warning(
                "message %s deferred: Discord unavailable (%s); %s deferred in all",
                message.message_id,
                exc,
                len(self._deferred),
            )

    async def _retry(self, entry: _DeferredEntry) -> None:
        message_id = entry.message.message_id
        try:
            await self.deliver(entry.message)
        except _Deferred as exc:
            now = self._clock()
            entry.last_error = str(exc)
            entry.rounds += 1
            give_up_at = entry.first_failed_at + self._defer_cap
            if now >= give_up_at:
                await self._fail(
                    entry.message,
                    FailureReason.UNAVAILABLE,
                    f"{entry.last_error} (failing for {now - entry.first_failed_at:.0f}s)",
                )
                del self._deferred[message_id]  # only once recorded: a failed record retries
                return
            delay = min(self._defer_max_delay, self._defer_delay * 2 ** min(entry.rounds - 1, 32))
            entry.next_attempt_at = min(give_up_at, now + self._jitter(delay))
            log.warning(
                "message %s still undeliverable (%s); next attempt in %.0fs",
                message_id,
                exc,
                entry.next_attempt_at - now,
            )
        else:
            self._deferred.pop(message_id, None)
        self._handled_since_restart = True

    async def deliver(self, message: OutboundMessage) -> None:
        """Send one message (or find it already sent) and record the outcome (retrying transient
        failures, bounded).

        Raises `_Deferred` when every attempt failed transiently: nothing is recorded then.
        """
        delay = self._base_delay
        for attempt in range(1, self._max_attempts + 1):
            try:
                sent_id = await self._send(message)
            except _Transient as exc:
                if attempt == self._max_attempts:
                    raise _Deferred(str(exc.__cause__ or exc)) from exc
                pause = self._jitter(min(self._max_delay, delay))
                log.warning(
                    "message %s: attempt %s failed (%s); retrying in %.1fs",
                    message.message_id,
                    attempt,
                    exc.__cause__ or exc,
                    pause,
                )
                await self._sleep(pause)
                delay *= 2
                continue
            except hikari.ForbiddenError as exc:
                reason = (
                    FailureReason.RECIPIENT_UNREACHABLE
                    if exc.code == CANNOT_MESSAGE_USER
                    else FailureReason.FORBIDDEN
                )
                await self._fail(message, reason, exc.message)
                return
            except hikari.NotFoundError as exc:
                await self._fail(message, FailureReason.NOT_FOUND, exc.message)
                return
            except hikari.UnauthorizedError:
                # The bot's token, not the message, is at fault: recording every DM as failed
                # would lose them all. Let the supervisor pause and report it instead.
                raise
            except hikari.ClientHTTPResponseError as exc:
                await self._fail(message, FailureReason.REJECTED, str(exc))
                return
            await self._outbox.record_delivered(message, sent_id)
            self._tried.pop(message.message_id, None)
            log.info("message %s delivered as %s", message.message_id, sent_id)
            return

    async def _fail(self, message: OutboundMessage, reason: FailureReason, detail: str) -> None:
        log.warning("message %s not delivered: %s (%s)", message.message_id, reason.value, detail)
        await self._outbox.record_failed(message, reason, detail)
        self._tried.pop(message.message_id, None)

    async def _send(self, message: OutboundMessage) -> int:
        """Put `message` on Discord, or find it there already; returns its Discord message id."""
        tried = self._tried.get(message.message_id)
        if tried is not None and tried.sent_id is not None:
            return tried.sent_id  # on Discord already: only the record is missing
        async with self._call():
            channel = await self._channel_for(message)
        if self._must_look(message, tried):
            found = await self._look(channel, message)
            if found is not None:
                log.info(
                    "message %s is already on Discord as %s (found by its reference): "
                    "recorded, not sent again",
                    message.message_id,
                    found,
                )
                self._remember(message).sent_id = found
                return found
            tried = None  # nothing tried before reached Discord
        if tried is None:
            tried = self._remember(message)
        async with self._call():
            sent = await self._rest.create_message(
                channel,
                with_reference(message.text, message.message_id),
                nonce=nonce_for(message.message_id),
                mentions_everyone=False,
                role_mentions=False,
            )
        tried.sent_id = int(sent.id)
        return tried.sent_id

    def _must_look(self, message: OutboundMessage, tried: _Tried | None) -> bool:
        """Whether an earlier send of `message` may be on Discord beyond the nonce's memory."""
        if tried is None:
            # Not tried by this process: an earlier one may have, if it was due back then.
            return self._look_upto is None or message.position <= self._look_upto
        return self._clock() - tried.since >= self._nonce_trust

    def _remember(self, message: OutboundMessage) -> _Tried:
        """Note that an attempt at `message` begins now (replacing what was known before)."""
        self._tried.pop(message.message_id, None)
        tried = self._tried[message.message_id] = _Tried(message.position, self._clock())
        while len(self._tried) > self._max_remembered:
            oldest = self._tried.pop(next(iter(self._tried)))
            # Forgetting must not make a message look untried: it will be looked for instead.
            self._look_upto = max(self._look_upto or 0, oldest.position)
        return tried

    async def _look(self, channel: int, message: OutboundMessage) -> int | None:
        """The Discord id of the bot's message carrying `message`'s reference among the channel's
        newest `history_limit` messages, or None.

        One page: hikari asks Discord for 100 messages and this stops reading after
        `history_limit`; when the channel holds fewer than 100, hikari's next read past its start
        comes back empty, and that is the end.

        Transient failures raise `_Transient` (the attempt fails, as a send would). When Discord
        refuses the read (403, 404, another 4xx but 401), this returns None: the send goes ahead
        with the nonce alone and gets its own answer.
        """
        try:
            async with self._call():
                if self._my_id is None:
                    self._my_id = int((await self._rest.fetch_my_user()).id)
                newest = self._rest.fetch_messages(channel).limit(self._history_limit)
                async for seen in newest:
                    if seen.author.id == self._my_id and carries_reference(
                        seen.content or "", message.message_id
                    ):
                        return int(seen.id)
        except hikari.UnauthorizedError:
            raise
        except hikari.ClientHTTPResponseError as exc:
            log.warning(
                "message %s: could not read channel %s to look for an earlier send (%s); "
                "sending with the nonce alone",
                message.message_id,
                channel,
                exc,
            )
        return None

    @contextlib.asynccontextmanager
    async def _call(self) -> AsyncIterator[None]:
        """One bounded call to Discord; failures worth retrying become `_Transient`."""
        try:
            async with asyncio.timeout(self._send_timeout):
                yield
        except (hikari.InternalServerError, hikari.RateLimitTooLongError) as exc:
            raise _Transient(type(exc).__name__) from exc
        except hikari.HTTPResponseError:
            raise  # Discord answered: the caller decides
        except hikari.HTTPError as exc:
            # hikari reports a connection error or its own timeout as a bare HTTPError.
            raise _Transient(type(exc).__name__) from exc
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
            raise _Transient(type(exc).__name__) from exc

    async def _channel_for(self, message: OutboundMessage) -> int:
        if message.kind == "channel":
            return message.target
        cached = self._dm_channels.get(message.target)
        if cached is None:
            dm = await self._rest.create_dm_channel(message.target)
            cached = self._dm_channels[message.target] = int(dm.id)
        return cached
