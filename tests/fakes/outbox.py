"""An in-memory outbox with the dispatcher's protocol, and hooks to stop it at awkward moments."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from app.adapters.discord.dispatcher import FailureReason, OutboundMessage


@dataclass
class MemoryOutbox:
    """Due messages in log order; settled ones recorded idempotently, like the log-backed one.

    `hold_record_of`: a message id whose `record_delivered` blocks (after Discord got the message)
    until released, so a test can kill the dispatcher exactly between send and record.
    `record_errors`: failures of the log side (busy, closed, a projection error) on demand.
    """

    due: list[OutboundMessage] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, tuple[FailureReason, str]] = field(default_factory=dict)
    record_calls: list[str] = field(default_factory=list)
    hold_record_of: str | None = None
    #: Raised, one per call, by the next `record_*` calls (before anything is recorded).
    record_errors: list[Exception] = field(default_factory=list)
    record_reached: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def add(self, *messages: OutboundMessage) -> None:
        async with self._changed:
            self.due.extend(messages)
            self._changed.notify_all()

    def settled(self, message_id: str) -> bool:
        return message_id in self.delivered or message_id in self.failed

    async def checkpoint(self) -> int:
        position = 0
        for message in self.due:
            if not self.settled(message.message_id):
                break
            position = message.position
        return position

    async def head(self) -> int:
        return max((message.position for message in self.due), default=0)

    async def due_after(self, position: int) -> AsyncIterator[OutboundMessage]:
        index = 0
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda i=index: i < len(self.due))  # type: ignore[misc]
                message = self.due[index]
            index += 1
            if message.position > position and not self.settled(message.message_id):
                yield message

    def _maybe_fail(self) -> None:
        if self.record_errors:
            raise self.record_errors.pop(0)

    async def record_delivered(self, message: OutboundMessage, discord_message_id: int) -> None:
        self._maybe_fail()
        if message.message_id == self.hold_record_of:
            self.record_reached.set()
            await asyncio.Event().wait()  # held until the dispatcher is killed
        self.record_calls.append(message.message_id)
        self.delivered.setdefault(message.message_id, discord_message_id)
        await self._notify()

    async def record_failed(
        self, message: OutboundMessage, reason: FailureReason, detail: str
    ) -> None:
        self._maybe_fail()
        self.record_calls.append(message.message_id)
        self.failed.setdefault(message.message_id, (reason, detail))
        await self._notify()

    async def wait_settled(self, *message_ids: str, within: float = 10.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: all(self.settled(m) for m in message_ids))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
