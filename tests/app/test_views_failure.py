"""When the read models stop following the log, nobody waits forever and nobody is told a lie."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from app.bootstrap import App, RecordedButNotShown
from app.commands.registry import all_specs
from app.commands.run import invoke
from app.commands.spec import Invocation
from app.events import app_registry
from app.service import CommandService
from eventstore import EventStore, ProjectionFailed, ProjectionRunner, RecordedEvent


class Exploding:
    """A read model with a bug: it fails on the first event it sees."""

    name = "test.exploding"
    state_type = dict

    def initial(self) -> dict[str, Any]:
        return {}

    def apply(self, state: dict[str, Any], rec: RecordedEvent) -> dict[str, Any]:
        raise RuntimeError("bug in a projection")


INV = Invocation(
    guild_id=1, channel_id=1, user_id=1, user_name="Ann", is_admin=True, interaction_id="x1"
)


async def test_a_recorded_command_is_not_reported_as_unchanged(tmp_path: Path) -> None:
    async with EventStore(tmp_path / "y.db", registry=app_registry()) as store:
        runner = ProjectionRunner(store, [Exploding()], snapshot_every=None, poll_interval=0.05)
        await runner.start()
        app = App(store=store, service=CommandService(store, rng=random.Random(1)), runner=runner)
        start = next(sp for sp in all_specs(app) if sp.name == "santa start")
        reply = await invoke(start, INV, {"year": 2026})
        assert reply.text == RecordedButNotShown.message
        assert await store.head_position() == 1
        await runner.stop()


async def test_waiters_wake_when_the_runner_stops(tmp_path: Path) -> None:
    async with EventStore(tmp_path / "y.db", registry=app_registry()) as store:
        runner = ProjectionRunner(store, [], snapshot_every=None, poll_interval=0.05)
        await runner.start()
        waiter = asyncio.create_task(runner.wait_for(10))
        await asyncio.sleep(0)
        await runner.stop()
        with pytest.raises(ProjectionFailed):
            await asyncio.wait_for(waiter, timeout=10)
