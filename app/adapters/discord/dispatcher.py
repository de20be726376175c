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
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import random
from collections.abc import AsyncIterator
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
    UNAVAILABLE = "discord_unavailable"  # transient errors outlasted the retries


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


class Dispatcher:
    """Delivers due messages one at a time, in log order.

    `stop()` asks it to finish the message in hand and return; cancelling the task instead is the
    crash case the nonce protects against.
    """

    def __init__(
        self,
        outbox: Outbox,
        rest: hikari.api.RESTClient,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        send_timeout: float = 15.0,
        rng: random.Random | None = None,
    ) -> None:
        self._outbox = outbox
        self._rest = rest
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._send_timeout = send_timeout
        self._rng = rng or random.Random()
        self._stopping = asyncio.Event()
        self._dm_channels: dict[int, int] = {}
        self.position = 0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Follow the outbox until stopped."""
        self.position = await self._outbox.checkpoint()
        log.info("dispatcher following the log after position %s", self.position)
        messages = self._outbox.due_after(self.position)
        waiters: set[asyncio.Future[Any]] = set()
        try:
            while not self._stopping.is_set():
                next_message = asyncio.ensure_future(anext(messages))
                stopping = asyncio.ensure_future(self._stopping.wait())
                waiters = {next_message, stopping}
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                if not next_message.done():
                    break
                stopping.cancel()
                waiters = set()
                try:
                    message = next_message.result()
                except StopAsyncIteration:
                    break
                await self.deliver(message)
                self.position = max(self.position, message.position)
        finally:
            # Unwind in order, also when cancelled: the pending read must end before the
            # generator can be closed.
            for waiter in waiters:
                waiter.cancel()
            if waiters:
                await asyncio.wait(waiters)
            aclose = getattr(messages, "aclose", None)
            if aclose is not None:
                await aclose()

    async def deliver(self, message: OutboundMessage) -> None:
        """Send one message and record the outcome (retrying transient failures, bounded)."""
        delay = self._base_delay
        for attempt in range(1, self._max_attempts + 1):
            try:
                sent_id = await self._send(message)
            except _Transient as exc:
                if attempt == self._max_attempts:
                    await self._fail(message, FailureReason.UNAVAILABLE, str(exc.__cause__ or exc))
                    return
                pause = min(self._max_delay, delay) * (0.5 + self._rng.random() / 2)
                log.warning(
                    "message %s: attempt %s failed (%s); retrying in %.1fs",
                    message.message_id,
                    attempt,
                    exc.__cause__ or exc,
                    pause,
                )
                await asyncio.sleep(pause)
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
            except hikari.BadRequestError as exc:
                await self._fail(message, FailureReason.REJECTED, exc.message)
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
