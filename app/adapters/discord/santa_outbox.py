"""The dispatcher's outbox over the event log: Secret Santa DMs that are due and not yet settled.

Due messages are `DirectMessageDue` events; settled ones have a `DirectMessageDelivered` or
`DirectMessageFailed` after them. Outcomes are recorded by `app.delivery.record_delivery`, shared
with the console (idempotency key `delivery/{message_id}`), so recording twice — after a crash,
or by two dispatchers — appends once and alerts the organiser once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from app.adapters.discord.dispatcher import FailureReason, OutboundMessage
from app.bootstrap import App
from app.delivery import record_delivery
from app.domain import santa as s
from app.projections import santa as views

log = logging.getLogger("yulelog.discord.outbox")


class SantaOutbox:
    """`Outbox` for the dispatcher, backed by the log and the outbox read model."""

    def __init__(self, app: App, *, poll_interval: float = 1.0) -> None:
        self._app = app
        self._poll_interval = poll_interval
        self._guild_of: dict[str, int] = {}

    def _pending(self) -> dict[str, views.PendingDm]:
        state: views.OutboxState = self._app.view(views.SantaOutboxProjection)
        return state.pending

    async def checkpoint(self) -> int:
        pending = views.pending_messages(self._app.view(views.SantaOutboxProjection))
        if pending:
            return pending[0][1].due_position - 1
        return self._app.runner.position

    async def head(self) -> int:
        return await self._app.store.head_position()

    async def due_after(self, position: int) -> AsyncIterator[OutboundMessage]:
        async for rec in self._app.store.subscribe(position + 1, poll_interval=self._poll_interval):
            due = rec.event
            if not isinstance(due, s.DirectMessageDue):
                continue
            # The read model decides "still due": it must have folded this event in first.
            await self._app.runner.wait_for(rec.position)
            if due.message_id not in self._pending():
                continue
            self._guild_of[due.message_id] = due.guild_id
            yield OutboundMessage(
                message_id=due.message_id,
                position=rec.position,
                kind="dm",
                target=due.recipient_id,
                text=due.text,
            )

    async def record_delivered(self, message: OutboundMessage, discord_message_id: int) -> None:
        await self._record(message, delivered=True, reason="", discord_id=discord_message_id)

    async def record_failed(
        self, message: OutboundMessage, reason: FailureReason, detail: str
    ) -> None:
        # The reason's code leads (the domain words the organiser's alert from it); Discord's own
        # words follow for the audit trail.
        await self._record(message, delivered=False, reason=f"{reason.value}: {detail}")

    async def _record(
        self,
        message: OutboundMessage,
        *,
        delivered: bool,
        reason: str,
        discord_id: int | None = None,
    ) -> None:
        guild_id = self._guild_of.get(message.message_id)
        if guild_id is None:
            pending = self._pending().get(message.message_id)
            if pending is None:
                return  # settled meanwhile: nothing left to record
            guild_id = pending.guild_id
        await record_delivery(
            self._app,
            guild_id=guild_id,
            message_id=message.message_id,
            delivered=delivered,
            reason=reason,
            discord_message_id=discord_id,
        )
        self._guild_of.pop(message.message_id, None)
