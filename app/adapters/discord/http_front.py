"""The HTTP interactions endpoint: signature check first, then hikari.

Discord's documentation requires an endpoint to answer a request whose Ed25519 signature does not
verify with 401 Unauthorized (and it probes endpoints with bad signatures); hikari's own server
answers 400. So this small aiohttp server owns the public port, verifies `X-Signature-Ed25519` over
`X-Signature-Timestamp + body` with PyNaCl, and hands verified requests to
`RESTBot.on_interaction`, hikari's documented entry point for externally received interactions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

import aiohttp
import hikari
import nacl.exceptions
import nacl.signing
from aiohttp import web
from hikari.api import interaction_server

log = logging.getLogger("yulelog.discord.http")

SIGNATURE_HEADER: Final = "X-Signature-Ed25519"
TIMESTAMP_HEADER: Final = "X-Signature-Timestamp"
JSON: Final = "application/json"
MAX_BODY: Final = 1024 * 1024
DEFAULT_MAX_AGE: Final = 300.0


class SignatureVerifier:
    """Ed25519 check of Discord's request signature, with an optional freshness bound.

    The freshness bound limits replays of a captured request to `max_age` seconds; Discord signs
    each request as it sends it, so a fresh request is never older than network delay plus clock
    skew.
    """

    def __init__(
        self,
        public_key_hex: str,
        *,
        max_age: float | None = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = nacl.signing.VerifyKey(bytes.fromhex(public_key_hex))
        self._max_age = max_age
        self._clock = clock

    def problem(self, body: bytes, signature: str | None, timestamp: str | None) -> str | None:
        """None when the request is authentic, else why not (for the log, never the caller)."""
        if not signature or not timestamp:
            return "missing signature headers"
        try:
            raw_signature = bytes.fromhex(signature)
            self._key.verify(timestamp.encode("utf-8") + body, raw_signature)
        except (ValueError, nacl.exceptions.BadSignatureError):
            return "signature does not verify"
        if self._max_age is not None:
            try:
                age = self._clock() - float(timestamp)
            except ValueError:
                return "timestamp is not a number"
            if abs(age) > self._max_age:
                return f"timestamp is {age:.0f}s off (check the host clock if this repeats)"
        return None


class InteractionsEndpoint:
    """The public `POST /` endpoint in front of a `hikari.RESTBot` (which must be started)."""

    def __init__(self, bot: hikari.RESTBot, verifier: SignatureVerifier) -> None:
        self._bot = bot
        self._verifier = verifier
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port: int | None = None

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/", self._handle)
        return app

    async def start(self, host: str, port: int, *, shutdown_timeout: float = 10.0) -> int:
        """Listen on host:port (port 0 picks a free one) and return the port."""
        self._runner = web.AppRunner(
            self.application(), access_log=None, shutdown_timeout=shutdown_timeout
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        bound = [a for a in self._runner.addresses if isinstance(a, tuple)]
        self.port = int(bound[0][1]) if bound else port
        log.info("listening for interactions on %s:%s", host, self.port)
        return self.port

    async def close(self) -> None:
        """Stop accepting, let requests in flight finish (bounded by shutdown_timeout)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.content_type.lower() != JSON:
            return web.Response(status=415, text="Unsupported Media Type")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="Payload too large")
        signature = request.headers.get(SIGNATURE_HEADER)
        timestamp = request.headers.get(TIMESTAMP_HEADER)
        problem = self._verifier.problem(body, signature, timestamp)
        if problem is not None:
            log.warning("refused an interaction request from %s: %s", request.remote, problem)
            return web.Response(status=401, text="invalid request signature")
        assert signature is not None
        assert timestamp is not None
        response = await self._bot.on_interaction(
            body, bytes.fromhex(signature), timestamp.encode("utf-8")
        )
        return await _to_aiohttp(response)


async def _to_aiohttp(response: interaction_server.Response) -> web.StreamResponse:
    if not response.files:
        return web.Response(
            status=response.status_code,
            headers=response.headers,
            body=response.payload,
            content_type=response.content_type,
            charset=response.charset,
        )
    multipart = aiohttp.MultipartWriter("form-data")
    if response.payload:
        part = multipart.append(response.payload, {"Content-Type": response.content_type or JSON})
        part.set_content_disposition("form-data", name="payload_json")
    for index, resource in enumerate(response.files):
        async with resource.stream() as reader:
            data = await reader.read()
            mimetype = reader.mimetype or "application/octet-stream"
        part = multipart.append(data, {"Content-Type": mimetype})
        part.set_content_disposition(
            "form-data", name=f"files[{index}]", filename=resource.filename
        )
    return web.Response(status=response.status_code, headers=response.headers, body=multipart)
