"""Property: whatever option values arrive, the user gets one clear answer and nothing crashes."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import lightbulb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.adapters.discord import DEFAULT_LOADERS
from tests.discord import probe_commands
from tests.discord.conftest import HttpHarness
from tests.discord.probe_commands import ProbeBackend

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Discord never sends lone surrogates (its JSON is UTF-8); everything else is fair game.
texts = st.text(st.characters(codec="utf-8"), max_size=40)
big_ints = st.integers(min_value=-(2**53), max_value=2**53)


@pytest.fixture
def backend() -> ProbeBackend:
    return ProbeBackend()


@pytest.fixture
def loaders(backend: ProbeBackend) -> Sequence[lightbulb.Loader]:
    return (*DEFAULT_LOADERS, probe_commands.probe_loader(backend))


def assert_one_clear_answer(content: str, flags: int) -> None:
    assert content.strip()
    assert content.endswith((".", ")")) or content.startswith("done: ")
    assert flags & 64


@PROPERTY
@given(text=texts, count=st.none() | big_ints, user_id=st.integers(1, 2**62))
async def test_echo_always_answers_clearly(
    http: HttpHarness,
    backend: ProbeBackend,
    caplog: pytest.LogCaptureFixture,
    text: str,
    count: int | None,
    user_id: int,
) -> None:
    options: dict[str, object] = {"wishlist": text}
    if count is not None:
        options["count"] = count
    before = len(backend.calls)

    with caplog.at_level(logging.ERROR):
        content, flags = await http.content_of(http.command("probe echo", options, user_id=user_id))

    assert_one_clear_answer(content, flags)
    valid = len(text) <= probe_commands.WISHLIST_LIMIT and (count is None or 1 <= count <= 5)
    assert (len(backend.calls) == before + 1) is valid
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@PROPERTY
@given(permissions=st.integers(0, 2**41), guild=st.booleans(), user_id=st.integers(1, 2**62))
async def test_health_always_answers_clearly(
    http: HttpHarness, permissions: int, guild: bool, user_id: int
) -> None:
    payload = http.command(
        "admin health",
        permissions=permissions,
        user_id=user_id,
        guild_id=290926798626357999 if guild else None,
    )

    content, flags = await http.content_of(payload)

    assert_one_clear_answer(content, flags)
