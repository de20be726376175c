"""Secret Santa draw at scale: 1,000 participants, 3 exclusions each, 5 earlier years to avoid.

Times the whole decider call (`decide(DrawAssignments)`: draw, history relaxation check, 1,000
rendered draw notices), in both modes, with seeded RNGs so runs are comparable. The last line is the
slower of the two modes' medians: `draw_1000_s: X`. Run: `python -m bench.draw [runs]`.

First, in the same run, the hard single-loop regime (`bench.ring`): 48 seeded instances of 30 to
200 members who may each give to only 2 to 4 others, a ring planted in each, drawn through
`draw.draw`: `ring_sparse_worst_s: X` (the slowest instance, median of three runs) and
`ring_sparse_found: A/B` (rings found; anything below B/B is a miss, since each has one).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime

from app.domain import santa as s
from bench.ring import ring_sparse_lines

GUILD = 1
ORGANISER = 1
N = 1000
EXCLUSIONS_EACH = 3
PAST_YEARS = 5
YEAR = 2026
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _state(single_loop: bool, seed: int) -> s.SantaState:
    """Five drawn and closed past seasons, then an open season with exclusions, built through
    decide."""
    rng = random.Random(seed)
    members = list(range(1000, 1000 + N))
    state = s.initial_state()

    def do(command: s.SantaCommand) -> None:
        nonlocal state
        for event in s.decide(command, state, now=NOW, rng=rng):
            state = s.evolve(state, event)

    def open_season(year: int) -> None:
        do(
            s.OpenSeason(
                guild_id=GUILD,
                actor_id=ORGANISER,
                year=year,
                budget="20 EUR",
                signup_deadline=datetime(year, 12, 1, tzinfo=UTC),
                gift_deadline=datetime(year, 12, 20, tzinfo=UTC),
                actor_name="Org",
                single_loop=single_loop,
                avoid_past_years=PAST_YEARS,
            )
        )
        for member in members:
            do(s.JoinSeason(guild_id=GUILD, actor_id=member, display_name=f"M{member}"))

    for year in range(YEAR - PAST_YEARS, YEAR):
        open_season(year)
        do(s.DrawAssignments(guild_id=GUILD, actor_id=ORGANISER, any_valid=True))
        do(s.CloseSeason(guild_id=GUILD, actor_id=ORGANISER))
    open_season(YEAR)
    for member in members:
        others = [m for m in rng.sample(members, EXCLUSIONS_EACH + 1) if m != member]
        for other in others[:EXCLUSIONS_EACH]:
            do(
                s.AddExclusion(
                    guild_id=GUILD, actor_id=ORGANISER, giver_id=member, receiver_id=other
                )
            )
    return state


def _time_draw(state: s.SantaState, seed: int) -> tuple[float, s.AssignmentsDrawn]:
    command = s.DrawAssignments(guild_id=GUILD, actor_id=ORGANISER)
    started = time.perf_counter()
    events = s.decide(command, state, now=NOW, rng=random.Random(seed))
    elapsed = time.perf_counter() - started
    drawn = events[0]
    assert isinstance(drawn, s.AssignmentsDrawn)
    assert len(events) == N + 1
    return elapsed, drawn


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 5
    for line in ring_sparse_lines():
        print(line)
    medians = []
    for single_loop in (False, True):
        mode = "single_loop" if single_loop else "any_valid"
        state = _state(single_loop, seed=2026)
        times = []
        for run in range(runs):
            elapsed, drawn = _time_draw(state, seed=run)
            times.append(elapsed)
            print(
                f"{mode} run {run}: {elapsed:.3f} s  algorithm={drawn.algorithm} "
                f"relaxed_years={drawn.relaxed_years} repeats={len(drawn.repeated_pairs)}"
            )
        median = statistics.median(times)
        medians.append(median)
        print(f"draw_1000_{mode}_s: {median:.3f}")
    print(f"draw_1000_s: {max(medians):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
