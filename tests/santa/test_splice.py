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
