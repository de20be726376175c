"""Sends the bot's direct messages and channel posts exactly once, following the log.

The domain never talks to Discord: it records that a message is *due*. This dispatcher follows the
due messages from the outbox's checkpoint and, for each: sends it, then records it as delivered
(or failed, with the reason). The order matters for crash safety:

- crash before the send: the message is still due after restart and is sent then (no loss);
- crash between send and record: the message is sent again after restart, with the same `nonce`
  and `enforce_nonce`, so Discord returns the message it already created instead of posting a
  second one (no duplicate);
- remaining window: Discord remembers a nonce only for a few minutes, so a crash between send and
  record followed by a restart later than that could post the message twice. The record is one
  small append right after the send, so the window is a few milliseconds of a crash plus a long
  outage.

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

log = logging.getLogger("yulelog.discord.dispatcher")

CANNOT_MESSAGE_USER: Final = 50007  # Discord: "Cannot send messages to this user" (DMs closed)
NONCE_LENGTH: Final = 25  # Discord's limit on a message nonce


class OutboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message the log says is due.

    `message_id`: the stable id the domain gave it (the nonce derives from it).
    `position`: where in the log it became due (the checkpoint moves past it once settled).
    `target`: a user id for `kind="dm"`, a channel id for `kind="channel"`.
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
    crash case the nonce protects against.

    `clock` (monotonic seconds) and `sleep` drive every wait — retry pauses, deferrals and
    restart backoff — so tests can run an outage of a day without waiting.
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
        self._restart_delay = restart_delay
        self._restart_max_delay = restart_max_delay
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._stopping = asyncio.Event()
        self._dm_channels: dict[int, int] = {}
        #: Deferred message ids, in no particular order; bounded by `max_deferred`.
        self._deferred: dict[str, _DeferredEntry] = {}
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
        """Send one message and record the outcome (retrying transient failures, bounded).

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
            log.info("message %s delivered as %s", message.message_id, sent_id)
            return

    async def _fail(self, message: OutboundMessage, reason: FailureReason, detail: str) -> None:
        log.warning("message %s not delivered: %s (%s)", message.message_id, reason.value, detail)
        await self._outbox.record_failed(message, reason, detail)

    async def _send(self, message: OutboundMessage) -> int:
        try:
            async with asyncio.timeout(self._send_timeout):
                channel = await self._channel_for(message)
                sent = await self._rest.create_message(
                    channel,
                    message.text,
                    nonce=nonce_for(message.message_id),
                    mentions_everyone=False,
                    role_mentions=False,
                )
        except (hikari.InternalServerError, hikari.RateLimitTooLongError) as exc:
            raise _Transient(type(exc).__name__) from exc
        except (aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
            raise _Transient(type(exc).__name__) from exc
        return int(sent.id)

    async def _channel_for(self, message: OutboundMessage) -> int:
        if message.kind == "channel":
            return message.target
        cached = self._dm_channels.get(message.target)
        if cached is None:
            dm = await self._rest.create_dm_channel(message.target)
            cached = self._dm_channels[message.target] = int(dm.id)
        return cached
