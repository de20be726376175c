"""Year-over-year Secret Santa rows for `history`, read from the app's history read model.

The read model (`app.projections.santa_history`) keeps each year's final giver→receiver map; its
member-facing queries hide running seasons. This admin view shows every season, running ones too,
with pairs: only the admin tool renders it.
"""

from __future__ import annotations

import msgspec

from app.projections.santa_history import HistoryState, SantaHistoryProjection, YearRecord

HISTORY_PROJECTION: str = SantaHistoryProjection.name


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


def _name(record: YearRecord, member: int | None) -> str | None:
    return None if member is None else record.names.get(member, f"member {member}")


def history_rows(
    state: HistoryState, guild_id: int, member_id: int | None = None
) -> list[HistoryRow]:
    """Rows by year, then by member id; a year the member took no part in has no row."""
    guild = state.guilds.get(guild_id)
    if guild is None:
        return []
    rows: list[HistoryRow] = []
    for year in sorted(guild.years):
        record = guild.years[year]
        got_from = {receiver: giver for giver, receiver in record.pairs.items()}
        members = set(record.participants) | set(record.pairs)
        chosen = sorted(members) if member_id is None else [m for m in (member_id,) if m in members]
        for member in chosen:
            giftee = record.pairs.get(member)
            santa = got_from.get(member)
            rows.append(
                HistoryRow(
                    guild_id=guild_id,
                    year=year,
                    status=record.status,
                    participants=len(record.participants),
                    member_id=member,
                    member_name=_name(record, member) or "",
                    gave_to=giftee,
                    gave_to_name=_name(record, giftee),
                    got_from=santa,
                    got_from_name=_name(record, santa),
                    gift_sent=member in record.gifts_sent,
                    gift_received=member in record.gifts_received,
                )
            )
    return rows
