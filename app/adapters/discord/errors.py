"""The shared error handler: one clear sentence to the user, the traceback and interaction id to
the log. Registered on every client, so no command needs its own try/except."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

import hikari
import lightbulb

from app.adapters.discord.hooks import CommandRefused, DuplicateInteraction

log = logging.getLogger("yulelog.discord")

INTERNAL_ERROR: Final = (
    "Something went wrong on our side and nothing was changed; please try again in a moment "
    "(reference {ref})."
)


def user_sentence(exc: Exception) -> str | None:
    """The sentence to show for `exc`, or None when it is not meant for the user.

    Refusals from the command path itself (domain errors, option errors) never get here:
    `app.commands.run.invoke` turns them into replies. What arrives is a hook's refusal or a
    failure in the adapter.
    """
    if isinstance(exc, CommandRefused):
        return exc.sentence
    return None


def _causes(exc: lightbulb.exceptions.ExecutionPipelineFailedException) -> list[Exception]:
    causes = list(exc.hook_failures)
    if exc.invocation_failure is not None:
        causes.append(exc.invocation_failure)
    return causes


ErrorHandler = Callable[[lightbulb.exceptions.ExecutionPipelineFailedException], Awaitable[bool]]


def make_error_handler() -> ErrorHandler:
    """Build the handler for one client."""

    async def handle(exc: lightbulb.exceptions.ExecutionPipelineFailedException) -> bool:
        ctx = exc.context
        interaction_id = int(ctx.interaction.id)
        causes = _causes(exc)
        if any(isinstance(c, DuplicateInteraction) for c in causes):
            log.info("interaction %s delivered again; answered once already", interaction_id)
            # Nothing to send: the first delivery answers. Marking the response as sent lets an
            # HTTP interaction finish at once instead of waiting out lightbulb's 5 s timeout.
            ctx.initial_response_sent.set()
            return True
        sentence = next((s for c in causes if (s := user_sentence(c)) is not None), None)
        if sentence is None:
            sentence = INTERNAL_ERROR.format(ref=interaction_id)
            log.error(
                "command /%s failed [interaction %s, user %s, guild %s]",
                ctx.command_data.qualified_name,
                interaction_id,
                ctx.user.id,
                ctx.guild_id,
                exc_info=causes[0] if causes else exc,
                extra={"interaction_id": interaction_id},
            )
        else:
            log.info(
                "command /%s refused [interaction %s]: %s",
                ctx.command_data.qualified_name,
                interaction_id,
                sentence,
                extra={"interaction_id": interaction_id},
            )
        try:
            await ctx.respond(sentence, ephemeral=True, user_mentions=False, role_mentions=False)
        except hikari.HikariError:
            log.exception(
                "could not tell the user about a failure [interaction %s]",
                interaction_id,
                extra={"interaction_id": interaction_id},
            )
        return True

    return handle
