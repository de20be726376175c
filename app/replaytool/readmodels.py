"""Rendering read models for `state`: a table per known model, a generic dump for any other."""

from __future__ import annotations

from typing import Any

import msgspec
from rich.console import Console
from rich.pretty import Pretty

from app.replaytool import render
from app.replaytool.history import HistoryState


def _print_history(console: Console, state: HistoryState, guild: int | None) -> None:
    guild_ids = sorted(state.guilds) if guild is None else [guild]
    if guild is not None and guild not in state.guilds:
        console.print(f"guild {guild}: no Secret Santa season yet at this point")
        return
    t = render.table(
        "Secret Santa seasons",
        "guild",
        "year",
        "status",
        "organiser",
        "participants",
        "pairs drawn",
        "gifts sent",
        "gifts received",
        right=("participants", "pairs drawn", "gifts sent", "gifts received"),
    )
    for guild_id in guild_ids:
        history = state.guilds[guild_id]
        for year in sorted(history.years):
            r = history.years[year]
            t.add_row(
                str(guild_id),
                str(year),
                r.status,
                str(r.organiser_id),
                str(len(r.participants)),
                str(len(r.gave_to)),
                str(len(r.sent)),
                str(len(r.received)),
            )
    console.print(t)


def print_read_models(console: Console, states: dict[str, Any], *, guild: int | None) -> None:
    for name, state in states.items():
        if isinstance(state, HistoryState):
            _print_history(console, state, guild)
            continue
        console.print(f"[bold]{name}[/bold]")
        console.print(Pretty(msgspec.to_builtins(state), max_length=50))
