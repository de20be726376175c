"""A realistic multi-year, multi-server Secret Santa log, made by the real deciders.

Used by the tests (thousands of events) and by `bench/replay.py` (up to a million). Every event
comes from `app.domain.santa.decide` exactly as the bot's command path would produce it: commands
against the stream's current state, ids `uuid5(interaction id / index)`, the interaction id as
correlation id, appended with the loaded version as expected version. A simulated clock drives
`recorded_at` through the seasons (November sign-ups, December draw, messages and gifts, closing
before New Year), so `--at 2025-12-31T23:59:59` means "the end of 2025" in the generated log.

While generating, a live `ProjectionRunner` (with snapshots every `snapshot_every` events) follows
the log like the running bot does; at each year's end the generator records the log position and a
copy of the read models the live process had then. Those are what `state`/`restore` are checked
against.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from app.domain import santa
from app.domain.errors import DomainError, SingleLoopNotFound
from app.replaytool.wiring import app_projections, app_registry
from eventstore import EventStore, NewEvent, Projection, ProjectionRunner

NAMESPACE = uuid.UUID("8a6c1f0e-2f5b-4c1e-9d7a-5b3f2e1d0c9b")
_FIRST = ("Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kai", "Lu", "Mo")
_GIFTS = ("socks", "a book", "tea", "a mug", "chocolate", "a puzzle", "seeds", "a scarf", "vinyl")
_LINES = (
    "Any allergies I should know about?",
    "Do you prefer fiction or non-fiction?",
    "Thank you so much, I love it!",
    "Is a mug too boring?",
    "Big or small sizes?",
)


def _year_end(year: int) -> datetime:
    return datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class GenSpec:
    """How big a log to make. Roughly 45 events per participant-season at the defaults."""

    years: tuple[int, ...] = (2024, 2025, 2026)
    guilds: int = 4
    members_per_guild: int = 14
    messages_per_participant: float = 1.0
    snapshot_every: int | None = 500
    seed: int = 2024


@dataclass(slots=True)
class GeneratedLog:
    path: Path
    spec: GenSpec
    event_count: int = 0
    year_end_positions: dict[int, int] = field(default_factory=dict)
    year_end_models: dict[int, dict[str, Any]] = field(default_factory=dict)  # to_builtins form
    draws: dict[tuple[int, int], dict[int, int]] = field(default_factory=dict)  # final pairs
    gifts_sent: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    gifts_received: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    participants: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    guild_ids: list[int] = field(default_factory=list)


class _Guild:
    """One server: members, its stream state and version, events decided but not yet appended."""

    def __init__(self, guild_id: int, members: list[int], seed: int) -> None:
        self.guild_id = guild_id
        self.stream = santa.stream_id(guild_id)
        self.members = members
        self.organiser = members[0]
        self.rng = random.Random(seed)
        self.state = santa.initial_state()
        self.version = 0
        self.pending: list[NewEvent] = []
        self.interactions = 0

    def name(self, member: int) -> str:
        return f"{_FIRST[member % len(_FIRST)]} {member % 1000}"

    def run(self, command: santa.SantaCommand, now: datetime) -> list[Any]:
        """Decide and stage; a refused command records nothing (like a refused interaction)."""
        try:
            events = santa.decide(command, self.state, now=now, rng=self.rng)
        except DomainError:
            return []
        self.interactions += 1
        interaction = f"{self.guild_id}-{self.interactions}"
        for i, event in enumerate(events):
            self.pending.append(
                NewEvent(
                    event,
                    event_id=uuid.uuid5(NAMESPACE, f"{interaction}/{i}"),
                    correlation_id=interaction,
                )
            )
            self.state = santa.evolve(self.state, event)
        return list(events)

    async def flush(self, store: EventStore) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        await store.append(self.stream, batch, expected_version=self.version)
        self.version += len(batch)

    def due_messages(self) -> list[str]:
        return [
            message_id
            for season in self.state.seasons.values()
            for message_id, message in season.messages.items()
            if message.status == "due"
        ]


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2000, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def _flush_all(store: EventStore, guilds: Sequence[_Guild]) -> None:
    # Concurrent appends to different streams share the store's group commits.
    await asyncio.gather(*(g.flush(store) for g in guilds))


def _deliver(guild: _Guild, now: datetime) -> None:
    """The DM dispatcher: most messages arrive; a few fail (closed DMs) and alert the organiser."""
    for _ in range(3):  # failures add organiser alerts, whose outcomes come in the next round
        due = guild.due_messages()
        if not due:
            return
        for message_id in due:
            delivered = guild.rng.random() > 0.04
            guild.run(
                santa.RecordDeliveryOutcome(
                    guild_id=guild.guild_id,
                    actor_id=0,
                    message_id=message_id,
                    delivered=delivered,
                    reason="" if delivered else "Cannot send messages to this user",
                ),
                now,
            )


async def _season(
    store: EventStore, clock: _Clock, guilds: Sequence[_Guild], year: int, spec: GenSpec
) -> None:
    start = datetime(year, 11, 1, 9, 0, tzinfo=UTC)

    async def phase(day: int, hour: int = 12) -> datetime:
        clock.now = start + timedelta(days=day, hours=hour - 9)
        return clock.now

    now = await phase(0)
    for g in guilds:
        g.run(
            santa.OpenSeason(
                guild_id=g.guild_id,
                actor_id=g.organiser,
                actor_is_admin=True,
                year=year,
                budget=f"{g.rng.choice((10, 15, 20, 25))} EUR",
                signup_deadline=datetime(year, 11, 30, tzinfo=UTC),
                gift_deadline=datetime(year, 12, 20, tzinfo=UTC),
                actor_name=g.name(g.organiser),
                single_loop=g.rng.random() < 0.5,
            ),
            now,
        )
    await _flush_all(store, guilds)

    now = await phase(5)
    joined: dict[int, list[int]] = {}
    for g in guilds:
        k = max(3, int(len(g.members) * g.rng.uniform(0.6, 1.0)))
        people = sorted([*g.rng.sample(g.members[1:], k - 1), g.organiser])
        joined[g.guild_id] = people
        for m in people:
            wish = ", ".join(g.rng.sample(_GIFTS, 2))
            g.run(
                santa.JoinSeason(
                    guild_id=g.guild_id, actor_id=m, display_name=g.name(m), wishlist=wish
                ),
                now,
            )
    await _flush_all(store, guilds)

    now = await phase(12)
    for g in guilds:
        people = joined[g.guild_id]
        for m in g.rng.sample(people, max(1, len(people) // 4)):
            g.run(
                santa.UpdateWishlist(
                    guild_id=g.guild_id, actor_id=m, wishlist=", ".join(g.rng.sample(_GIFTS, 3))
                ),
                now,
            )
        a, b = g.rng.sample(people, 2)
        g.run(
            santa.AddExclusion(
                guild_id=g.guild_id,
                actor_id=a,
                giver_id=a,
                receiver_id=b,
                two_way=g.rng.random() < 0.5,
            ),
            now,
        )
    await _flush_all(store, guilds)

    now = await phase(30)  # December 1st: the draw, and its notices go out
    for g in guilds:
        draw = santa.DrawAssignments(guild_id=g.guild_id, actor_id=g.organiser, actor_is_admin=True)
        try:
            santa.decide(draw, g.state, now=now, rng=random.Random(0))
        except SingleLoopNotFound:
            draw = santa.DrawAssignments(
                guild_id=g.guild_id, actor_id=g.organiser, actor_is_admin=True, any_valid=True
            )
        except DomainError:
            pass
        g.run(draw, now)
        _deliver(g, now)
    await _flush_all(store, guilds)

    now = await phase(33)
    for g in guilds:
        people = joined[g.guild_id]
        if len(people) > 4 and g.rng.random() < 0.3:  # someone drops out after the draw
            leaver = g.rng.choice(people[1:])
            g.run(santa.LeaveSeason(guild_id=g.guild_id, actor_id=leaver), now)
        for m in people:
            budget = spec.messages_per_participant
            count = int(budget) + (1 if g.rng.random() < budget - int(budget) else 0)
            for _ in range(count):
                g.run(
                    santa.SendAnonymousMessage(
                        guild_id=g.guild_id,
                        actor_id=m,
                        to=g.rng.choice(("giftee", "santa")),
                        text=g.rng.choice(_LINES),
                    ),
                    now,
                )
        _deliver(g, now)
    await _flush_all(store, guilds)

    now = await phase(45)
    for g in guilds:
        for m in joined[g.guild_id]:
            if g.rng.random() < 0.9:
                g.run(santa.MarkGiftSent(guild_id=g.guild_id, actor_id=m), now)
    await _flush_all(store, guilds)
    now = await phase(52)
    for g in guilds:
        for m in joined[g.guild_id]:
            if g.rng.random() < 0.85:
                g.run(santa.MarkGiftReceived(guild_id=g.guild_id, actor_id=m), now)
    await _flush_all(store, guilds)

    now = await phase(57)  # December 27th
    for g in guilds:
        g.run(
            santa.CloseSeason(guild_id=g.guild_id, actor_id=g.organiser, actor_is_admin=True), now
        )
    await _flush_all(store, guilds)


def _copy_models(states: dict[str, Any]) -> dict[str, Any]:
    return {name: msgspec.to_builtins(state) for name, state in states.items()}


async def generate_log(
    path: Path, spec: GenSpec = GenSpec(), projections: Sequence[Projection[Any]] | None = None
) -> GeneratedLog:
    """Write a new log at `path` (must not exist) and return what the live process saw."""
    if await asyncio.to_thread(path.exists):
        raise FileExistsError(path)
    rng = random.Random(spec.seed)
    guild_ids = sorted(rng.sample(range(10**17, 10**18), spec.guilds))
    guilds = [
        _Guild(
            gid,
            sorted(rng.sample(range(10**17, 10**18), spec.members_per_guild)),
            rng.randrange(2**32),
        )
        for gid in guild_ids
    ]
    result = GeneratedLog(path=path, spec=spec, guild_ids=guild_ids)
    clock = _Clock()
    models = list(projections) if projections is not None else app_projections()
    async with EventStore(path, registry=app_registry(), clock=clock) as store:
        runner = ProjectionRunner(store, models, snapshot_every=spec.snapshot_every)
        await runner.start()
        try:
            for year in spec.years:
                await _season(store, clock, guilds, year, spec)
                head = await store.head_position()
                await runner.wait_for(head)
                clock.now = _year_end(year)
                result.year_end_positions[year] = head
                result.year_end_models[year] = _copy_models(runner.states)
                for g in guilds:
                    season = g.state.seasons.get(year)
                    if season is None:
                        continue
                    key = (g.guild_id, year)
                    result.draws[key] = dict(season.assignments)
                    result.gifts_sent[key] = set(season.gifts_sent)
                    result.gifts_received[key] = set(season.gifts_received)
                    result.participants[key] = set(season.participants)
            result.event_count = await store.head_position()
        finally:
            await runner.stop()
    await asyncio.to_thread(_fold_wal, path)
    return result


def _fold_wal(path: Path) -> None:
    """Leave one self-contained file (nothing in a `-wal` beside it), so tests and benchmarks can
    copy the log as a single file whatever connection happened to close last."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
