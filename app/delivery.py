"""Recording what became of a due direct message, the same way for every front end.

The Discord dispatcher (through `app.adapters.discord.santa_outbox`) and the console both record
outcomes here: one command, one actor, one idempotency key per message (`delivery/{message_id}`),
so recording twice — after a crash, or from two front ends — appends once and alerts once.
"""

from __future__ import annotations

from typing import Final

from app.bootstrap import App
from app.domain import santa

#: The bot records delivery outcomes as this actor.
BOT_ACTOR_ID: Final = 0


def delivery_key(message_id: str) -> str:
    """The idempotency key of the outcome of `message_id`."""
    return f"delivery/{message_id}"


async def record_delivery(
    app: App,
    *,
    guild_id: int,
    message_id: str,
    delivered: bool,
    reason: str = "",
    discord_message_id: int | None = None,
) -> None:
    """Record that `message_id` was delivered, or not (`reason` reads in the organiser's alert)."""
    await app.santa(
        santa.RecordDeliveryOutcome(
            guild_id=guild_id,
            actor_id=BOT_ACTOR_ID,
            message_id=message_id,
            delivered=delivered,
            reason=reason,
            discord_message_id=discord_message_id,
        ),
        idempotency_key=delivery_key(message_id),
    )
