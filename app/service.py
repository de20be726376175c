"""The one command path: load stream -> decide -> append with expected version -> reply.

Every change of state in Yulelog goes through `CommandService.execute`, whether it came from a Discord
interaction, the offline console or the scheduler. Keeping one path is what makes retries idempotent and
concurrent commands safe without locks: the event store's expected-version check is the only arbiter.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from eventstore import ConcurrencyConflict, EventStore, NewEvent, RecordedEvent

log = logging.getLogger(__name__)

#: Namespace for deterministic event ids: uuid5(NAMESPACE, f"{idempotency_key}/{index}").
EVENT_ID_NAMESPACE = uuid.UUID("9c1d6a52-3f8e-4f5e-9d8b-1e2a4c6f7a10")

#: Bounded retries on ConcurrencyConflict: two writers racing on one stream settle within a few rounds;
#: more than this means something is wrong and the user is told to try again rather than waiting forever.
MAX_CONFLICT_RETRIES = 8

S = TypeVar("S")
C = TypeVar("C", contravariant=True)


class Decider(Protocol[C, S]):
    """The shape every domain module offers; the service needs nothing else from it."""

    def initial_state(self) -> S: ...

    def evolve(self, state: S, event: Any) -> S: ...

    def decide(
        self, command: C, state: S, *, now: datetime, rng: random.Random
    ) -> Sequence[msgspec.Struct]: ...


@dataclass(frozen=True, slots=True)
class FunctionDecider(Generic[C, S]):
    """Adapts a module's plain `decide`/`evolve`/`initial_state` functions to the Decider protocol."""

    initial: Callable[[], S]
    evolve_fn: Callable[[S, Any], S]
    decide_fn: Callable[..., Sequence[msgspec.Struct]]

    def initial_state(self) -> S:
        return self.initial()

    def evolve(self, state: S, event: Any) -> S:
        return self.evolve_fn(state, event)

    def decide(
        self, command: C, state: S, *, now: datetime, rng: random.Random
    ) -> Sequence[msgspec.Struct]:
        return self.decide_fn(command, state, now=now, rng=rng)


class BusyError(Exception):
    """Raised when a stream stays contended past MAX_CONFLICT_RETRIES; the user may simply retry."""

    message = "Many people are changing this at once; please try again in a moment."


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one command did: the recorded events (original ones on an idempotent retry)."""

    records: list[RecordedEvent]
    replayed: bool = False

    @property
    def events(self) -> list[Any]:
        return [r.event for r in self.records]


@dataclass(slots=True)
class CommandService:
    """Runs commands against streams. Clock and randomness are injected so tests are deterministic.

    Within one process, commands on the same stream take turns (a lock per stream), so a burst of
    members joining at once does not turn into a storm of conflicts and reloads; the expected-version
    check still guards against any other writer (another process, the admin tooling). Each stream's
    decision state is cached and brought up to date by reading only the events after its version.
    """

    store: EventStore
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rng: random.Random = field(default_factory=random.SystemRandom)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _states: dict[tuple[str, int], tuple[Any, int]] = field(default_factory=dict)

    async def load(self, stream_id: str, decider: Decider[Any, S]) -> tuple[S, int]:
        """Folds a stream into its decision state; returns the state and the version it reflects.

        The returned state is the cached one: callers must treat it as read-only (deciders do).
        """
        key = (stream_id, id(decider))
        cached = self._states.get(key)
        state: S
        state, version = cached if cached is not None else (decider.initial_state(), 0)
        try:
            async for rec in self.store.read_stream(stream_id, from_version=version + 1):
                state = decider.evolve(state, rec.event)
                version = rec.version
        except BaseException:
            # evolve folds in place: a fold cut short must not stay cached, or the events it did
            # apply would be applied again from the old version next time.
            self._states.pop(key, None)
            raise
        self._states[key] = (state, version)
        return state, version

    async def execute(
        self,
        stream_id: str,
        command: C,
        decider: Decider[C, S],
        *,
        idempotency_key: str | None = None,
        causation_id: str | None = None,
    ) -> Outcome:
        """Decides and appends. Domain errors propagate untouched so the caller can show their message.

        With an idempotency key (the Discord interaction id), a retry of a command that was already
        recorded returns the original records without deciding again: deciding again could draw new
        random numbers or be refused by the state the first attempt created.
        """
        lock = self._locks.setdefault(stream_id, asyncio.Lock())
        async with lock:
            return await self._execute(stream_id, command, decider, idempotency_key, causation_id)

    async def _execute(
        self,
        stream_id: str,
        command: C,
        decider: Decider[C, S],
        idempotency_key: str | None,
        causation_id: str | None,
    ) -> Outcome:
        if idempotency_key is not None:
            first = await self.store.get_event(event_id_for(idempotency_key, 0))
            if first is not None:
                return Outcome(await self._records_of(first), replayed=True)
        for _attempt in range(MAX_CONFLICT_RETRIES):
            state, version = await self.load(stream_id, decider)
            # Deciding is pure CPU work (a 1,000-person draw searches for a while): it runs on a
            # worker thread so heartbeats and other servers' commands go on meanwhile. The state is
            # safe to share: this stream's lock is held and deciders never modify their state.
            events = await asyncio.to_thread(self._decide, decider, command, state)
            if not events:
                return Outcome([])
            new = [
                NewEvent(
                    e,
                    event_id=(
                        event_id_for(idempotency_key, i) if idempotency_key is not None else None
                    ),
                    causation_id=causation_id,
                    correlation_id=idempotency_key,
                )
                for i, e in enumerate(events)
            ]
            try:
                records = await self.store.append(
                    stream_id,
                    new,
                    expected_version=version,
                    causation_id=causation_id,
                    correlation_id=idempotency_key,
                )
            except ConcurrencyConflict:
                log.debug("conflict on %s at version %d; retrying", stream_id, version)
                continue
            return Outcome(list(records))
        raise BusyError

    def _decide(self, decider: Decider[C, S], command: C, state: S) -> Sequence[msgspec.Struct]:
        return decider.decide(command, state, now=self.clock(), rng=self.rng)

    async def _records_of(self, first: RecordedEvent) -> list[RecordedEvent]:
        """All events the first attempt appended: they follow `first` with ids key/1, key/2, ..."""
        key = first.correlation_id
        out: list[RecordedEvent] = []
        async for rec in self.store.read_stream(first.stream_id, from_version=first.version):
            if key is None or rec.event_id != event_id_for(key, len(out)):
                break
            out.append(rec)
        return out or [first]


def event_id_for(idempotency_key: str, index: int) -> uuid.UUID:
    """Deterministic event id, so a retried interaction maps onto the events it already recorded."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{idempotency_key}/{index}")
