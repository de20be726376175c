"""Yulelog's event store: an append-only, hash-chained, group-committed event log on SQLite.

Standalone: nothing here imports the application. In short::

    registry = EventRegistry()
    registry.register(SeasonOpened, name="santa.SeasonOpened", version=2)

    @registry.upcaster("santa.SeasonOpened", from_version=1)
    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        data["budget_cents"] = data.pop("budget_eur") * 100
        return data

    async with EventStore("yulelog.db", registry) as store:
        recs = await store.append("santa/42", [event], expected_version=NO_STREAM)
        async for rec in store.subscribe(from_position=0):
            handle(rec)

Semantics worth knowing:

- Positions start at 1 and are gap-free in commit order; versions start at 1 per stream;
  `EventStore.stream_version` is 0 for a missing stream, so ``NO_STREAM`` equals expecting 0.
- ``append`` returns only after the transaction is durable (WAL, ``synchronous=FULL``); concurrent
  appends share one commit. Re-appending already recorded event ids returns the original records.
- ``read_all`` / ``subscribe`` bounds are inclusive; a subscriber resuming after checkpoint ``p``
  passes ``p + 1``. Subscriptions end when the store closes.
- Use a store from the event loop that opened it. `rebuild` and `state_at` run projection folds on
  a worker thread; `ProjectionRunner` runs them on the loop.
- ``EventStore(path, registry, readonly=True)`` never writes (admin tools next to a running bot);
  `EventStore.verify`, `EventStore.backup` and `EventStore.copy_until` check and copy the log.
"""

from eventstore.errors import (
    BackupError,
    ConcurrencyConflict,
    DuplicateEventId,
    EventStoreError,
    NotAnEventStore,
    ReadOnlyStore,
    StoreClosed,
    UnknownEventType,
    UpcastError,
)
from eventstore.projections import (
    Projection,
    ProjectionFailed,
    ProjectionRunner,
    rebuild,
    state_at,
)
from eventstore.records import (
    ANY,
    NO_STREAM,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    VerifyResult,
)
from eventstore.registry import EventRegistry
from eventstore.store import EventStore

__all__ = [
    "ANY",
    "NO_STREAM",
    "BackupError",
    "ConcurrencyConflict",
    "DuplicateEventId",
    "EventRegistry",
    "EventStore",
    "EventStoreError",
    "ExpectedVersion",
    "NewEvent",
    "NotAnEventStore",
    "Projection",
    "ProjectionFailed",
    "ProjectionRunner",
    "ReadOnlyStore",
    "RecordedEvent",
    "StoreClosed",
    "UnknownEventType",
    "UpcastError",
    "VerifyResult",
    "rebuild",
    "state_at",
]
