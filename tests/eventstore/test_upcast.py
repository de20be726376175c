"""Schema evolution: a real v1 -> v2 change of an event, upcast on every read, never rewritten."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from eventstore import ANY, EventRegistry, EventStore, UpcastError, rebuild
from eventstore.records import RecordedEvent
from tests.eventstore.conftest import collect


class GiftPledgedV1(msgspec.Struct, frozen=True, kw_only=True):
    """v1: a single free-text 'gift' and a budget in whole euros."""

    giver: str
    gift: str
    budget_eur: int


class GiftPledged(msgspec.Struct, frozen=True, kw_only=True):
    """v2: the gift split into title + optional link, the budget in cents with a currency."""

    giver: str
    title: str
    link: str | None = None
    budget_cents: int
    currency: str


def v1_registry() -> EventRegistry:
    r = EventRegistry()
    r.register(GiftPledgedV1, name="santa.GiftPledged", version=1)
    return r


def v2_registry() -> EventRegistry:
    r = EventRegistry()
    r.register(GiftPledged, name="santa.GiftPledged", version=2)

    @r.upcaster("santa.GiftPledged", from_version=1)
    def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        title, _, link = data.pop("gift").partition(" http")
        data["title"] = title.strip()
        data["link"] = "http" + link if link else None
        data["budget_cents"] = data.pop("budget_eur") * 100
        data["currency"] = "EUR"
        return data

    return r


class Budgets:
    name = "budgets"
    state_type = dict[str, int]

    def initial(self) -> dict[str, int]:
        return {}

    def apply(self, state: dict[str, int], rec: RecordedEvent) -> dict[str, int]:
        if isinstance(rec.event, GiftPledged):
            state[rec.event.giver] = state.get(rec.event.giver, 0) + rec.event.budget_cents
        return state


async def test_v1_events_are_upcast_on_replay(db_path: str) -> None:
    async with EventStore(db_path, v1_registry()) as s:
        await s.append(
            "santa/1",
            [
                GiftPledgedV1(giver="ann", gift="socks", budget_eur=10),
                GiftPledgedV1(giver="bob", gift="book https://example.org/b", budget_eur=25),
            ],
            expected_version=0,
        )
    async with EventStore(db_path, v2_registry()) as s:
        await s.append(
            "santa/1",
            [GiftPledged(giver="ann", title="tea", budget_cents=550, currency="EUR")],
            expected_version=2,
        )
        recs = await collect(s.read_all())
        assert [r.schema_version for r in recs] == [1, 1, 2]
        assert (
            recs[0].data == b'{"giver":"ann","gift":"socks","budget_eur":10}'
        )  # stored as written
        assert [r.event for r in recs] == [
            GiftPledged(giver="ann", title="socks", budget_cents=1000, currency="EUR"),
            GiftPledged(
                giver="bob",
                title="book",
                link="https://example.org/b",
                budget_cents=2500,
                currency="EUR",
            ),
            GiftPledged(giver="ann", title="tea", budget_cents=550, currency="EUR"),
        ]
        states = await rebuild(s, [Budgets()])
        assert states["budgets"] == {"ann": 1550, "bob": 2500}
        assert (await s.verify()).ok  # upcasting never touches stored bytes


async def test_missing_upcaster_is_an_error_not_a_silent_none(db_path: str) -> None:
    async with EventStore(db_path, v1_registry()) as s:
        await s.append(
            "x", [GiftPledgedV1(giver="a", gift="g", budget_eur=1)], expected_version=ANY
        )
    bare = EventRegistry()
    bare.register(GiftPledged, name="santa.GiftPledged", version=2)
    async with EventStore(db_path, bare) as s:
        with pytest.raises(UpcastError, match="no upcaster"):
            await collect(s.read_all())


async def test_data_newer_than_the_code_is_refused(db_path: str) -> None:
    async with EventStore(db_path, v2_registry()) as s:
        await s.append(
            "x",
            [GiftPledged(giver="a", title="t", budget_cents=1, currency="EUR")],
            expected_version=ANY,
        )
    async with EventStore(db_path, v1_registry()) as s:
        with pytest.raises(UpcastError, match="newer"):
            await collect(s.read_all())


async def test_upcaster_producing_the_wrong_shape_is_reported(db_path: str) -> None:
    async with EventStore(db_path, v1_registry()) as s:
        await s.append(
            "x", [GiftPledgedV1(giver="a", gift="g", budget_eur=1)], expected_version=ANY
        )
    broken = EventRegistry()
    broken.register(GiftPledged, name="santa.GiftPledged", version=2)
    broken.upcaster("santa.GiftPledged", from_version=1)(lambda d: d)
    async with EventStore(db_path, broken) as s:
        with pytest.raises(UpcastError, match="does not fit"):
            await collect(s.read_all())


def test_registry_refuses_ambiguous_registrations() -> None:
    r = EventRegistry()
    r.register(GiftPledged, name="santa.GiftPledged", version=2)
    with pytest.raises(ValueError, match="already registered"):
        r.register(GiftPledgedV1, name="santa.GiftPledged", version=1)
    with pytest.raises(ValueError, match="already registered"):
        r.register(GiftPledged, name="other", version=2)
    r.upcaster("santa.GiftPledged", from_version=1)(lambda d: d)
    with pytest.raises(ValueError, match="already exists"):
        r.upcaster("santa.GiftPledged", from_version=1)(lambda d: d)
    with pytest.raises(TypeError):
        r.register(dict, name="nope")  # type: ignore[type-var]
    assert r.type_of(GiftPledged) == ("santa.GiftPledged", 2)
    assert "santa.GiftPledged" in r
    assert GiftPledged in r
    assert r.class_of("santa.GiftPledged") is GiftPledged
    assert r.current_version("missing") is None
