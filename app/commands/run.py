"""Running one command for any front end: validate, call the handler, turn refusals into replies.

The Discord adapter and the console both end here, so a refusal reads the same everywhere and an
unexpected error is logged once, with the interaction id, while the user gets one clear sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.bootstrap import RecordedButNotShown
from app.commands.spec import (
    REPLY_MAX_CHARS,
    CommandSpec,
    Invocation,
    OptionError,
    Reply,
    fit_reply,
    validate,
)
from app.domain.errors import DomainError
from app.service import BusyError

log = logging.getLogger("yulelog.commands")

UNEXPECTED = (
    "Something went wrong on our side and nothing was changed; please try again later "
    "(reference {reference})."
)
NEEDS_MANAGE_SERVER = "Only members with the Manage Server permission can use /{name}."


async def invoke(spec: CommandSpec, inv: Invocation, values: Mapping[str, Any]) -> Reply:
    """Never raises for anything a user can cause; only cancellation escapes. Every reply fits in
    one Discord message (`fit_reply`), refusals included."""
    reply = await _invoke(spec, inv, values)
    if len(reply.text) > REPLY_MAX_CHARS:
        return replace(reply, text=fit_reply(reply.text))
    return reply


async def _invoke(spec: CommandSpec, inv: Invocation, values: Mapping[str, Any]) -> Reply:
    if spec.manage_server and not inv.is_admin and not organiser_may(spec):
        return Reply(NEEDS_MANAGE_SERVER.format(name=spec.name))
    try:
        checked = validate(spec, values)
        return await spec.handler(inv, checked)
    except (OptionError, DomainError) as exc:
        return Reply(exc.message)
    except BusyError as exc:
        return Reply(exc.message)
    except RecordedButNotShown as exc:
        log.exception(
            "command /%s recorded but views failed (interaction %s)", spec.name, inv.interaction_id
        )
        return Reply(exc.message)
    except Exception:
        log.exception("command /%s failed (interaction %s)", spec.name, inv.interaction_id)
        return Reply(UNEXPECTED.format(reference=inv.interaction_id))


def organiser_may(spec: CommandSpec) -> bool:
    """The season's organiser may draw without Manage Server; the domain checks who the organiser is."""
    return spec.path == ("santa", "draw")
