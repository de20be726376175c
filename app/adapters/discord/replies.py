"""Answering Discord the same way for every command, whatever work produces the reply.

Discord wants an initial response within three seconds; the service may take longer (a retry on a
concurrency conflict, a slow disk). So the work starts at once and the interaction is deferred only
if it has not finished after `DEFER_AFTER` seconds; the answer then goes out as a follow-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Final

import lightbulb

from app.adapters.discord.services import Reply

DEFER_AFTER: Final = 0.8
POSTED_NOTE: Final = "Done; the answer is posted in the channel."


async def send_reply(ctx: lightbulb.Context, reply: Reply) -> None:
    """Answer with no pings: replies name people, they never notify them."""
    await ctx.respond(
        reply.text,
        ephemeral=reply.ephemeral,
        mentions_everyone=False,
        user_mentions=False,
        role_mentions=False,
    )


async def answer(
    ctx: lightbulb.Context,
    work: Awaitable[Reply],
    *,
    secret: bool = True,
    defer_after: float = DEFER_AFTER,
) -> Reply:
    """Await `work` and answer the interaction with its reply, deferring if it runs long.

    `secret`: every reply is ephemeral. A deferral is always ephemeral, because Discord fixes a
    deferred answer's visibility when deferring and the answer's visibility is not known yet; a
    public answer to a deferred command then goes out as a new public follow-up, after the private
    "thinking" message is turned into a short note (editing it first matters: Discord treats the
    first follow-up after a deferral as an edit of it, keeping it private). Exceptions propagate
    to the shared error handler, whose answer is ephemeral either way.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=defer_after)
    deferred = not done
    if deferred:
        try:
            await ctx.defer(ephemeral=True)
        finally:
            # The command completes (or fails) whether or not Discord took the defer: never leave
            # it running unobserved, never cut it short half-way.
            await asyncio.wait({task})
    reply = task.result()
    if secret and not reply.ephemeral:
        reply = Reply(text=reply.text, ephemeral=True)
    if deferred and not reply.ephemeral:
        await ctx.interaction.edit_initial_response(POSTED_NOTE)
    await send_reply(ctx, reply)
    return reply
