"""Declarative command specs shared by every front end.

A `CommandSpec` names a slash command, its options with their limits, who may run it and the async handler
that runs it. The Discord adapter turns specs into lightbulb commands; the console parses lines against the
same specs. Limits therefore live in one place and every front end refuses bad input with the same words.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class OptionKind(enum.Enum):
    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    USER = "user"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    name: str
    kind: OptionKind
    description: str
    required: bool = False
    #: Named limit for text options; the error message quotes it.
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Invocation:
    """Who asked, where, and the natural idempotency key (the Discord interaction id)."""

    guild_id: int
    channel_id: int
    user_id: int
    user_name: str
    is_admin: bool
    interaction_id: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    ephemeral: bool = True


REPLY_MAX_CHARS = 2000
"""Discord refuses a longer message (the user would see "did not respond"); the console prints the
same text."""


def fit_reply(text: str) -> str:
    """Cut to Discord's limit, marking the cut; messages built from lists cap those lists first."""
    return text if len(text) <= REPLY_MAX_CHARS else text[: REPLY_MAX_CHARS - 1] + "…"


Handler = Callable[[Invocation, Mapping[str, Any]], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    path: tuple[str, ...]
    description: str
    handler: Handler
    options: Sequence[OptionSpec] = field(default_factory=tuple)
    #: Requires Manage Server (checked by the front end before the handler; the domain checks again).
    manage_server: bool = False
    #: Expensive commands get a cooldown in the Discord adapter.
    cooldown_seconds: float = 0.0
    #: Work that may pass a second is deferred by the Discord adapter.
    slow: bool = False

    @property
    def name(self) -> str:
        return " ".join(self.path)


class OptionError(Exception):
    """A bad option value; `message` is the one sentence the user sees."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate(spec: CommandSpec, values: Mapping[str, Any]) -> dict[str, Any]:
    """Checks typed option values against the spec; raises OptionError naming the option and limit."""
    known = {o.name: o for o in spec.options}
    unknown = sorted(set(values) - set(known))
    if unknown:
        names = ", ".join(o.name for o in spec.options) or "none"
        raise OptionError(f"/{spec.name} has no option {unknown[0]!r}; its options are: {names}.")
    out: dict[str, Any] = {}
    for opt in spec.options:
        if opt.name not in values or values[opt.name] is None:
            if opt.required:
                raise OptionError(f"/{spec.name} needs the option {opt.name} ({opt.description}).")
            continue
        out[opt.name] = _check(spec, opt, values[opt.name])
    return out


def _check(spec: CommandSpec, opt: OptionSpec, value: Any) -> Any:
    if opt.kind is OptionKind.STRING:
        if not isinstance(value, str):
            raise OptionError(f"{opt.name} must be text.")
        if opt.max_length is not None and len(value) > opt.max_length:
            raise OptionError(
                f"{opt.name} is {len(value)} characters long; the limit is {opt.max_length}."
            )
        if opt.choices is not None and value not in opt.choices:
            raise OptionError(f"{opt.name} must be one of: {', '.join(opt.choices)}.")
        return value
    if opt.kind is OptionKind.BOOLEAN:
        if not isinstance(value, bool):
            raise OptionError(f"{opt.name} must be true or false.")
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise OptionError(f"{opt.name} must be a whole number.")
    if opt.kind is OptionKind.INTEGER:
        if opt.min_value is not None and value < opt.min_value:
            raise OptionError(f"{opt.name} must be at least {opt.min_value}.")
        if opt.max_value is not None and value > opt.max_value:
            raise OptionError(f"{opt.name} must be at most {opt.max_value}.")
    elif value <= 0 or value >= 2**64:
        raise OptionError(f"{opt.name} must be a Discord {opt.kind.value} id.")
    return value
