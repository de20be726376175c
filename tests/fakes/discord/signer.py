"""Signs interaction requests the way Discord does (Ed25519 over timestamp + body)."""

from __future__ import annotations

import json
import time
from typing import Any

import nacl.signing


class Signer:
    """Holds an application key pair; `public_key_hex` goes into the bot's settings."""

    def __init__(self, seed: bytes | None = None) -> None:
        self._key = nacl.signing.SigningKey(seed) if seed else nacl.signing.SigningKey.generate()

    @property
    def public_key_hex(self) -> str:
        return self._key.verify_key.encode().hex()

    def headers(self, body: bytes, *, timestamp: str | None = None) -> dict[str, str]:
        ts = timestamp if timestamp is not None else str(int(time.time()))
        signature = self._key.sign(ts.encode() + body).signature.hex()
        return {
            "Content-Type": "application/json",
            "X-Signature-Ed25519": signature,
            "X-Signature-Timestamp": ts,
        }

    @staticmethod
    def body(payload: Any) -> bytes:
        return json.dumps(payload, separators=(",", ":")).encode()
