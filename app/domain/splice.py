"""Changes after the draw that keep everyone else's giftee: splicing a leaver out, a late joiner in.

Pure and separate from the decider for the same reason as `draw`: the search is the hard part, and
it is easiest to test on plain maps. A redraw would tell every Santa a new giftee and let people
compare notes; these plans change only a few pairs. Among the allowed plans the choice avoids,
in this order, dissolving a pair whose gift is already marked sent or received, repeating a pair
from an avoided past year, and changing more pairs than needed; ties are broken at random (rng
injected). See `_pick`.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

Pair = tuple[int, int]

Blocked = Literal["too_few", "loop_blocked", "swap_blocked"]
"""Why no splice-out exists: one participant would remain; in a single loop, neither linking the
leaver's Santa to their giftee nor moving one of those two elsewhere in the ring is allowed;
otherwise neither the direct link nor a swap with any one other pair is allowed."""


@dataclass(frozen=True, slots=True)
class Splice:
    reassigned: dict[int, int]
    """giver → new giftee, for every giver whose giftee changes (a newcomer's own pair included)"""
    repeats: tuple[tuple[int, int, int], ...]
    """(giver, receiver, year) for every new pair that repeats an avoided past year"""


def _santa_of(assignments: Mapping[int, int], member: int) -> int | None:
    return next((g for g, r in assignments.items() if r == member), None)


def splice_out(
    assignments: Mapping[int, int],
    leaver: int,
    *,
    exclusions: Collection[Pair],
    single_loop: bool,
    history: Mapping[int, Collection[Pair]],
    marked: Collection[Pair],
    rng: random.Random,
) -> Splice | Blocked:
    """Take `leaver` out of a valid draw.

    A→L→B becomes A→B when allowed. Otherwise, in a single loop, move A (its Santa P gets B, A goes
    between some X→Y) or move B (A gets B's giftee Q, B goes between some X→Y): three changed pairs,
    still one ring. Otherwise (no loop to keep), swap with one other pair: A takes C's giftee D and
    C takes B. A two-person loop is a mutual pair by necessity; any ring of three or more has none.
    `marked` holds the pairs of the draw whose gift is marked sent or received; the plan dissolves
    as few of them as it can (`_pick`). A→L and L→B go in every plan, so their marks never decide.
    """
    if len(assignments) - 1 < 2:
        return "too_few"
    a = _santa_of(assignments, leaver)
    b = assignments[leaver]
    if a is None:
        raise ValueError("splice_out needs a valid draw (a bijection) that includes the leaver")

    def ok(giver: int, receiver: int) -> bool:
        return giver != receiver and (giver, receiver) not in exclusions

    candidates: list[dict[int, int]] = []
    if ok(a, b):
        candidates.append({a: b})
    if single_loop:
        if len(assignments) - 1 >= 3:
            p = _santa_of(assignments, a)
            if p is not None and p != b and ok(p, b):
                candidates += [
                    {p: b, x: a, a: y}
                    for x, y in assignments.items()
                    if x not in (a, leaver, p) and ok(x, a) and ok(a, y)
                ]
            q = assignments[b]
            if q != a and ok(a, q):
                candidates += [
                    {a: q, x: b, b: y}
                    for x, y in assignments.items()
                    if x not in (a, leaver, b) and ok(x, b) and ok(b, y)
                ]
    else:
        candidates += [
            {a: d, c: b}
            for c, d in assignments.items()
            if c not in (a, leaver) and ok(a, d) and ok(c, b)
        ]
    if not candidates:
        return "loop_blocked" if single_loop else "swap_blocked"
    return _pick(candidates, assignments, marked, history, rng)


def splice_in(
    assignments: Mapping[int, int],
    newcomer: int,
    *,
    exclusions: Collection[Pair],
    history: Mapping[int, Collection[Pair]],
    marked: Collection[Pair],
    rng: random.Random,
) -> Splice | None:
    """Put `newcomer` N between a Santa and their giftee: A→B becomes A→N→B (a loop stays a loop).
    None when every such place would break one of N's exclusions. `marked` holds the pairs of the
    draw whose gift is marked sent or received: N goes into one of them only when no unmarked
    place is allowed (`_pick`)."""

    def ok(giver: int, receiver: int) -> bool:
        return giver != receiver and (giver, receiver) not in exclusions

    candidates = [
        {a: newcomer, newcomer: b}
        for a, b in assignments.items()
        if ok(a, newcomer) and ok(newcomer, b)
    ]
    return _pick(candidates, assignments, marked, history, rng) if candidates else None


def _repeats(
    history: Mapping[int, Collection[Pair]], changes: Mapping[int, int]
) -> tuple[tuple[int, int, int], ...]:
    return tuple(
        (giver, receiver, year)
        for giver, receiver in sorted(changes.items())
        for year in sorted(history)
        if (giver, receiver) in history[year]
    )


def _dissolved_marks(
    assignments: Mapping[int, int], marked: Collection[Pair], changes: Mapping[int, int]
) -> int:
    """How many marked pairs of the draw `changes` dissolves (their giver gets another giftee)."""
    return sum(
        1
        for giver, giftee in changes.items()
        if giver in assignments
        and assignments[giver] != giftee
        and (giver, assignments[giver]) in marked
    )


def _pick(
    candidates: list[dict[int, int]],
    assignments: Mapping[int, int],
    marked: Collection[Pair],
    history: Mapping[int, Collection[Pair]],
    rng: random.Random,
) -> Splice:
    """Fewest marked pairs dissolved first, then fewest repeats of avoided years, then fewest
    changed pairs, then at random.

    Marks come before repeats because a gift marked sent or received is a fact the bot cannot undo
    (a parcel on its way, a present in hand), while avoiding a past year's pair is a preference. A
    plan that dissolves a marked pair is still chosen when every plan does; the decider then clears
    that pair's marks (`unmarked_by_splice`) and tells its giver if they had marked theirs sent.
    """
    scored = [
        (_dissolved_marks(assignments, marked, c), len(_repeats(history, c)), len(c), i)
        for i, c in enumerate(candidates)
    ]
    best = min((m, r, k) for m, r, k, _ in scored)
    ties = [candidates[i] for m, r, k, i in scored if (m, r, k) == best]
    chosen = ties[rng.randrange(len(ties))]
    return Splice(reassigned=chosen, repeats=_repeats(history, chosen))
