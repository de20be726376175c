"""A fake Discord (REST + gateway) and helpers to build and sign Discord-shaped interactions."""

from tests.fakes.discord.payloads import (
    ADMINISTRATOR,
    MANAGE_GUILD,
    SEND_MESSAGES,
    USER,
    Opt,
    member,
    slash_command,
    snowflake,
    user,
)
from tests.fakes.discord.server import (
    FakeDiscord,
    GatewayConnection,
    GatewaySession,
    Request,
    fake_token,
)
from tests.fakes.discord.signer import Signer

__all__ = [
    "ADMINISTRATOR",
    "MANAGE_GUILD",
    "SEND_MESSAGES",
    "USER",
    "FakeDiscord",
    "GatewayConnection",
    "GatewaySession",
    "Opt",
    "Request",
    "Signer",
    "fake_token",
    "member",
    "slash_command",
    "snowflake",
    "user",
]
