"""Recomputing the hash chain (and position / version contiguity, and heads) over a whole log."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from datetime import datetime

import msgspec

from eventstore.hashing import GENESIS, canonical_bytes
from eventstore.records import VerifyResult
from eventstore.rows import encode_head
from eventstore.schema import ALL_COLUMNS

_CHUNK = 5000


def _bad(count: int, position: int, reason: str, prev: bytes) -> VerifyResult:
    return VerifyResult(
        ok=False, count=count, first_bad_position=position, reason=reason, head_hash=prev
    )


def verify_connection(con: sqlite3.Connection) -> VerifyResult:
    """Scan the log in position order; stop at the first row that breaks any invariant.

    The chain continues from the *recomputed* hash, so a row whose stored hash was forged to match
    its edited content still breaks the chain at the next row. ``count`` is the number of rows that
    verified before the first bad one.
    """
    expected_pos = 1
    prev = GENESIS
    versions: dict[str, int] = {}
    count = 0
    sha256 = hashlib.sha256
    to_time = msgspec.json.Decoder(datetime).decode
    cur = con.execute(f"SELECT {ALL_COLUMNS} FROM events ORDER BY position")
    try:
        while rows := cur.fetchmany(_CHUNK):
            for pos, stream, version, type_, sv, eid, at, caus, corr, data, stored, head in rows:
                if pos != expected_pos:
                    if pos > expected_pos:
                        return _bad(count, expected_pos, f"position {expected_pos} missing", prev)
                    return _bad(count, pos, "position out of order", prev)
                want = versions.get(stream, 0) + 1
                if version != want:
                    reason = f"stream {stream!r} version {version}, expected {want}"
                    return _bad(count, pos, reason, prev)
                if not isinstance(eid, bytes) or len(eid) != 16:
                    return _bad(count, pos, "malformed event_id", prev)
                digest = sha256(
                    prev
                    + canonical_bytes(pos, stream, version, type_, sv, eid, at, caus, corr, data)
                ).digest()
                if digest != stored:
                    return _bad(count, pos, "hash mismatch", prev)
                try:
                    moment = to_time(b'"' + at.encode() + b'"')
                except (msgspec.DecodeError, AttributeError):
                    return _bad(count, pos, "malformed recorded_at", prev)
                expected_head = encode_head(
                    pos,
                    stream,
                    version,
                    type_,
                    sv,
                    uuid.UUID(bytes=eid),
                    moment,
                    caus,
                    corr,
                    digest,
                )
                if head != expected_head:
                    return _bad(count, pos, "head does not match the row's columns", prev)
                versions[stream] = version
                prev = digest
                expected_pos += 1
                count += 1
    finally:
        cur.close()
    return VerifyResult(ok=True, count=count, head_hash=prev)
