"""Splicing on random valid draws: the result stays valid, everyone else keeps their giftee, and a
refusal is true (checked by brute force where the claim is exhaustive)."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import draw as d
from app.domain import splice as sp

PROPERTY = settings(
    max_examples=120, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def drawn_instances(draw: st.DrawFn) -> tuple[dict[int, int], set[d.Pair], bool, int]:
    n = draw(st.integers(min_value=3, max_value=8))
    loop = draw(st.booleans())
    density = draw(st.sampled_from([0.0, 0.2, 0.4, 0.6]))
    maker = random.Random(draw(st.integers(0, 2**32 - 1)))
    members = list(range(1, n + 1))
    exclusions = {(g, r) for g in members for r in members if g != r and maker.random() < density}
    result = d.draw(members, exclusions=exclusions, history={}, single_loop=loop, rng=maker)
    if not isinstance(result, d.Drawn):  # infeasible instance: splice a draw with no exclusions
        exclusions = set()
        result = d.draw(members, exclusions=exclusions, history={}, single_loop=loop, rng=maker)
    assert isinstance(result, d.Drawn)
    return result.assignments, exclusions, loop, maker.randrange(2**32)


@PROPERTY
@given(drawn_instances())
def test_splice_out_is_valid_minimal_and_honest(
    instance: tuple[dict[int, int], set[d.Pair], bool, int],
) -> None:
    assignments, exclusions, loop, seed = instance
    rng = random.Random(seed)
    leaver = rng.choice(sorted(assignments))
    plan = sp.splice_out(
        assignments,
        leaver,
        exclusions=exclusions,
        single_loop=loop,
        history={},
        marked=(),
        rng=rng,
    )
    remaining = sorted(set(assignments) - {leaver})
    if isinstance(plan, sp.Splice):
        after = {g: r for g, r in assignments.items() if g != leaver}
        after.update(plan.reassigned)
        assert d.is_valid_assignment(after, remaining)
        assert not set(after.items()) & exclusions
        if loop:
            assert d.is_single_loop(after)
            assert len(plan.reassigned) in (1, 3)
        else:
            assert len(plan.reassigned) in (1, 2)
        return
    if plan == "too_few":
        assert len(remaining) < 2
        return
    santa = next(g for g, r in assignments.items() if r == leaver)
    assert santa == assignments[leaver] or (santa, assignments[leaver]) in exclusions
    if plan == "swap_blocked":
        # exhaustive claim: no valid draw of the others changes at most two givers' giftees
        for perm in itertools.permutations(remaining):
            candidate = dict(zip(remaining, perm, strict=True))
            if (
                not d.is_valid_assignment(candidate, remaining)
                or set(candidate.items()) & exclusions
            ):
                continue
            changed = [g for g in remaining if candidate[g] != assignments[g]]
            assert len(changed) > 2


@PROPERTY
@given(drawn_instances())
def test_splice_in_puts_the_newcomer_between_a_santa_and_their_giftee(
    instance: tuple[dict[int, int], set[d.Pair], bool, int],
) -> None:
    assignments, exclusions, loop, seed = instance
    rng = random.Random(seed)
    newcomer = 100
    newcomer_exclusions = {(newcomer, m) for m in assignments if rng.random() < 0.5}
    newcomer_exclusions |= {(m, newcomer) for m in assignments if rng.random() < 0.5}
    all_exclusions = exclusions | newcomer_exclusions
    plan = sp.splice_in(
        assignments, newcomer, exclusions=all_exclusions, history={}, marked=(), rng=rng
    )
    if plan is None:
        assert all(
            (a, newcomer) in all_exclusions or (newcomer, b) in all_exclusions
            for a, b in assignments.items()
        )
        return
    after = {**assignments, **plan.reassigned}
    assert d.is_valid_assignment(after, [*assignments, newcomer])
    assert not set(after.items()) & all_exclusions
    assert len(plan.reassigned) == 2
    if loop:
        assert d.is_single_loop(after)


def test_history_repeats_are_avoided_when_another_place_exists() -> None:
    ring = {1: 2, 2: 3, 3: 4, 4: 1}
    history = {2025: {(1, 9), (9, 2), (2, 9), (9, 3), (3, 9)}}  # only 4→9→1 is new
    for seed in range(10):
        plan = sp.splice_in(
            ring, 9, exclusions=set(), history=history, marked=(), rng=random.Random(seed)
        )
        assert plan is not None
        assert plan.reassigned == {4: 9, 9: 1}
        assert plan.repeats == ()
    forced = {2025: {(g, 9) for g in ring}}
    plan = sp.splice_in(ring, 9, exclusions=set(), history=forced, marked=(), rng=random.Random(0))
    assert plan is not None
    assert len(plan.repeats) == 1


# --- gift marks -----------------------------------------------------------------------------------

RING = {1: 2, 2: 3, 3: 4, 4: 1}


def _santa_in(plan: sp.Splice | None, newcomer: int) -> int:
    assert plan is not None
    return next(g for g, r in plan.reassigned.items() if r == newcomer)


def test_a_newcomer_goes_into_the_unmarked_pair_when_one_is_allowed() -> None:
    # Given a ring in which only 4→1 has no gift marked sent or received
    marked = {(1, 2), (2, 3), (3, 4)}
    for seed in range(20):
        # When 9 joins late
        plan = sp.splice_in(
            RING, 9, exclusions=set(), history={}, marked=marked, rng=random.Random(seed)
        )
        # Then 9 always goes between 4 and 1, whatever the rng
        assert plan is not None
        assert plan.reassigned == {4: 9, 9: 1}


def test_without_marks_the_newcomer_may_go_anywhere() -> None:
    # Given the same ring with no marks, when 9 joins with different seeds
    santas = {
        _santa_in(sp.splice_in(RING, 9, exclusions=set(), history={}, marked=(), rng=rng), 9)
        for rng in map(random.Random, range(40))
    }
    # Then every place is used: the marks, not the seeds, decided the test above
    assert santas == set(RING)


def test_marks_weigh_more_than_a_repeat_of_an_avoided_year() -> None:
    # Given only 4→1 unmarked, but 4→9 was a pair last year
    marked = {(1, 2), (2, 3), (3, 4)}
    history = {2025: {(4, 9)}}
    for seed in range(20):
        # When 9 joins late
        plan = sp.splice_in(
            RING, 9, exclusions=set(), history=history, marked=marked, rng=random.Random(seed)
        )
        # Then 9 still goes between 4 and 1, and the repeat is reported
        assert plan is not None
        assert plan.reassigned == {4: 9, 9: 1}
        assert plan.repeats == ((4, 9, 2025),)


def test_a_newcomer_goes_into_a_marked_pair_when_no_other_place_is_allowed() -> None:
    # Given only 4→1 unmarked, and 9 may not give to 1
    marked = {(1, 2), (2, 3), (3, 4)}
    santas: set[int] = set()
    for seed in range(20):
        # When 9 joins late
        plan = sp.splice_in(
            RING, 9, exclusions={(9, 1)}, history={}, marked=marked, rng=random.Random(seed)
        )
        # Then 9 is still placed, in one of the marked pairs
        santas.add(_santa_in(plan, 9))
    assert santas == {1, 2, 3}
    # and with every pair marked, 9 is placed too
    plan = sp.splice_in(
        RING, 9, exclusions=set(), history={}, marked=set(RING.items()), rng=random.Random(0)
    )
    assert plan is not None


SWAP_DRAW = {2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 2}
"""3 leaves; 2→4 is excluded, so 2 swaps with 5 (2→6, 5→4) or with 6 (2→7, 6→4)."""


def _swap_out(marked: set[d.Pair], seed: int) -> dict[int, int]:
    plan = sp.splice_out(
        SWAP_DRAW,
        3,
        exclusions={(2, 4)},
        single_loop=False,
        history={},
        marked=marked,
        rng=random.Random(seed),
    )
    assert isinstance(plan, sp.Splice)
    return plan.reassigned


def test_a_leaver_is_swapped_out_past_a_marked_pair() -> None:
    # Given no marks, both swaps happen depending on the rng
    assert {tuple(sorted(_swap_out(set(), seed).items())) for seed in range(30)} == {
        ((2, 6), (5, 4)),
        ((2, 7), (6, 4)),
    }
    # When 5 has marked the gift for 6 as sent (or 6 the one from 5 as received)
    # Then 3 leaves by the swap that keeps 5→6, whatever the rng
    for seed in range(30):
        assert _swap_out({(5, 6)}, seed) == {2: 7, 6: 4}
    # and when both candidate pairs are marked, 3 can still leave, dissolving one of them
    assert _swap_out({(5, 6), (6, 7)}, 0) in ({2: 6, 5: 4}, {2: 7, 6: 4})


LOOP_DRAW = {2: 3, 3: 4, 4: 5, 5: 6, 6: 2}
"""A loop; 3 leaves and 2→4 is excluded, so 2 or 4 moves elsewhere in the ring (three pairs)."""


def test_a_leaver_is_spliced_out_of_a_loop_past_a_marked_pair() -> None:
    plans: dict[bool, set[tuple[d.Pair, ...]]] = {False: set(), True: set()}
    for seed in range(40):
        for with_mark in (False, True):
            # Given 4 has (or has not) marked the gift for 5 as sent
            plan = sp.splice_out(
                LOOP_DRAW,
                3,
                exclusions={(2, 4)},
                single_loop=True,
                history={},
                marked={(4, 5)} if with_mark else set(),
                rng=random.Random(seed),
            )
            assert isinstance(plan, sp.Splice)
            plans[with_mark].add(tuple(sorted(plan.reassigned.items())))
    # Then without the mark three plans occur; with it, only the one that keeps 4→5 (2→6→4→5→2)
    assert len(plans[False]) == 3
    assert plans[True] == {((2, 6), (5, 2), (6, 4))}


NEWCOMER = 100


@st.composite
def marked_instances(
    draw: st.DrawFn,
) -> tuple[dict[int, int], set[d.Pair], bool, set[d.Pair], dict[int, set[d.Pair]], int]:
    """A drawn instance, some of its pairs marked, and a past year that includes the newcomer."""
    assignments, exclusions, loop, seed = draw(drawn_instances())
    density = draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]))
    maker = random.Random(seed)
    marked = {pair for pair in sorted(assignments.items()) if maker.random() < density}
    people = [*sorted(assignments), NEWCOMER]
    history = {2025: {(g, r) for g in people for r in people if g != r and maker.random() < 0.3}}
    return assignments, exclusions, loop, marked, history, maker.randrange(2**32)


@PROPERTY
@given(marked_instances())
def test_splice_in_dissolves_a_marked_pair_only_when_every_allowed_place_is_marked(
    instance: tuple[dict[int, int], set[d.Pair], bool, set[d.Pair], dict[int, set[d.Pair]], int],
) -> None:
    assignments, exclusions, _, marked, history, seed = instance
    rng = random.Random(seed)
    exclusions = exclusions | {(NEWCOMER, m) for m in assignments if rng.random() < 0.3}
    exclusions |= {(m, NEWCOMER) for m in assignments if rng.random() < 0.3}
    places = [
        (a, b)
        for a, b in assignments.items()
        if (a, NEWCOMER) not in exclusions and (NEWCOMER, b) not in exclusions
    ]
    plan = sp.splice_in(
        assignments, NEWCOMER, exclusions=exclusions, history=history, marked=marked, rng=rng
    )
    if not places:
        assert plan is None
        return
    assert plan is not None
    santa = next(g for g, r in plan.reassigned.items() if r == NEWCOMER)
    chosen = (santa, assignments[santa])
    assert chosen in places
    if any(place not in marked for place in places):
        assert chosen not in marked

    # and among the places with the same mark status, none repeats fewer past pairs
    def rank(place: d.Pair) -> tuple[bool, int]:
        a, b = place
        return place in marked, ((a, NEWCOMER) in history[2025]) + ((NEWCOMER, b) in history[2025])

    assert rank(chosen) == min(map(rank, places))


@PROPERTY
@given(marked_instances())
def test_splice_out_dissolves_as_few_marked_pairs_as_any_allowed_plan(
    instance: tuple[dict[int, int], set[d.Pair], bool, set[d.Pair], dict[int, set[d.Pair]], int],
) -> None:
    assignments, exclusions, loop, marked, _, seed = instance
    rng = random.Random(seed)
    leaver = rng.choice(sorted(assignments))
    santa = next(g for g, r in assignments.items() if r == leaver)
    if rng.random() < 0.5:  # half the time, rule out the direct link so that other plans compete
        exclusions = exclusions | {(santa, assignments[leaver])}
    plan = sp.splice_out(
        assignments,
        leaver,
        exclusions=exclusions,
        single_loop=loop,
        history={},
        marked=marked,
        rng=rng,
    )
    if not isinstance(plan, sp.Splice):
        return
    dissolved = {(g, assignments[g]) for g in plan.reassigned} & marked
    if loop:
        # the direct link dissolves no pair but the leaver's two; when allowed, nothing worse wins
        if santa != assignments[leaver] and (santa, assignments[leaver]) not in exclusions:
            assert dissolved <= {(santa, leaver)}
        return
    # no loop to keep: brute force over every allowed draw of the others changing at most two
    # givers' giftees (the leaver's Santa is always one of them)
    remaining = sorted(set(assignments) - {leaver})
    fewest = len(remaining)
    for size in (1, 2):
        for changed in itertools.combinations(remaining, size):
            kept = {g: assignments[g] for g in remaining if g not in changed}
            free = sorted(set(remaining) - set(kept.values()))
            if len(free) != size:  # someone kept the leaver as giftee
                continue
            for giftees in itertools.permutations(free):
                moves = dict(zip(changed, giftees, strict=True))
                if any(
                    g == r or r == assignments[g] or (g, r) in exclusions for g, r in moves.items()
                ):
                    continue
                fewest = min(fewest, len({(g, assignments[g]) for g in changed} & marked))
    assert len(dissolved) == fewest
