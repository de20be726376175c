"""Recomputing the hash chain (and position / version contiguity) over a whole log."""

from __future__ import annotations

import hashlib
import sqlite3

from eventstore.hashing import GENESIS, canonical_bytes
from eventstore.records import VerifyResult
from eventstore.schema import EVENT_COLUMNS

_CHUNK = 5000


def verify_connection(con: sqlite3.Connection) -> VerifyResult:
    """Scan the log in position order; stop at the first row that breaks any invariant.

    The chain continues from the *recomputed* hash, so a row whose stored hash was forged to match
    its edited content still breaks the chain at the next row.
    """
    expected_pos = 1
    prev = GENESIS
    versions: dict[str, int] = {}
    count = 0
    cur = con.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY position")
    sha256 = hashlib.sha256
    try:
        while rows := cur.fetchmany(_CHUNK):
            for pos, stream, version, type_, sv, eid, at, caus, corr, data, stored in rows:
                if pos != expected_pos:
                    bad = min(pos, expected_pos)
                    why = (
                        f"position {expected_pos} missing" if pos > expected_pos else "bad position"
                    )
                    return VerifyResult(
                        ok=False, count=count, first_bad_position=bad, reason=why, head_hash=prev
                    )
                want = versions.get(stream, 0) + 1
                if version != want:
                    return VerifyResult(
                        ok=False,
                        count=count,
                        first_bad_position=pos,
                        reason=f"stream {stream!r} version {version}, expected {want}",
                        head_hash=prev,
                    )
                if not isinstance(eid, bytes) or len(eid) != 16:
                    return VerifyResult(
                        ok=False,
                        count=count,
                        first_bad_position=pos,
                        reason="malformed event_id",
                        head_hash=prev,
                    )
                digest = sha256(
                    prev
                    + canonical_bytes(pos, stream, version, type_, sv, eid, at, caus, corr, data)
                ).digest()
                if digest != stored:
                    return VerifyResult(
                        ok=False,
                        count=count,
                        first_bad_position=pos,
                        reason="hash mismatch",
                        head_hash=prev,
                    )
                versions[stream] = version
                prev = digest
                expected_pos += 1
                count += 1
    finally:
        cur.close()
    return VerifyResult(ok=True, count=count, head_hash=prev)
