"""Year-over-year Secret Santa history per server and per member: a fold over the whole log.

The state keeps each year's final giver→receiver map, so access goes through queries with a stated
audience: `guild_table` (anyone: counts and completion per year), `member_history` (a member: whom
they gave to and got from, closed seasons only, so a running season's Santa stays secret), and the
audit queries `has_ever_drawn` / `audit_pairs`, for the audit tooling only, never for members or
logs.
"""

from __future__ import annotations

from typing import Any

import msgspec

from app.domain import santa as s
from app.projections.santa import EventRecord


class YearRecord(msgspec.Struct, kw_only=True):
    year: int
    status: str = s.OPEN
    names: dict[int, str] = msgspec.field(default_factory=dict)
    participants: list[int] = msgspec.field(default_factory=list)
    pairs: dict[int, int] = msgspec.field(default_factory=dict)
    """giver → receiver, kept up to date through splices: the pairs that really exchanged gifts."""
    gifts_sent: list[int] = msgspec.field(default_factory=list)
    """givers who marked their gift as sent"""
    gifts_received: list[int] = msgspec.field(default_factory=list)
    """receivers who marked their gift as received"""
    ever_sent: list[int] = msgspec.field(default_factory=list)
    """members who marked a gift as sent at least once, splices notwithstanding (running-season
    counts in `guild_table`)"""
    ever_received: list[int] = msgspec.field(default_factory=list)


class GuildHistory(msgspec.Struct, kw_only=True):
    years: dict[int, YearRecord] = msgspec.field(default_factory=dict)


class HistoryState(msgspec.Struct, kw_only=True):
    guilds: dict[int, GuildHistory] = msgspec.field(default_factory=dict)


class SantaHistoryProjection:
    name = "santa.history.v2"
    state_type = HistoryState

    def initial(self) -> HistoryState:
        return HistoryState()

    def apply(self, state: HistoryState, rec: EventRecord) -> HistoryState:
        ev: Any = rec.event
        if not isinstance(ev, s.SantaEvent) or not hasattr(ev, "year"):
            return state
        years = state.guilds.setdefault(ev.guild_id, GuildHistory()).years
        if isinstance(ev, s.SeasonOpened):
            years[ev.year] = YearRecord(year=ev.year)
            return state
        record = years.get(ev.year)
        if record is None:
            return state
        if isinstance(ev, s.ParticipantJoined):
            record.names[ev.member_id] = ev.display_name
            record.participants.append(ev.member_id)
        elif isinstance(ev, s.ParticipantLeft):
            if ev.member_id in record.participants:
                record.participants.remove(ev.member_id)
            record.pairs.pop(ev.member_id, None)
        elif isinstance(ev, s.AssignmentsDrawn):
            record.pairs = dict(ev.assignments)
            record.status = s.DRAWN
        elif isinstance(ev, s.ParticipantSplicedOut | s.ParticipantSplicedIn):
            before = dict(record.pairs)
            if isinstance(ev, s.ParticipantSplicedOut):
                record.pairs.pop(ev.member_id, None)
            record.pairs.update(ev.reassigned)
            # the decider's rule: marks of a pair the splice dissolves are cleared
            givers, receivers = s.unmarked_by_splice(before, record.pairs)
            record.gifts_sent = [g for g in record.gifts_sent if g not in givers]
            record.gifts_received = [r for r in record.gifts_received if r not in receivers]
        elif isinstance(ev, s.GiftSent):
            if ev.giver_id not in record.gifts_sent:
                record.gifts_sent.append(ev.giver_id)
            if ev.giver_id not in record.ever_sent:
                record.ever_sent.append(ev.giver_id)
        elif isinstance(ev, s.GiftReceived):
            if ev.receiver_id not in record.gifts_received:
                record.gifts_received.append(ev.receiver_id)
            if ev.receiver_id not in record.ever_received:
                record.ever_received.append(ev.receiver_id)
        elif isinstance(ev, s.SeasonClosed):
            record.status = s.CLOSED
        return state


