"""Yulelog's event store: an append-only, hash-chained, group-committed event log on SQLite.

Standalone: nothing here imports the application.
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
