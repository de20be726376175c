"""Turning SQLite rows into `RecordedEvent`s in bulk: the read path's hot loop.

Rows come from SQLite in the column order of `schema.EVENT_COLUMNS`, which is also `RecordedEvent`'s
(array-like) field order; only the decoded payload is appended in Python. The 16-byte event id and
the recorded_at text become `UUID` and aware `datetime` inside one `msgspec.convert` call per chunk,
which costs a fraction of constructing them one by one in Python.
"""

from __future__ import annotations

from typing import Any

import msgspec

from eventstore.records import RecordedEvent
from eventstore.registry import Decode, EventRegistry

_RECORDS = list[RecordedEvent]


def decode_rows(rows: list[tuple[Any, ...]], registry: EventRegistry) -> list[RecordedEvent]:
    decoder = registry.decoder
    by_type: dict[str, dict[int, Decode]] = {}
    full: list[tuple[Any, ...]] = []
    add = full.append
    for row in rows:
        versions = by_type.get(row[3])
        if versions is None:
            versions = by_type[row[3]] = {}
        fn = versions.get(row[4])
        if fn is None:
            fn = versions[row[4]] = decoder(row[3], row[4])
        add((*row, fn(row[9])))
    return msgspec.convert(full, _RECORDS)


def decode_row(row: tuple[Any, ...], registry: EventRegistry) -> RecordedEvent:
    return decode_rows([row], registry)[0]
