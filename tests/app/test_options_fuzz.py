"""Hypothesis over every command's options: whatever arrives, the reply is one clear sentence."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.bootstrap import App, open_app
from app.commands.registry import all_specs
from app.commands.run import UNEXPECTED, invoke
from app.commands.spec import CommandSpec, Invocation, OptionKind

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

ANY_VALUE = st.one_of(
    st.text(max_size=50),
    st.text(min_size=1990, max_size=2100),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True),
)


def typed_value(kind: OptionKind) -> st.SearchStrategy[Any]:
    if kind is OptionKind.STRING:
        return st.one_of(st.text(), st.sampled_from(["giftee", "santa", "2026-12-24", ""]))
    if kind is OptionKind.BOOLEAN:
        return st.booleans()
    if kind is OptionKind.INTEGER:
        return st.one_of(st.integers(1990, 2110), st.integers(-(2**63), 2**64))
    return st.one_of(st.integers(1, 8), st.integers(-5, 2**65))


@st.composite
def calls(
    draw: st.DrawFn, specs: list[CommandSpec]
) -> tuple[CommandSpec, Invocation, dict[str, Any]]:
    spec = draw(st.sampled_from(specs))
    values: dict[str, Any] = {}
    for opt in spec.options:
        choice = draw(st.integers(0, 3))
        if choice == 0:
            continue
        values[opt.name] = draw(typed_value(opt.kind) if choice < 3 else ANY_VALUE)
    if draw(st.booleans()):
        values[draw(st.text(min_size=1, max_size=10))] = draw(ANY_VALUE)
    user = draw(st.integers(1, 8))
    inv = Invocation(
        guild_id=draw(st.sampled_from([1, 2])),
        channel_id=1,
        user_id=user,
        user_name=draw(st.text(max_size=120)),
        is_admin=draw(st.booleans()),
        interaction_id=f"fuzz-{draw(st.integers(0, 2**60))}",
    )
    return spec, inv, values


@pytest.fixture(scope="module")
def db_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture
async def app(db_dir: Path) -> AsyncIterator[App]:
    async with open_app(db_dir / "y.db", clock=lambda: NOW, rng=random.Random(3)) as a:
        yield a


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_every_command_answers_clearly(app: App, data: st.DataObject) -> None:
    specs = all_specs(app)
    spec, inv, values = data.draw(calls(specs))
    reply = await invoke(spec, inv, values)
    assert reply.text
    assert reply.text != UNEXPECTED.format(reference=inv.interaction_id), (spec.name, values)
    assert len(reply.text) <= 2000
