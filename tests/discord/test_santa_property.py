"""Property over every /santa command's options: random walks of commands with arbitrary values,
by members with and without Manage Server, always get a clear answer and never an unhandled error."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightbulb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.adapters.discord import DEFAULT_LOADERS
from app.adapters.discord.specs import loader_for_specs
from app.bootstrap import App, open_app
from app.commands.santa import santa_specs
from app.commands.spec import CommandSpec, OptionKind, OptionSpec
from tests.discord.conftest import HttpHarness
from tests.fakes.discord import MANAGE_GUILD, SEND_MESSAGES, USER, Opt

MEMBERS = (10, 11, 12, 13, 14)


def _placeholder(_: Any, __: Any) -> Any:
    raise AssertionError("specs are only inspected here, never run")


SPECS: list[CommandSpec] = santa_specs(_placeholder)  # type: ignore[arg-type]


def value_for(opt: OptionSpec) -> st.SearchStrategy[Any]:
    if opt.kind is OptionKind.STRING:
        text = st.text(st.characters(codec="utf-8"), max_size=(opt.max_length or 40) + 5)
        return st.sampled_from(opt.choices) | text if opt.choices else text
    if opt.kind is OptionKind.INTEGER:
        low = (opt.min_value if opt.min_value is not None else -(2**31)) - 3
        high = (opt.max_value if opt.max_value is not None else 2**31) + 3
        return st.integers(low, high)
    if opt.kind is OptionKind.BOOLEAN:
        return st.booleans()
    return st.sampled_from(MEMBERS).map(lambda m: Opt(USER, m))


@st.composite
def invocations(draw: st.DrawFn) -> tuple[CommandSpec, dict[str, Any], int, bool]:
    spec = draw(st.sampled_from(SPECS))
    values: dict[str, Any] = {}
    for opt in spec.options:
        if opt.required or draw(st.booleans()):
            values[opt.name] = draw(value_for(opt))
    return spec, values, draw(st.sampled_from(MEMBERS)), draw(st.booleans())


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async with open_app(
        tmp_path / "y.db", clock=lambda: datetime(2026, 11, 22, tzinfo=UTC), rng=random.Random(1)
    ) as opened:
        yield opened


@pytest.fixture
def loaders(app: App) -> Sequence[lightbulb.Loader]:
    return (*DEFAULT_LOADERS, loader_for_specs(santa_specs(app), {"santa": "Secret Santa"}))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(step=invocations())
async def test_any_command_with_any_options_gets_a_clear_answer(
    http: HttpHarness,
    caplog: pytest.LogCaptureFixture,
    step: tuple[CommandSpec, dict[str, Any], int, bool],
) -> None:
    spec, values, user, admin = step
    payload = http.command(
        spec.name,
        values,
        user_id=user,
        permissions=MANAGE_GUILD if admin else SEND_MESSAGES,
    )

    with caplog.at_level(logging.ERROR):
        status, _ = await http.post(payload)
        await http.fake.wait_for(lambda: payload["id"] in http.fake.callbacks)
        content, _ = await http.content_of(payload)

    assert status == 204
    assert content.strip()
    assert not content.startswith("Something went wrong")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], content
