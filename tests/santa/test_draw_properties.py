"""The draw against a brute-force oracle on random instances up to n = 8."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import draw as d

from .oracle import find_draw, is_forced_loop

PROPERTY = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[int], set[d.Pair], dict[int, set[d.Pair]], int]:
    """n, density and history depth come from hypothesis; the pairs from a seeded generator, because
    hypothesis' own bias towards zeros would make almost every instance impossible."""
    n = draw(st.integers(min_value=2, max_value=8))
    members = sorted(draw(st.sets(st.integers(1, 10_000), min_size=n, max_size=n)))
    density = draw(st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.45, 0.6]))
    years = draw(st.integers(0, 3))
    maker = random.Random(draw(st.integers(0, 2**32 - 1)))
    pairs = [(g, r) for g in members for r in members if g != r]
    exclusions = {p for p in pairs if maker.random() < density}
    history: dict[int, set[d.Pair]] = {}
    for year in range(2026 - years, 2026):
        shuffled = maker.sample(members, n)
        history[year] = {(g, r) for g, r in zip(members, shuffled, strict=True) if g != r}
    return members, exclusions, history, maker.randrange(2**32)


def expected_relaxation(
    members: list[int], exclusions: set[d.Pair], history: dict[int, set[d.Pair]], *, loop: bool
) -> tuple[int, ...] | None:
    """Years that must be relaxed (oldest first) for a draw to exist; None if none exists at all."""
    years = sorted(history)
    for dropped in range(len(years) + 1):
        forbidden = set(exclusions)
        for year in years[dropped:]:
            forbidden |= history[year]
        if find_draw(members, forbidden, loop=loop) is not None:
            return tuple(years[:dropped])
    return None


def assert_valid(
    result: d.Drawn,
    members: list[int],
    exclusions: set[d.Pair],
    history: dict[int, set[d.Pair]],
) -> None:
    assignments = result.assignments
    assert d.is_valid_assignment(assignments, members)
    assert not any(pair in exclusions for pair in assignments.items())
    for year, pairs in history.items():
        used = pairs & set(assignments.items())
        if year in result.relaxed_years:
            assert {(p.giver, p.receiver) for p in result.repeated_pairs if p.year == year} == used
        else:
            assert not used, f"history {year} broken without being recorded"


def assert_hall_violation(
    result: d.NoValidDraw, members: list[int], exclusions: set[d.Pair]
) -> None:
    givers = set(result.givers)
    receivers = set(result.receivers)
    assert givers
    assert len(receivers) < len(givers)
    allowed = {r for g in givers for r in members if r != g and (g, r) not in exclusions}
    assert allowed <= receivers, "the named receivers must include everyone the group may give to"
    blocked, their = set(result.blocked_receivers), set(result.their_givers)
    assert blocked
    assert len(their) < len(blocked)
    can_give = {g for r in blocked for g in members if g != r and (g, r) not in exclusions}
    assert can_give <= their


EXACT_BUDGETS = (d.DEFAULT_BUDGET, d.Budget(rejection_steps=0))
"""Rejection sampling first (the default), and enumeration alone: both exact, both must agree."""


@PROPERTY
@given(instances())
def test_any_valid_draw_matches_the_oracle(
    instance: tuple[list[int], set[d.Pair], dict[int, set[d.Pair]], int],
) -> None:
    members, exclusions, history, seed = instance
    for budget in EXACT_BUDGETS:
        result = d.draw(
            members,
            exclusions=exclusions,
            history=history,
            single_loop=False,
            rng=random.Random(seed),
            budget=budget,
        )
        check_any(result, members, exclusions, history)


def check_any(
    result: d.DrawOutcome,
    members: list[int],
    exclusions: set[d.Pair],
    history: dict[int, set[d.Pair]],
) -> None:
    relaxed = expected_relaxation(members, exclusions, history, loop=False)
    if relaxed is None:
        assert isinstance(result, d.NoValidDraw)
        assert_hall_violation(result, members, exclusions)
    else:
        assert isinstance(result, d.Drawn), (
            "a valid draw exists, so the draw must never say impossible"
        )
        assert result.relaxed_years == relaxed
        assert_valid(result, members, exclusions, history)


@PROPERTY
@given(instances())
def test_single_loop_draw_matches_the_oracle(
    instance: tuple[list[int], set[d.Pair], dict[int, set[d.Pair]], int],
) -> None:
    members, exclusions, history, seed = instance
    for budget in EXACT_BUDGETS:
        result = d.draw(
            members,
            exclusions=exclusions,
            history=history,
            single_loop=True,
            rng=random.Random(seed),
            budget=budget,
        )
        check_loop(result, members, exclusions, history)


