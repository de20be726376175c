"""Discord-shaped JSON for tests: users, members, slash-command interactions.

Shapes follow Discord's documented interaction object plus the newer fields hikari 2.6 requires
(`authorizing_integration_owners`, `context`, `attachment_size_limit`, `app_permissions`,
`channel{id,type}`): a missing one makes hikari fail deserialisation.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

DISCORD_EPOCH_MS: Final = 1_420_070_400_000
MANAGE_GUILD: Final = 1 << 5
ADMINISTRATOR: Final = 1 << 3
SEND_MESSAGES: Final = 1 << 11

# Option types (Discord's ApplicationCommandOptionType).
SUB_COMMAND: Final = 1
SUB_COMMAND_GROUP: Final = 2
STRING: Final = 3
INTEGER: Final = 4
BOOLEAN: Final = 5
USER: Final = 6
NUMBER: Final = 10

_sequence = itertools.count(1)


def snowflake(at_ms: int | None = None) -> int:
    """A fresh id shaped like Discord's (timestamp in the high bits, a counter in the low ones)."""
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    return ((ms - DISCORD_EPOCH_MS) << 22) | (next(_sequence) & 0xFFF)


def user(user_id: int, username: str | None = None, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": username or f"user{user_id % 10_000}",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def member(
    user_id: int,
    *,
    permissions: int = SEND_MESSAGES,
    roles: Sequence[int] = (),
    nick: str | None = None,
) -> dict[str, Any]:
    return {
        "user": user(user_id),
        "roles": [str(r) for r in roles],
        "joined_at": "2020-01-01T00:00:00.000000+00:00",
        "premium_since": None,
        "permissions": str(permissions),
        "pending": False,
        "nick": nick,
        "mute": False,
        "deaf": False,
        "flags": 0,
    }


@dataclass(frozen=True, slots=True)
class Opt:
    """An option with an explicit Discord type (for users, or to send a deliberately wrong type)."""

    type: int
    value: Any


def _option(name: str, value: Any) -> dict[str, Any]:
    if isinstance(value, Opt):
        return {"name": name, "type": value.type, "value": value.value}
    if isinstance(value, bool):
        return {"name": name, "type": BOOLEAN, "value": value}
    if isinstance(value, int):
        return {"name": name, "type": INTEGER, "value": value}
    if isinstance(value, float):
        return {"name": name, "type": NUMBER, "value": value}
    if isinstance(value, str):
        return {"name": name, "type": STRING, "value": value}
    raise TypeError(f"no Discord option type for {type(value).__name__}; wrap it in Opt")


def slash_command(
    path: str,
    options: Mapping[str, Any] | None = None,
    *,
    application_id: int,
    guild_id: int | None = 290926798626357999,
    channel_id: int = 645027906669510667,
    user_id: int = 53908232506183680,
    permissions: int = SEND_MESSAGES,
    registered_guild_id: int | None = None,
    interaction_id: int | None = None,
    token: str | None = None,
    locale: str = "en-US",
    command_id: int = 771825006014889984,
) -> dict[str, Any]:
    """A CHAT_INPUT interaction for `path` ("admin health", "santa join", ...) with `options`.

    `registered_guild_id` marks a command synced to one server (lightbulb looks commands up by it).
    A user option's resolved data is added for every `Opt(USER, id)`.
    """
    parts = path.split()
    leaf = [_option(k, v) for k, v in (options or {}).items()]
    nested: list[dict[str, Any]] = leaf
    if len(parts) == 3:
        nested = [
            {
                "name": parts[1],
                "type": SUB_COMMAND_GROUP,
                "options": [{"name": parts[2], "type": SUB_COMMAND, "options": leaf}],
            }
        ]
    elif len(parts) == 2:
        nested = [{"name": parts[1], "type": SUB_COMMAND, "options": leaf}]
    data: dict[str, Any] = {"id": str(command_id), "name": parts[0], "type": 1, "options": nested}
    user_ids = [v.value for v in (options or {}).values() if isinstance(v, Opt) and v.type == USER]
    if user_ids:
        data["resolved"] = {
            "users": {str(u): user(int(u)) for u in user_ids},
            "members": {
                str(u): {k: v for k, v in member(int(u)).items() if k != "user"}
                for u in user_ids
                if guild_id is not None
            },
        }
    if registered_guild_id is not None:
        data["guild_id"] = str(registered_guild_id)
    payload: dict[str, Any] = {
        "id": str(interaction_id or snowflake()),
        "application_id": str(application_id),
        "type": 2,
        "token": token or f"itoken-{secrets.token_hex(8)}",
        "version": 1,
        "locale": locale,
        "app_permissions": str(SEND_MESSAGES | (1 << 14)),
        "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {"1": str(user_id)},
        "attachment_size_limit": 8 * 1024 * 1024,
        "entitlements": [],
        "data": data,
    }
    if guild_id is not None:
        payload |= {
            "guild_id": str(guild_id),
            "guild_locale": "en-US",
            "member": member(user_id, permissions=permissions),
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 0, "name": "general", "permissions": "0"},
            "context": 0,
        }
    else:
        payload |= {
            "user": user(user_id),
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 1},
            "context": 1,
        }
    return payload
