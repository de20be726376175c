"""Errors raised by the event store.

Every error derives from `EventStoreError` so callers can catch the family; the ones a caller is
expected to handle (a lost optimistic-concurrency race, an unreadable file) carry the facts needed
to react without parsing messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventstore.records import ExpectedVersion


class EventStoreError(Exception):
    """Base class of everything the event store raises on purpose."""


class ConcurrencyConflict(EventStoreError):
    """The stream moved since the caller loaded it; reload, decide again, retry."""

    def __init__(self, stream_id: str, expected: int | ExpectedVersion, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r}: expected version {expected!s}, actual version {actual}"
        )
        self.stream_id = stream_id
        self.expected_version = expected
        self.actual_version = actual

    def __reduce__(self) -> tuple[type[ConcurrencyConflict], tuple[str, object, int]]:
        return (type(self), (self.stream_id, self.expected_version, self.actual_version))


class DuplicateEventId(EventStoreError):
    """Some, but not all, event ids of one append are already recorded.

    A retry of a whole append is idempotent; a *partial* overlap means two different appends reuse
    ids, which is a bug in the caller's id derivation, so it is refused rather than guessed at.
    """


class UnknownEventType(EventStoreError):
    """A payload's class was never registered, so it cannot be given a stable type name."""


class UpcastError(EventStoreError):
    """A stored event cannot be brought to the current schema version.

    Either an upcaster step is missing, or the data is newer than the code reading it.
    """


class NotAnEventStore(EventStoreError):
    """The file exists but is not a Yulelog event store (or is a format this code does not know)."""


class ReadOnlyStore(EventStoreError):
    """A write was attempted on a store opened with ``readonly=True``."""


class StoreClosed(EventStoreError):
    """The store is not open (never opened, or already closed)."""


class BackupError(EventStoreError):
    """A backup or prefix copy was written but does not verify."""
