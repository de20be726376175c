"""The event types and read models the tool uses: exactly the bot's, from its composition root."""

from __future__ import annotations

from typing import Any

from app.bootstrap import app_projections as bot_projections
from app.events import app_registry as app_registry
from eventstore import Projection


def app_projections() -> list[Projection[Any]]:
    """Every read model the bot keeps (fresh instances), so snapshot names match the bot's."""
    return bot_projections()
