"""Composition root: opens the log, starts the read models and builds the command path, once.

Every front end (gateway, HTTP interactions, console) and every test calls `open_app`, so they all run
the same wiring; tests differ only in the clock, the randomness and the database path they pass.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from app.domain import santa
from app.events import app_registry
from app.projections.santa import (
    SantaMemberViewsProjection,
    SantaOrganiserProjection,
    SantaOutboxProjection,
    SantaSeasonsProjection,
)
from app.projections.santa_history import SantaHistoryProjection
from app.service import CommandService, FunctionDecider, Outcome
from eventstore import EventStore, Projection, ProjectionFailed, ProjectionRunner

S = TypeVar("S")

SANTA_DECIDER: FunctionDecider[Any, santa.SantaState] = FunctionDecider(
    santa.initial_state, santa.evolve, santa.decide
)

#: How often the read models are snapshotted: bounds start-up and point-in-time replay work.
SNAPSHOT_EVERY = 10_000


def app_projections() -> list[Projection[Any]]:
    """Every read model the bot keeps, in one list shared with the admin tooling."""
    return [
        SantaSeasonsProjection(),
        SantaMemberViewsProjection(),
        SantaOrganiserProjection(),
        SantaOutboxProjection(),
        SantaHistoryProjection(),
    ]


class RecordedButNotShown(Exception):
    """The command's events are in the log but the read models stopped following it."""

    message = (
        "Your request was recorded, but the bot could not refresh its views; "
        "please don't repeat it, and ask an admin to check the bot's log."
    )


@dataclass(slots=True)
class App:
    """What handlers need: the log, the one command path and the read models kept current."""

    store: EventStore
    service: CommandService
    runner: ProjectionRunner
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Where `/admin backup` and the daily job put verified copies, and how many they keep.
    backup_dir: Path | None = None
    backup_keep: int = 7

    def view(self, projection_type: type[Any]) -> Any:
        """The current state of a read model, by its projection class."""
        return self.runner.state(projection_type.name)

    async def settle(self, outcome: Outcome) -> Outcome:
        """Waits until the read models include what the command appended (read-your-writes).

        The append has happened by now, so a failure here must not read as "nothing changed".
        """
        if outcome.records:
            try:
                await self.runner.wait_for(outcome.records[-1].position)
            except ProjectionFailed as exc:
                raise RecordedButNotShown from exc
        return outcome

    async def santa(self, command: santa.SantaCommand, *, idempotency_key: str | None) -> Outcome:
        """Runs a Secret Santa command through the one command path and waits for the read models."""
        outcome = await self.service.execute(
            santa.stream_id(command.guild_id),
            command,
            SANTA_DECIDER,
            idempotency_key=idempotency_key,
        )
        return await self.settle(outcome)


def default_rng() -> random.Random:
    """Production randomness for draws: the OS's CSPRNG, so nobody can predict a draw."""
    return secrets.SystemRandom()


@asynccontextmanager
async def open_app(
    db_path: str | Path,
    *,
    clock: Callable[[], datetime] | None = None,
    rng: random.Random | None = None,
    snapshot_every: int | None = SNAPSHOT_EVERY,
    backup_dir: str | Path | None = None,
    backup_keep: int = 7,
) -> AsyncIterator[App]:
    """Opens the store (creating its folder), catches the read models up, and closes both on exit."""
    path = str(db_path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    clock_fn = clock or (lambda: datetime.now(UTC))
    async with EventStore(path, registry=app_registry(), clock=clock_fn) as store:
        runner = ProjectionRunner(
            store, app_projections(), snapshot_every=snapshot_every, poll_interval=0.5
        )
        await runner.start()
        try:
            service = CommandService(store, clock=clock_fn, rng=rng or default_rng())
            yield App(
                store=store,
                service=service,
                runner=runner,
                started_at=clock_fn(),
                backup_dir=Path(backup_dir) if backup_dir is not None else None,
                backup_keep=backup_keep,
            )
        finally:
            await runner.stop()