def check_loop(
    result: d.DrawOutcome,
    members: list[int],
    exclusions: set[d.Pair],
    history: dict[int, set[d.Pair]],
) -> None:
    if find_draw(members, exclusions, loop=False) is None:
        assert isinstance(result, d.NoValidDraw)
        assert_hall_violation(result, members, exclusions)
        return
    relaxed = expected_relaxation(members, exclusions, history, loop=True)
    if relaxed is None:
        assert isinstance(result, d.NoSingleLoop)
        assert result.proven
        assert_loop_proof(result, members, exclusions)
        return
    assert isinstance(result, d.Drawn)
    assert result.relaxed_years == relaxed
    assert_valid(result, members, exclusions, history)
    assert d.is_single_loop(result.assignments)
    if len(members) >= 3:
        assert not any(result.assignments[r] == g for g, r in result.assignments.items())


def assert_loop_proof(result: d.NoSingleLoop, members: list[int], exclusions: set[d.Pair]) -> None:
    """A named reason must be true of the hard constraints (history ignored)."""

    def allowed(g: int, r: int) -> bool:
        return g != r and (g, r) not in exclusions

    if result.closed_group:
        group = set(result.closed_group)
        assert group < set(members)
        assert not any(allowed(g, r) for g in group for r in set(members) - group)
    if result.cut_member is not None:
        rest = [m for m in members if m != result.cut_member]
        seen, queue = {rest[0]}, [rest[0]]
        for u in queue:
            for v in rest:
                if v not in seen and (allowed(u, v) or allowed(v, u)):
                    seen.add(v)
                    queue.append(v)
        assert seen != set(rest), "removing the cut member must split the others"
    if result.forced_loop:
        assert is_forced_loop(result.forced_loop, members, exclusions)


TINY = d.Budget(
    rejection_steps=0, enumeration_max_n=0, loop_search_work=200, mix_steps_per_participant=5
)


@PROPERTY
@given(instances())
def test_fallbacks_stay_valid_and_never_claim_a_false_impossibility(
    instance: tuple[list[int], set[d.Pair], dict[int, set[d.Pair]], int],
) -> None:
    members, exclusions, history, seed = instance
    for loop in (False, True):
        result = d.draw(
            members,
            exclusions=exclusions,
            history=history,
            single_loop=loop,
            rng=random.Random(seed),
            budget=TINY,
        )
        if find_draw(members, exclusions, loop=False) is None:
            assert isinstance(result, d.NoValidDraw)
            continue
        if isinstance(result, d.NoSingleLoop):
            assert loop
            # A proof of impossibility must be true; a bounded miss is allowed with a tiny budget.
            if result.proven:
                assert find_draw(members, exclusions, loop=True) is None
            continue
        assert isinstance(result, d.Drawn)
        assert_valid(result, members, exclusions, history)
        if loop:
            assert d.is_single_loop(result.assignments)
        else:
            assert result.algorithm == d.ALGO_RANDOMIZED_MATCHING


def test_a_very_dense_exclusion_set_does_not_crash_the_draw() -> None:
    # Given 200 members who may each give to exactly one person (39,800 exclusions, far beyond the
    # domain's limit): the rejection-cost estimate's probability underflows to 0.0.
    n = 200
    members = list(range(1, n + 1))
    allowed = {m: members[m % n] for m in members}  # one ring: 1→2→…→200→1
    exclusions = {(g, r) for g in members for r in members if g != r and allowed[g] != r}
    assert len(exclusions) > 5000
    for single_loop in (False, True):
        # When drawing, then the one valid draw comes back instead of a ZeroDivisionError.
        result = d.draw(
            members,
            exclusions=exclusions,
            history={},
            single_loop=single_loop,
            rng=random.Random(0),
        )
        assert isinstance(result, d.Drawn)
        assert result.assignments == allowed


@PROPERTY
@given(instances(), st.booleans())
def test_the_obstacle_is_a_proof_that_depends_only_on_who_takes_part(
    instance: tuple[list[int], set[d.Pair], dict[int, set[d.Pair]], int], loop: bool
) -> None:
    """`obstacle` (what a splice refusal shows the organiser) is the draw's own structural proof:
    NoValidDraw exactly when no draw exists, a NoSingleLoop only when no ring does, and the same
    answer whatever the order of the participants (no rng, no draw behind it)."""
    members, exclusions, _, seed = instance
    found = d.obstacle(members, exclusions=exclusions, single_loop=loop)
    any_draw = find_draw(members, exclusions, loop=False) is not None
    assert isinstance(found, d.NoValidDraw) == (not any_draw)
    if isinstance(found, d.NoSingleLoop):
        assert loop
        assert found.proven
        assert find_draw(members, exclusions, loop=True) is None
    if found is not None:
        result = d.draw(
            members, exclusions=exclusions, history={}, single_loop=loop, rng=random.Random(seed)
        )
        assert not isinstance(result, d.Drawn)
    shuffled = random.Random(seed).sample(members, len(members))
    assert d.obstacle(shuffled, exclusions=exclusions, single_loop=loop) == found
