"""The fake gateway itself, driven by a bare websocket client: sessions, sequence numbers, RESUME
and its refusals, as Discord documents them (developers/events/gateway.mdx: Resuming,
Disconnecting; close codes 4007 and 4009 end a session, a client's 1000/1001 ends it too)."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.server import GATEWAY_PATH, RESUME_PATH

QUERY = "?v=10&encoding=json&compress=zlib-stream"


class Client:
    """A minimal gateway client: JSON out, zlib-stream frames in."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._inflate = zlib.decompressobj()

    async def send(self, op: int, d: Any) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": d}))

    async def receive(self) -> dict[str, Any]:
        """The next frame; a close from the fake reads as `{"close": code}`."""
        message = await asyncio.wait_for(self.ws.receive(), timeout=5)
        if message.type is aiohttp.WSMsgType.BINARY:
            frame: dict[str, Any] = json.loads(self._inflate.decompress(message.data))
            return frame
        return {"close": message.data}

    async def identify(self, token: str) -> dict[str, Any]:
        """HELLO, IDENTIFY, READY: returns READY's frame."""
        assert (await self.receive())["op"] == 10
        await self.send(2, {"token": token, "intents": 1, "properties": {}})
        return await self.receive()

    async def resume(self, token: str, session_id: str, seq: int) -> list[dict[str, Any]]:
        """HELLO, RESUME: returns every frame up to RESUMED, op 9 or a close, inclusive."""
        assert (await self.receive())["op"] == 10
        await self.send(6, {"token": token, "session_id": session_id, "seq": seq})
        frames = [await self.receive()]
        while frames[-1].get("t") != "RESUMED" and frames[-1].get("op") == 0:
            frames.append(await self.receive())
        return frames


@asynccontextmanager
async def connect(url: str) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as http, http.ws_connect(url + QUERY) as ws:
        yield Client(ws)


async def test_ready_names_the_session_and_the_url_to_resume_it_on(fake: FakeDiscord) -> None:
    async with connect(fake.gateway_url) as client:
        ready = await client.identify(fake.token)

    assert ready["t"] == "READY"
    assert ready["s"] == 1
    assert ready["d"]["session_id"] in fake.sessions
    assert ready["d"]["resume_gateway_url"] == fake.resume_gateway_url
    assert fake.resume_gateway_url.endswith(RESUME_PATH)


async def test_a_resume_replays_what_was_missed_then_says_resumed(fake: FakeDiscord) -> None:
    async with connect(fake.gateway_url) as client:
        session_id = (await client.identify(fake.token))["d"]["session_id"]
        await fake.dispatch("MESSAGE_CREATE", {"n": 1})
        seen = await client.receive()
        await client.ws.close(code=3000)  # not 1000/1001: the session stays resumable
    await fake.wait_for(lambda: fake.sessions[session_id].connection is None)
    await fake.dispatch("MESSAGE_CREATE", {"n": 2})
    await fake.dispatch("MESSAGE_CREATE", {"n": 3})

    async with connect(fake.resume_gateway_url) as client:
        frames = await client.resume(fake.token, session_id, seen["s"])
        await fake.dispatch("MESSAGE_CREATE", {"n": 4})
        live = await client.receive()

    assert seen == {"op": 0, "t": "MESSAGE_CREATE", "s": 2, "d": {"n": 1}}
    assert [(f["t"], f["s"], f["d"]) for f in frames] == [
        ("MESSAGE_CREATE", 3, {"n": 2}),
        ("MESSAGE_CREATE", 4, {"n": 3}),
        ("RESUMED", 5, {}),
    ]
    assert (live["s"], live["d"]) == (6, {"n": 4})
    assert [c.path for c in fake.connections] == [GATEWAY_PATH, RESUME_PATH]


async def test_a_dropped_socket_keeps_the_session_and_queues_dispatches(
    fake: FakeDiscord,
) -> None:
    async with connect(fake.gateway_url) as client:
        session_id = (await client.identify(fake.token))["d"]["session_id"]
        await fake.drop_connections()
        await fake.dispatch("MESSAGE_CREATE", {"n": 1})

        async with connect(fake.resume_gateway_url) as again:
            frames = await again.resume(fake.token, session_id, 1)

    assert [f["t"] for f in frames] == ["MESSAGE_CREATE", "RESUMED"]
    assert fake.connections[0].close_code is None  # the bot never closed it: the fake dropped it


async def test_resuming_an_unknown_session_is_refused_with_op9_false(fake: FakeDiscord) -> None:
    async with connect(fake.resume_gateway_url) as client:
        frames = await client.resume(fake.token, "no-such-session", 1)

    assert frames == [{"op": 9, "d": False}]


async def test_a_session_the_client_closed_with_1000_cannot_be_resumed(fake: FakeDiscord) -> None:
    async with connect(fake.gateway_url) as client:
        session_id = (await client.identify(fake.token))["d"]["session_id"]
        await client.ws.close(code=1000)
    await fake.wait_for(lambda: fake.sessions[session_id].ended)
    await fake.dispatch("MESSAGE_CREATE", {"n": 1})

    async with connect(fake.resume_gateway_url) as client:
        frames = await client.resume(fake.token, session_id, 1)

    assert frames == [{"op": 9, "d": False}]
    assert fake.sessions[session_id].dispatches == []  # an ended session queues nothing


async def test_a_session_timed_out_close_ends_the_session(fake: FakeDiscord) -> None:
    async with connect(fake.gateway_url) as client:
        session_id = (await client.identify(fake.token))["d"]["session_id"]
        closing = asyncio.create_task(fake.drop_connections(4009))
        closed = await client.receive()
        await closing

    async with connect(fake.resume_gateway_url) as client:
        frames = await client.resume(fake.token, session_id, 1)

    assert closed == {"close": 4009}
    assert frames == [{"op": 9, "d": False}]


async def test_a_seq_the_session_never_reached_closes_with_4007(fake: FakeDiscord) -> None:
    async with connect(fake.gateway_url) as client:
        session_id = (await client.identify(fake.token))["d"]["session_id"]
        await client.ws.close(code=3000)
    await fake.wait_for(lambda: fake.sessions[session_id].connection is None)

    async with connect(fake.resume_gateway_url) as client:
        frames = await client.resume(fake.token, session_id, 99)

    assert frames == [{"close": 4007}]
    assert fake.sessions[session_id].ended


async def test_reconnect_and_invalid_session_go_to_every_live_connection(
    fake: FakeDiscord,
) -> None:
    async with connect(fake.gateway_url) as client:
        session_id = (await client.identify(fake.token))["d"]["session_id"]
        await fake.send_reconnect()
        reconnect = await client.receive()
        await fake.invalidate_sessions(resumable=True)
        resumable = await client.receive()
        still_valid = not fake.sessions[session_id].ended
        await fake.invalidate_sessions(resumable=False)
        not_resumable = await client.receive()

    assert reconnect == {"op": 7, "d": None}
    assert resumable == {"op": 9, "d": True}
    assert still_valid
    assert not_resumable == {"op": 9, "d": False}
    assert fake.sessions[session_id].ended
