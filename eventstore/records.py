"""Value types crossing the store's API: what callers append and what the log hands back."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import msgspec


class ExpectedVersion(enum.Enum):
    """Symbolic expectations for `EventStore.append`; exact versions are plain ints."""

    NO_STREAM = "no_stream"
    ANY = "any"

    def __str__(self) -> str:
        return self.name


NO_STREAM = ExpectedVersion.NO_STREAM
"""The stream must not exist yet (same as expecting version 0)."""
ANY = ExpectedVersion.ANY
"""Append regardless of the stream's version (no optimistic check)."""


class NewEvent(msgspec.Struct, frozen=True):
    """An event to append, with the ids that make retries idempotent and traces followable.

    A deterministic ``event_id`` (e.g. uuid5 of an interaction id) is what lets a retried command be
    recognised and answered with the original records instead of being recorded twice. Without
    one, `EventStore.append` generates a fresh time-ordered UUID (version 7, see `eventstore.ids`).
    """

    payload: msgspec.Struct
    event_id: uuid.UUID | None = None
    causation_id: str | None = None
    correlation_id: str | None = None


class RecordedEvent(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One event as stored in the log.

    ``array_like`` lets the read path build thousands of these per call from SQLite row tuples in C
    (`msgspec.convert`), which is what keeps replay near raw-scan speed; ``gc=False`` because a
    record holds only scalars and the decoded payload, so it cannot be part of a reference cycle and
    tracking millions of them during a replay would only cost collector time.

    ``data`` is the payload exactly as stored (msgspec JSON of the schema version it was written
    with); ``event`` is that payload decoded and upcast to the currently registered version, or None
    when the type is not registered in the registry the store was opened with.
    """

    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    event_id: uuid.UUID
    recorded_at: datetime
    causation_id: str | None
    correlation_id: str | None
    data: bytes
    hash: bytes
    event: Any = None


class VerifyResult(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of recomputing the hash chain.

    ``first_bad_position`` is where the log stops being trustworthy; ``head_hash`` is the chain's
    last good hash, for comparison with a copy kept elsewhere (truncation keeps a valid chain).
    """

    ok: bool
    count: int
    first_bad_position: int | None = None
    reason: str | None = None
    head_hash: bytes = b""
