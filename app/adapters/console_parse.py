"""Parsing of the offline console's line syntax (a contract that admins' scripts rely on).

`/santa join wishlist:"warm socks"` -> spec path ("santa", "join") and typed option values;
`:user 42`, `:guild 7`, `:admin on`, `:name 42 Ann` -> meta commands that change who is acting.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.commands.spec import CommandSpec, OptionError, OptionKind, OptionSpec

_USER = re.compile(r"^(?:<@!?(\d+)>|(\d+))$")
_CHANNEL = re.compile(r"^(?:<#(\d+)>|(\d+))$")
_MAX_ID = 2**64 - 1


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    spec: CommandSpec
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MetaCommand:
    name: str
    args: tuple[str, ...]


def parse_line(line: str, specs: Sequence[CommandSpec]) -> ParsedCommand | MetaCommand | None:
    """Returns None for blank and comment lines; raises OptionError with a clear message otherwise."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith(":"):
        parts = text[1:].split(maxsplit=2)
        if not parts:
            raise OptionError(
                "Empty meta command; try :user ID, :guild ID, :admin on|off or :name ID NAME."
            )
        return MetaCommand(parts[0].lower(), tuple(parts[1:]))
    if not text.startswith("/"):
        raise OptionError("Commands start with / (for example /santa status); meta lines with :.")
    try:
        tokens = _split(text[1:])
    except ValueError as exc:
        raise OptionError(f"Could not read that line: {exc} (check the double quotes).") from exc
    words: list[str] = []
    rest = tokens
    while rest and ":" not in rest[0]:
        words.append(rest[0].lower())
        rest = rest[1:]
    spec = _find(tuple(words), specs)
    values: dict[str, Any] = {}
    known = {o.name: o for o in spec.options}
    for token in rest:
        name, _, raw = token.partition(":")
        opt = known.get(name)
        if opt is None:
            names = ", ".join(known) or "none"
            raise OptionError(f"/{spec.name} has no option {name!r}; its options are: {names}.")
        if name in values:
            raise OptionError(f"The option {name} was given twice.")
        values[name] = convert(opt, raw)
    return ParsedCommand(spec, values)


def _split(text: str) -> list[str]:
    """Splits on spaces; only double quotes group (an apostrophe in `don't` is just a letter)."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escapedquotes = '"'
    lexer.commenters = ""
    return list(lexer)


def _find(words: tuple[str, ...], specs: Sequence[CommandSpec]) -> CommandSpec:
    for spec in specs:
        if spec.path == words:
            return spec
    if not words:
        raise OptionError("Type a command after the /, for example /santa status.")
    siblings = sorted(" ".join(s.path) for s in specs if s.path[: len(words) - 1] == words[:-1])
    hint = f" Try one of: /{', /'.join(siblings)}." if siblings and len(words) > 1 else ""
    raise OptionError(f"Unknown command /{' '.join(words)}.{hint}")


def convert(opt: OptionSpec, raw: str) -> Any:
    """Turns the text after `name:` into the option's type, as Discord would have delivered it."""
    if opt.kind is OptionKind.STRING:
        return raw
    if opt.kind is OptionKind.BOOLEAN:
        low = raw.lower()
        if low in ("true", "false"):
            return low == "true"
        raise OptionError(f"{opt.name} must be true or false, not {raw!r}.")
    if opt.kind is OptionKind.INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise OptionError(f"{opt.name} must be a whole number, not {raw!r}.") from None
    pattern = _USER if opt.kind is OptionKind.USER else _CHANNEL
    m = pattern.match(raw)
    example = "<@123> or 123" if opt.kind is OptionKind.USER else "<#123> or 123"
    if m is None:
        raise OptionError(f"{opt.name} must be a {opt.kind.value} like {example}, not {raw!r}.")
    value = int(m.group(1) or m.group(2))
    if not 0 < value <= _MAX_ID:
        raise OptionError(f"{opt.name} is not a valid {opt.kind.value} id.")
    return value
