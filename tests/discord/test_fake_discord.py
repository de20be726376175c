"""The fake itself: it must behave like Discord where the bot's correctness depends on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.discord.conftest import ManualClock
from tests.fakes.discord import FakeDiscord


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def discord(clock: ManualClock) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(nonce_ttl=120.0, clock=clock) as fake:
        yield fake


async def post(
    fake: FakeDiscord, path: str, body: dict[str, Any], *, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {token or fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake.api_url + path, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_the_same_enforced_nonce_returns_the_first_message_and_posts_once(
    discord: FakeDiscord,
) -> None:
    body = {"content": "hi", "nonce": "n1", "enforce_nonce": True}

    first = await post(discord, "/channels/5/messages", body)
    second = await post(discord, "/channels/5/messages", body)

    assert first == second
    assert len(discord.messages[5]) == 1


async def test_a_nonce_without_enforce_nonce_does_not_deduplicate(discord: FakeDiscord) -> None:
    for _ in range(2):
        await post(discord, "/channels/5/messages", {"content": "hi", "nonce": "n1"})

    assert len(discord.messages[5]) == 2


async def test_a_nonce_is_forgotten_after_its_window(
    discord: FakeDiscord, clock: ManualClock
) -> None:
    body = {"content": "hi", "nonce": "n1", "enforce_nonce": True}

    await post(discord, "/channels/5/messages", body)
    clock.advance(121.0)
    await post(discord, "/channels/5/messages", body)

    assert len(discord.messages[5]) == 2


async def test_forgotten_nonces_post_again(discord: FakeDiscord) -> None:
    body = {"content": "hi", "nonce": "n1", "enforce_nonce": True}

    await post(discord, "/channels/5/messages", body)
    discord.forget_nonces()
    await post(discord, "/channels/5/messages", body)

    assert len(discord.messages[5]) == 2


async def get(fake: FakeDiscord, path: str, **query: str) -> tuple[int, Any]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(fake.api_url + path, params=query, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_channel_history_is_newest_first_and_pages_like_discord(
    discord: FakeDiscord,
) -> None:
    for n in range(5):
        await post(discord, "/channels/5/messages", {"content": f"m{n}"})
    ids = [m["id"] for m in discord.messages[5]]

    _, default = await get(discord, "/channels/5/messages")
    _, newest = await get(discord, "/channels/5/messages", limit="2")
    _, before = await get(discord, "/channels/5/messages", limit="2", before=ids[3])
    _, after = await get(discord, "/channels/5/messages", limit="2", after=ids[1])
    _, empty = await get(discord, "/channels/6/messages")

    assert [m["content"] for m in default] == ["m4", "m3", "m2", "m1", "m0"]
    assert [m["content"] for m in newest] == ["m4", "m3"]
    assert [m["content"] for m in before] == ["m2", "m1"]
    assert [m["content"] for m in after] == ["m3", "m2"]  # the oldest after it, newest first
    assert empty == []


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"before": "1", "after": "2"}])
async def test_channel_history_refuses_what_discord_refuses(
    discord: FakeDiscord, query: dict[str, str]
) -> None:
    status, error = await get(discord, "/channels/5/messages", **query)

    assert status == 400
    assert error["code"] == 50035


async def test_content_over_2000_characters_is_refused(discord: FakeDiscord) -> None:
    ok, _ = await post(discord, "/channels/5/messages", {"content": "x" * 2000})
    status, error = await post(discord, "/channels/5/messages", {"content": "x" * 2001})

    assert (ok, status, error["code"]) == (200, 400, 50035)
    assert len(discord.messages[5]) == 1


async def test_a_lost_answer_still_creates_the_message(discord: FakeDiscord) -> None:
    discord.lose_answer["POST channels"] = [500, None]

    status, _ = await post(discord, "/channels/5/messages", {"content": "a"})
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(discord, "/channels/5/messages", {"content": "b"})
    third, _ = await post(discord, "/channels/5/messages", {"content": "c"})

    assert (status, third) == (500, 200)
    assert [m["content"] for m in discord.messages[5]] == ["a", "b", "c"]


async def test_the_bot_user_reads_itself(discord: FakeDiscord) -> None:
    status, me = await get(discord, "/users/@me")

    assert status == 200
    assert me["id"] == str(discord.bot_id)
    assert me["bot"] is True
    assert "mfa_enabled" in me


async def test_closed_dms_answer_403_with_code_50007(discord: FakeDiscord) -> None:
    discord.closed_dms.add(42)
    _, channel = await post(discord, "/users/@me/channels", {"recipient_id": "42"})

    status, error = await post(discord, f"/channels/{channel['id']}/messages", {"content": "x"})

    assert status == 403
    assert error["code"] == 50007


async def test_a_wrong_token_is_unauthorized(discord: FakeDiscord) -> None:
    status, error = await post(discord, "/channels/5/messages", {"content": "x"}, token="nope")

    assert status == 401
    assert discord.messages == {}
    assert error["message"] == "401: Unauthorized"


async def test_an_interaction_is_acknowledged_once(discord: FakeDiscord) -> None:
    body = {"type": 4, "data": {"content": "a"}}

    first, _ = await post_no_json(discord, "/interactions/1/tok/callback", body)
    second, error = await post(discord, "/interactions/1/tok/callback", body)

    assert first == 204
    assert second == 400
    assert error["code"] == 40060


async def test_an_unknown_route_is_a_discord_shaped_404(discord: FakeDiscord) -> None:
    status, error = await post(discord, "/guilds/1/bans", {})

    assert status == 404
    assert set(error) == {"code", "message"}


async def post_no_json(fake: FakeDiscord, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake.api_url + path, json=body) as response,
    ):
        return response.status, await response.read()
