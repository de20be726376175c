"""Tamper evidence: every event's hash covers the previous hash and the event's canonical bytes.

The canonical bytes are the MessagePack encoding (smallest-width integers and lengths, as msgspec
always writes them) of the tuple ``(position, stream_id, version, type, schema_version, event_id (16
bytes), recorded_at (the stored text), causation_id, correlation_id, data)``. Position is inside the
hash, so editing, deleting, inserting or reordering rows all break the chain at the first affected
position, and another implementation can recompute the chain from the documented encoding alone.
"""

from __future__ import annotations

import hashlib

import msgspec

GENESIS = bytes(32)
"""The 'previous hash' of position 1."""

_encode = msgspec.msgpack.Encoder().encode
encode_canonical = _encode
"""Encodes the canonical tuple itself (the writer's hot loop builds the tuple inline)."""


def canonical_bytes(
    position: int,
    stream_id: str,
    version: int,
    type_: str,
    schema_version: int,
    event_id: bytes,
    recorded_at: str,
    causation_id: str | None,
    correlation_id: str | None,
    data: bytes,
) -> bytes:
    return _encode(
        (
            position,
            stream_id,
            version,
            type_,
            schema_version,
            event_id,
            recorded_at,
            causation_id,
            correlation_id,
            data,
        )
    )


def chain(previous: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(previous + canonical).digest()
