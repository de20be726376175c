"""Year-over-year Secret Santa history: a read model (a fold over `santa.*` events) and its rows.

It keeps, per server and year, who took part, the final giver→receiver map (after any splices) and
the gift marks. It shows pairs, so only the admin tool renders it. State is msgspec Structs so the
projection runner can snapshot it and `state --at` can start from a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from eventstore import RecordedEvent

HISTORY_PROJECTION = "admin.santa_history.v1"


class YearRecord(msgspec.Struct, kw_only=True):
    year: int
    status: str = "open"
    organiser_id: int = 0
    participants: dict[int, str] = {}
    gave_to: dict[int, int] = {}
    sent: list[int] = []
    received: list[int] = []


class GuildHistory(msgspec.Struct, kw_only=True):
    guild_id: int
    years: dict[int, YearRecord] = {}


class HistoryState(msgspec.Struct, kw_only=True):
    guilds: dict[int, GuildHistory] = {}

    def year(self, guild_id: int, year: int) -> YearRecord:
        guild = self.guilds.get(guild_id)
        if guild is None:
            guild = self.guilds[guild_id] = GuildHistory(guild_id=guild_id)
        record = guild.years.get(year)
        if record is None:
            record = guild.years[year] = YearRecord(year=year)
        return record


def _opened(state: HistoryState, ev: Any) -> None:
    record = state.year(ev.guild_id, ev.year)
    record.organiser_id = ev.organiser_id
    record.status = "open"


def _joined(state: HistoryState, ev: Any) -> None:
    state.year(ev.guild_id, ev.year).participants[ev.member_id] = ev.display_name


def _left(state: HistoryState, ev: Any) -> None:
    record = state.year(ev.guild_id, ev.year)
    record.participants.pop(ev.member_id, None)
    record.gave_to.pop(ev.member_id, None)


def _drawn(state: HistoryState, ev: Any) -> None:
    record = state.year(ev.guild_id, ev.year)
    record.gave_to = dict(ev.assignments)
    record.status = "drawn"


def _spliced_out(state: HistoryState, ev: Any) -> None:
    record = state.year(ev.guild_id, ev.year)
    record.gave_to.pop(ev.member_id, None)
    record.gave_to.update(ev.reassigned)


def _spliced_in(state: HistoryState, ev: Any) -> None:
    state.year(ev.guild_id, ev.year).gave_to.update(ev.reassigned)


def _gift_sent(state: HistoryState, ev: Any) -> None:
    sent = state.year(ev.guild_id, ev.year).sent
    if ev.giver_id not in sent:
        sent.append(ev.giver_id)


def _gift_received(state: HistoryState, ev: Any) -> None:
    received = state.year(ev.guild_id, ev.year).received
    if ev.receiver_id not in received:
        received.append(ev.receiver_id)


def _closed(state: HistoryState, ev: Any) -> None:
    state.year(ev.guild_id, ev.year).status = "closed"


_HANDLERS: dict[str, Callable[[HistoryState, Any], None]] = {
    "santa.SeasonOpened": _opened,
    "santa.ParticipantJoined": _joined,
    "santa.ParticipantLeft": _left,
    "santa.AssignmentsDrawn": _drawn,
    "santa.ParticipantSplicedOut": _spliced_out,
    "santa.ParticipantSplicedIn": _spliced_in,
    "santa.GiftSent": _gift_sent,
    "santa.GiftReceived": _gift_received,
    "santa.SeasonClosed": _closed,
}


class SantaHistoryProjection:
    """Projection protocol implementation; rename `HISTORY_PROJECTION` when the fold changes."""

    name = HISTORY_PROJECTION
    state_type = HistoryState

    def initial(self) -> HistoryState:
        return HistoryState()

    def apply(self, state: HistoryState, rec: RecordedEvent) -> HistoryState:
        handler = _HANDLERS.get(rec.type)
        if handler is not None and rec.event is not None:
            handler(state, rec.event)
        return state


class HistoryRow(msgspec.Struct, kw_only=True):
    """One member in one year: what `history` prints (and emits with `--json`)."""

    guild_id: int
    year: int
    status: str
    participants: int
    member_id: int
    member_name: str
    gave_to: int | None
    gave_to_name: str | None
    got_from: int | None
    got_from_name: str | None
    gift_sent: bool
    gift_received: bool


def history_rows(
    state: HistoryState, guild_id: int, member_id: int | None = None
) -> list[HistoryRow]:
    """Rows by year then member id; a member who was in no season of a year has no row for it."""
    guild = state.guilds.get(guild_id)
    if guild is None:
        return []
    rows: list[HistoryRow] = []
    for year in sorted(guild.years):
        record = guild.years[year]
        got_from = {receiver: giver for giver, receiver in record.gave_to.items()}
        members = set(record.participants) | set(record.gave_to)
        chosen = sorted(members) if member_id is None else [m for m in (member_id,) if m in members]
        names = record.participants

        def name(m: int | None, names: dict[int, str] = names) -> str | None:
            return None if m is None else names.get(m, f"member {m}")

        for member in chosen:
            giftee = record.gave_to.get(member)
            santa = got_from.get(member)
            rows.append(
                HistoryRow(
                    guild_id=guild_id,
                    year=year,
                    status=record.status,
                    participants=len(record.participants),
                    member_id=member,
                    member_name=name(member) or "",
                    gave_to=giftee,
                    gave_to_name=name(giftee),
                    got_from=santa,
                    got_from_name=name(santa),
                    gift_sent=member in record.sent,
                    gift_received=member in record.received,
                )
            )
    return rows