# --- queries --------------------------------------------------------------------------------------


class YearSummary(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    status: str
    participants: int
    drawn: bool
    gifts_sent: int
    gifts_received: int
    completion_rate: float | None
    """share of drawn pairs whose gift was marked received; None before the draw"""


class MemberYear(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    gave_to: int | None
    gave_to_name: str
    got_from: int | None
    got_from_name: str
    sent: bool
    received: bool


def completion_rate(record: YearRecord) -> float | None:
    if not record.pairs:
        return None
    received = sum(1 for receiver in record.pairs.values() if receiver in record.gifts_received)
    return received / len(record.pairs)


def _public_counts(record: YearRecord) -> tuple[int, int, float | None]:
    """(sent, received, completion) for `guild_table`.

    A closed season counts the final marks (a splice clears the marks of the pairs it dissolves).
    A running season counts everyone who has marked at least once instead: anyone can read this
    table, and a count that drops right after someone leaves would point at the leaver's Santa.
    """
    if record.status == s.CLOSED:
        return len(record.gifts_sent), len(record.gifts_received), completion_rate(record)
    # the union also covers years restored from a snapshot taken before `ever_*` existed
    ever_sent = set(record.ever_sent) | set(record.gifts_sent)
    ever_received = set(record.ever_received) | set(record.gifts_received)
    rate = None
    if record.pairs:
        rate = sum(1 for member in ever_received if member in record.pairs) / len(record.pairs)
    return len(ever_sent), len(ever_received), rate


def guild_table(state: HistoryState, guild_id: int) -> list[YearSummary]:
    """One row per season of the server, oldest first. Counts only: safe for anyone to see."""
    history = state.guilds.get(guild_id)
    if history is None:
        return []
    rows: list[YearSummary] = []
    for _, record in sorted(history.years.items()):
        sent, received, rate = _public_counts(record)
        rows.append(
            YearSummary(
                year=record.year,
                status=record.status,
                participants=len(record.participants),
                drawn=bool(record.pairs),
                gifts_sent=sent,
                gifts_received=received,
                completion_rate=rate,
            )
        )
    return rows


def member_history(
    state: HistoryState, guild_id: int, member_id: int, *, include_running: bool = False
) -> list[MemberYear]:
    """The member's own years, oldest first: whom they gave to and whom they got from.

    Seasons still running are left out unless `include_running` (audit only): their `got_from` is
    the member's current Santa, which is the secret.
    """
    history = state.guilds.get(guild_id)
    if history is None:
        return []
    rows: list[MemberYear] = []
    for year, record in sorted(history.years.items()):
        if record.status != s.CLOSED and not include_running:
            continue
        gave_to = record.pairs.get(member_id)
        got_from = next((g for g, r in record.pairs.items() if r == member_id), None)
        if gave_to is None and got_from is None and member_id not in record.participants:
            continue
        rows.append(
            MemberYear(
                year=year,
                gave_to=gave_to,
                gave_to_name=record.names.get(gave_to, "") if gave_to is not None else "",
                got_from=got_from,
                got_from_name=record.names.get(got_from, "") if got_from is not None else "",
                sent=member_id in record.gifts_sent,
                received=member_id in record.gifts_received,
            )
        )
    return rows


def has_ever_drawn(state: HistoryState, guild_id: int, giver: int, receiver: int) -> list[int]:
    """Audit only: the years in which `giver` was the Secret Santa of `receiver`."""
    history = state.guilds.get(guild_id)
    if history is None:
        return []
    return [y for y, record in sorted(history.years.items()) if record.pairs.get(giver) == receiver]


def audit_pairs(state: HistoryState, guild_id: int, year: int) -> dict[int, int]:
    """Audit only: the whole giver→receiver map of one year."""
    history = state.guilds.get(guild_id)
    record = history.years.get(year) if history is not None else None
    return dict(record.pairs) if record is not None else {}
