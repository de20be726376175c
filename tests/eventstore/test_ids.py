"""Fresh event ids: RFC 9562 version 7, unique, time-ordered across milliseconds."""

from __future__ import annotations

import time
import uuid

from eventstore.ids import new_event_id


def test_fresh_ids_are_unique_version_7_uuids_with_matching_bytes() -> None:
    pairs = [new_event_id() for _ in range(20_000)]
    assert len({b for _, b in pairs}) == len(pairs)
    for u, b in pairs[:100]:
        assert isinstance(u, uuid.UUID)
        assert u.version == 7
        assert u.variant == uuid.RFC_4122
        assert u.bytes == b


def test_ids_from_a_later_millisecond_sort_after_earlier_ones() -> None:
    first, _ = new_event_id()
    time.sleep(0.002)
    second, _ = new_event_id()
    assert first.bytes[:6] < second.bytes[:6]
    assert abs(int.from_bytes(second.bytes[:6], "big") - time.time_ns() // 1_000_000) < 60_000
