"""Record heads: the read path's hot loop, and the encoding the writer and `verify` share.

A head is the MessagePack array ``[position, stream_id, version, type, schema_version, event_id (bin
16), recorded_at (timestamp ext), causation_id, correlation_id, b"", hash]``: exactly
`RecordedEvent`'s array-like field order with an empty placeholder for the payload. A chunk of heads
is joined under one array header and decoded by msgspec in C straight into `RecordedEvent`s (UUIDs
and aware datetimes included); Python then only sets the stored payload bytes and its decoded form
on each record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from eventstore.errors import EventStoreError
from eventstore.records import RecordedEvent
from eventstore.registry import Decode, EventRegistry

_HEADS = msgspec.msgpack.Decoder(list[RecordedEvent])
_encode = msgspec.msgpack.Encoder(uuid_format="bytes").encode
encode_head_tuple = _encode
"""Encodes a head tuple built inline (the writer's hot loop); see `encode_head` for the layout."""
_set = msgspec.structs.force_setattr  # records are frozen for callers; filled in once, here


def encode_head(
    position: int,
    stream_id: str,
    version: int,
    type_: str,
    schema_version: int,
    event_id: uuid.UUID,
    recorded_at: datetime,
    causation_id: str | None,
    correlation_id: str | None,
    hash_: bytes,
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
            b"",
            hash_,
        )
    )


def decode_rows(rows: list[tuple[Any, ...]], registry: EventRegistry) -> list[RecordedEvent]:
    """Rows of ``(head, data)`` (see `schema.READ_COLUMNS`) to complete records."""
    n = len(rows)
    try:
        records = _HEADS.decode(b"\xdd" + n.to_bytes(4, "big") + b"".join([r[0] for r in rows]))
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise EventStoreError(f"corrupt event head in the log ({exc}); run verify()") from exc
    decoder = registry.decoder
    by_type: dict[str, dict[int, Decode]] = {}
    for rec, row in zip(records, rows, strict=True):
        data = row[1]
        versions = by_type.get(rec.type)
        if versions is None:
            versions = by_type[rec.type] = {}
        fn = versions.get(rec.schema_version)
        if fn is None:
            fn = versions[rec.schema_version] = decoder(rec.type, rec.schema_version)
        _set(rec, "data", data)
        _set(rec, "event", fn(data))
    return records
