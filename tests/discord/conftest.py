"""Shared pieces for the Discord adapter tests: the fake Discord, an injectable clock, harnesses
that run the real bot (either transport) against the fake and deliver interactions to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import lightbulb
import pytest

from app.adapters.discord import (
    DEFAULT_LOADERS,
    BotServices,
    GatewayRunner,
    ServeRunner,
)
from app.settings import Settings
from tests.fakes.discord import FakeDiscord, Signer, slash_command


class ManualClock:
    """A monotonic clock tests move by hand, so cooldowns need no sleeping.

    `broken`: when set, reading the clock raises it (an adapter-side failure on demand).
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.broken: Exception | None = None

    def __call__(self) -> float:
        if self.broken is not None:
            raise self.broken
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Virtual time: a sleep moves the clock at once (then yields, like a real sleep)."""
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
async def fake(signer: Signer) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(public_key_hex=signer.public_key_hex) as discord:
        yield discord


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def services(clock: ManualClock) -> BotServices:
    return BotServices(clock=clock)


def settings_for(fake: FakeDiscord, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_token": fake.token,
        "discord_public_key": fake.public_key_hex,
        "discord_api_url": fake.api_url,
        "interactions_host": "127.0.0.1",
        "interactions_port": 0,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class HttpHarness:
    """A started ServeRunner, and a way to POST signed interactions to it."""

    fake: FakeDiscord
    signer: Signer
    runner: ServeRunner
    port: int
    session: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def command(
        self, path: str, options: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        return slash_command(path, options, application_id=self.fake.application_id, **kw)

    async def post(
        self, payload: Any, *, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, bytes]:
        raw = body if body is not None else Signer.body(payload)
        sent_headers = headers if headers is not None else self.signer.headers(raw)
        async with self.session.post(self.url, data=raw, headers=sent_headers) as response:
            return response.status, await response.read()

    async def invoke(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """POST the interaction and return the callbacks the bot sent for it."""
        status, _ = await self.post(payload)
        assert status in (200, 204), status
        await self.fake.wait_for(lambda: payload["id"] in self.fake.callbacks)
        return self.fake.callbacks[payload["id"]]

    async def content_of(self, payload: dict[str, Any]) -> tuple[str, int]:
        """Invoke and return (content, flags) of the answer, following a deferral if needed."""
        callbacks = await self.invoke(payload)
        first = callbacks[0]
        if first["type"] == 5:
            token = payload["token"]
            await self.fake.wait_for(lambda: bool(self.fake.followups.get(token)))
            message = self.fake.followups[token][0]
            return message["content"], int(message.get("flags") or 0)
        return first["data"]["content"], int(first["data"].get("flags", 0))


@pytest.fixture
def loaders() -> Sequence[lightbulb.Loader]:
    return DEFAULT_LOADERS


@pytest.fixture
async def http(
    fake: FakeDiscord,
    signer: Signer,
    services: BotServices,
    loaders: Sequence[lightbulb.Loader],
) -> AsyncIterator[HttpHarness]:
    runner = ServeRunner(settings_for(fake), services, loaders)
    port = await runner.start()
    async with aiohttp.ClientSession() as session:
        yield HttpHarness(fake=fake, signer=signer, runner=runner, port=port, session=session)
    await runner.stop(drain_timeout=2.0)


@pytest.fixture
async def gateway(
    fake: FakeDiscord, services: BotServices, loaders: Sequence[lightbulb.Loader]
) -> AsyncIterator[GatewayRunner]:
    runner = GatewayRunner(settings_for(fake), services, loaders)
    await runner.start()
    yield runner
    await runner.stop(drain_timeout=2.0)
