"""Rendering the app's read models for `state`: a table per Secret Santa model, a one-line summary
for internal ones (their full content is in `--json`)."""

from __future__ import annotations

from typing import Any

import msgspec
from rich.console import Console

from app.projections.santa import MemberViewsState, OrganiserState, OutboxState, SeasonsState
from app.projections.santa_history import HistoryState
from app.replaytool import render


def _guilds(ids: Any, guild: int | None) -> list[int]:
    return sorted(ids) if guild is None else [g for g in (guild,) if g in ids]


def _seasons(
    console: Console, seasons: SeasonsState, counts: OrganiserState | None, guild: int | None
) -> None:
    t = render.table(
        "current Secret Santa season per server",
        "guild",
        "year",
        "status",
        "organiser",
        "budget",
        "participants",
        "drawn",
        "DMs delivered/failed",
        "gifts sent/received",
        right=("participants",),
    )
    for guild_id in _guilds(seasons.guilds, guild):
        view = seasons.guilds[guild_id]
        c = counts.guilds.get(guild_id) if counts is not None else None
        t.add_row(
            str(guild_id),
            str(view.year),
            view.status,
            view.organiser_name,
            view.budget,
            str(len(view.participants)),
            "-" if c is None else ("yes" if c.drawn else "no"),
            "-" if c is None else f"{c.dms_delivered}/{c.dms_failed}",
            "-" if c is None else f"{c.gifts_sent}/{c.gifts_received}",
        )
    render.emit(console, t)


def _history(console: Console, state: HistoryState, guild: int | None) -> None:
    t = render.table(
        "Secret Santa seasons, all years",
        "guild",
        "year",
        "status",
        "participants",
        "pairs",
        "gifts sent",
        "gifts received",
        right=("participants", "pairs", "gifts sent", "gifts received"),
    )
    for guild_id in _guilds(state.guilds, guild):
        years = state.guilds[guild_id].years
        for year in sorted(years):
            r = years[year]
            t.add_row(
                str(guild_id),
                str(year),
                r.status,
                str(len(r.participants)),
                str(len(r.pairs)),
                str(len(r.gifts_sent)),
                str(len(r.gifts_received)),
            )
    render.emit(console, t)


def as_json(state: Any, guild: int | None) -> Any:
    """A read model as JSON-ready builtins, cut down to one server when `guild` is given."""
    doc = msgspec.to_builtins(state)
    if guild is None or not isinstance(doc, dict):
        return doc
    if isinstance(doc.get("guilds"), dict):
        doc["guilds"] = {k: v for k, v in doc["guilds"].items() if k == guild}
    if isinstance(doc.get("pending"), dict):
        doc["pending"] = {
            k: v
            for k, v in doc["pending"].items()
            if isinstance(v, dict) and v.get("guild_id") == guild
        }
    return doc


def print_read_models(console: Console, states: dict[str, Any], *, guild: int | None) -> None:
    counts = next((s for s in states.values() if isinstance(s, OrganiserState)), None)
    if guild is not None and not any(guild in getattr(s, "guilds", {}) for s in states.values()):
        console.print(f"guild {guild}: no Secret Santa season yet at this point")
    for name, state in states.items():
        if isinstance(state, SeasonsState):
            _seasons(console, state, counts, guild)
        elif isinstance(state, HistoryState):
            _history(console, state, guild)
        elif isinstance(state, OrganiserState):
            continue  # shown within the seasons table
        elif isinstance(state, MemberViewsState):
            ids = _guilds(state.guilds, guild)
            members = sum(len(state.guilds[g].members) for g in ids)
            console.print(f"{name}: {members} member views in {len(ids)} servers (see --json)")
        elif isinstance(state, OutboxState):
            pending = [d for d in state.pending.values() if guild is None or d.guild_id == guild]
            console.print(f"{name}: {len(pending)} direct messages due, not yet sent")
        else:
            size = len(msgspec.msgpack.encode(state))
            console.print(f"{name}: {render.human_bytes(size)} of state (see --json)")
