"""Given/when/then helpers: events in, command, events or refusal out. Everything deterministic."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import msgspec

from app.domain import santa as s

GUILD = 4242
ORGANISER = 1
ADMIN = 99
OUTSIDER = 777
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NAMES = {1: "Org", 2: "Ann", 3: "Bob", 4: "Cy", 5: "Dee", 6: "Eve", 7: "Fay", 8: "Gus", 9: "Hal"}


def name(member: int) -> str:
    return NAMES.get(member, f"M{member}")


def opened(year: int = 2026, *, single_loop: bool = False, avoid: int = 3) -> s.SeasonOpened:
    return s.SeasonOpened(
        guild_id=GUILD,
        year=year,
        organiser_id=ORGANISER,
        organiser_name=name(ORGANISER),
        budget="20 EUR",
        signup_deadline=datetime(year, 12, 1, tzinfo=UTC),
        gift_deadline=datetime(year, 12, 20, tzinfo=UTC),
        single_loop=single_loop,
        avoid_past_years=avoid,
    )


def joined(member: int, year: int = 2026, wishlist: str = "") -> s.ParticipantJoined:
    return s.ParticipantJoined(
        guild_id=GUILD, year=year, member_id=member, display_name=name(member), wishlist=wishlist
    )


def drawn(
    assignments: dict[int, int], year: int = 2026, *, loop: bool = False
) -> s.AssignmentsDrawn:
    return s.AssignmentsDrawn(
        guild_id=GUILD,
        year=year,
        assignments=assignments,
        algorithm="given",
        single_loop=loop,
        relaxed_years=[],
        repeated_pairs=[],
        drawn_by=ORGANISER,
    )


def excluded(
    giver: int, receiver: int, two_way: bool = False, year: int = 2026
) -> s.ExclusionAdded:
    return s.ExclusionAdded(
        guild_id=GUILD, year=year, giver_id=giver, receiver_id=receiver, two_way=two_way
    )


def season_with(*members: int, year: int = 2026, single_loop: bool = False) -> list[s.SantaEvent]:
    return [opened(year, single_loop=single_loop), *(joined(m, year) for m in members)]


def cmd(kind: type[Any], actor: int = ORGANISER, **fields: Any) -> Any:
    return kind(guild_id=GUILD, actor_id=actor, actor_is_admin=(actor == ADMIN), **fields)


def open_cmd(year: int = 2026, actor: int = ORGANISER, **fields: Any) -> s.OpenSeason:
    values: dict[str, Any] = {
        "year": year,
        "budget": "20 EUR",
        "signup_deadline": datetime(year, 12, 1, tzinfo=UTC),
        "gift_deadline": datetime(year, 12, 20, tzinfo=UTC),
        "actor_name": name(actor),
    }
    values.update(fields)
    return cmd(s.OpenSeason, actor, **values)  # type: ignore[no-any-return]


def when(given: list[s.SantaEvent], command: Any, seed: int = 0) -> list[s.SantaEvent]:
    state = s.fold(list(given))
    before = msgspec.json.encode(_snapshot(state))
    events = s.decide(command, state, now=NOW, rng=random.Random(seed))
    assert msgspec.json.encode(_snapshot(state)) == before, "decide must not modify the state"
    return events


def _snapshot(state: s.SantaState) -> Any:
    return repr(state)


def of_type(events: list[s.SantaEvent], kind: type[Any]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


class Scenario:
    """Runs commands one after another like the command path would: decide, then evolve, keep the
    log."""

    def __init__(self, seed: int = 0) -> None:
        self.state = s.initial_state()
        self.log: list[s.SantaEvent] = []
        self.rng = random.Random(seed)

    def do(self, command: Any) -> list[s.SantaEvent]:
        events = s.decide(command, self.state, now=NOW, rng=self.rng)
        for event in events:
            self.state = s.evolve(self.state, event)
        self.log.extend(events)
        return events

    def given(self, *events: s.SantaEvent) -> Scenario:
        for event in events:
            self.state = s.evolve(self.state, event)
        self.log.extend(events)
        return self


class Rec(msgspec.Struct, frozen=True, kw_only=True):
    """The attributes of the store's RecordedEvent that projections read."""

    position: int
    stream_id: str
    recorded_at: datetime
    event: Any


def records(events: list[Any], start: int = 1) -> list[Rec]:
    return [
        Rec(position=start + i, stream_id=s.stream_id(GUILD), recorded_at=NOW, event=event)
        for i, event in enumerate(events)
    ]


def project(projection: Any, events: list[Any]) -> Any:
    """Fold `events`, checking that a snapshot taken halfway resumes to the same state."""
    recs = records(events)
    state = projection.initial()
    half = len(recs) // 2
    for rec in recs[:half]:
        state = projection.apply(state, rec)
    snapshot = msgspec.json.encode(state)
    state = msgspec.json.decode(snapshot, type=projection.state_type)
    for rec in recs[half:]:
        state = projection.apply(state, rec)
    straight = projection.initial()
    for rec in recs:
        straight = projection.apply(straight, rec)
    assert msgspec.json.encode(state) == msgspec.json.encode(straight)
    return state
