"""How the gateway connection has fared since start, for `/admin health`.

hikari reconnects on its own (RESUME when Discord allows it, a new session otherwise), so a bot
that keeps losing its connection still looks fine from any single command. Counting disconnections
and how each one ended lets an admin see a flapping connection, and whether commands sent meanwhile
were replayed (resumed) or may have been lost (a new session: Discord drops what was not delivered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import hikari


@dataclass(slots=True)
class GatewayWatch:
    """Counts shard events; `clock` is the same monotonic clock as the bot's uptime."""

    clock: Callable[[], float]
    sessions: int = 0
    """READY events: the first identify at start, then one per session Discord would not resume."""
    resumes: int = 0
    disconnections: int = 0
    last_disconnection_at: float | None = None
    connected: bool = False

    def subscribe(self, bot: hikari.GatewayBot) -> None:
        bot.subscribe(hikari.ShardReadyEvent, self._on_ready)
        bot.subscribe(hikari.ShardResumedEvent, self._on_resumed)
        bot.subscribe(hikari.ShardDisconnectedEvent, self._on_disconnected)

    async def _on_ready(self, _: hikari.ShardReadyEvent) -> None:
        self.sessions += 1
        self.connected = True

    async def _on_resumed(self, _: hikari.ShardResumedEvent) -> None:
        self.resumes += 1
        self.connected = True

    async def _on_disconnected(self, _: hikari.ShardDisconnectedEvent) -> None:
        self.disconnections += 1
        self.last_disconnection_at = self.clock()
        self.connected = False

    def line(self, format_duration: Callable[[float], str]) -> str:
        """One health line; a disconnection is news, not a PROBLEM, since hikari reconnects. Resumed
        means Discord replayed what was sent meanwhile; a new session means it did not."""
        state = "connected" if self.connected else "reconnecting"
        if not self.disconnections or self.last_disconnection_at is None:
            return f"Gateway: {state}, no disconnection since start."
        ago = format_duration(self.clock() - self.last_disconnection_at)
        plural = "" if self.disconnections == 1 else "s"
        new_sessions = max(0, self.sessions - 1)
        return (
            f"Gateway: {state}; {self.disconnections} disconnection{plural} since start, the last "
            f"{ago} ago ({self.resumes} resumed, {new_sessions} new session"
            f"{'' if new_sessions == 1 else 's'})."
        )
