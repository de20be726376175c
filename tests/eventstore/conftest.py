"""Shared event types, registries, clocks and stores for the event store tests."""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from eventstore import EventRegistry, EventStore, RecordedEvent


class Deposited(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    amount: int


class Withdrawn(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    amount: int


class Unregistered(msgspec.Struct, frozen=True, kw_only=True):
    note: str


def make_registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register(Deposited, name="bank.Deposited", version=1)
    registry.register(Withdrawn, name="bank.Withdrawn", version=1)
    return registry


class StepClock:
    """A deterministic, thread-safe clock: each call is one second after the previous one."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(seconds=1)):
        self._start = start or datetime(2026, 12, 1, tzinfo=UTC)
        self._step = step
        self._count = itertools.count()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            n = next(self._count)
        return self._start + n * self._step


class Balances:
    """A projection: balance per account plus a count of events seen."""

    name = "balances"
    state_type = dict[str, int]

    def initial(self) -> dict[str, int]:
        return {}

    def apply(self, state: dict[str, int], rec: RecordedEvent) -> dict[str, int]:
        ev = rec.event
        if isinstance(ev, Deposited):
            state[ev.account] = state.get(ev.account, 0) + ev.amount
        elif isinstance(ev, Withdrawn):
            state[ev.account] = state.get(ev.account, 0) - ev.amount
        state["#events"] = state.get("#events", 0) + 1
        return state


class StreamLengths:
    """A second projection with a struct state, so snapshots of both kinds are exercised."""

    class State(msgspec.Struct):
        lengths: dict[str, int] = msgspec.field(default_factory=dict)
        last_position: int = 0

    name = "stream-lengths"
    state_type = State

    def initial(self) -> StreamLengths.State:
        return StreamLengths.State()

    def apply(self, state: StreamLengths.State, rec: RecordedEvent) -> StreamLengths.State:
        state.lengths[rec.stream_id] = rec.version
        state.last_position = rec.position
        return state


@pytest.fixture
def registry() -> EventRegistry:
    return make_registry()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "events.db")


@pytest.fixture(params=["file", "memory"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, registry: EventRegistry
) -> AsyncIterator[EventStore]:
    path = str(tmp_path / "events.db") if request.param == "file" else ":memory:"
    async with EventStore(path, registry) as s:
        yield s


def dep(account: str = "a", amount: int = 1) -> Deposited:
    return Deposited(account=account, amount=amount)


async def collect(it: Any, limit: int | None = None) -> list[Any]:
    out = []
    async for item in it:
        out.append(item)
        if limit is not None and len(out) >= limit:
            break
    return out


Factory = Callable[..., EventStore]
