"""The Discord adapter: bots for both transports, shared hooks and errors, the DM dispatcher.

The composition root needs only what is exported here.
"""

from app.adapters.discord.bots import (
    CLIENT_HOOKS,
    DEFAULT_LOADERS,
    BotHandle,
    build_gateway_bot,
    build_rest_bot,
)
from app.adapters.discord.dispatcher import (
    Dispatcher,
    DispatcherStatus,
    FailureReason,
    OutboundMessage,
    Outbox,
    nonce_for,
)
from app.adapters.discord.hooks import (
    CommandRefused,
    InvalidOption,
    MissingPermission,
    OnCooldown,
    cooldown,
    manage_server_only,
    require_permissions,
)
from app.adapters.discord.logcontext import InteractionIdFilter, current_interaction
from app.adapters.discord.replies import answer
from app.adapters.discord.runner import (
    GatewayRunner,
    ServeRunner,
    StartupError,
    run_gateway,
    run_serve,
)
from app.adapters.discord.services import (
    BotRuntime,
    BotServices,
    Reply,
    StoreProbe,
    StoreStatus,
)

__all__ = [
    "CLIENT_HOOKS",
    "DEFAULT_LOADERS",
    "BotHandle",
    "BotRuntime",
    "BotServices",
    "CommandRefused",
    "Dispatcher",
    "DispatcherStatus",
    "FailureReason",
    "GatewayRunner",
    "InteractionIdFilter",
    "InvalidOption",
    "MissingPermission",
    "OnCooldown",
    "OutboundMessage",
    "Outbox",
    "Reply",
    "ServeRunner",
    "StartupError",
    "StoreProbe",
    "StoreStatus",
    "answer",
    "build_gateway_bot",
    "build_rest_bot",
    "cooldown",
    "current_interaction",
    "manage_server_only",
    "nonce_for",
    "require_permissions",
    "run_gateway",
    "run_serve",
]
