"""Single-loop mode: one ring through everyone, no mutual pair, honest about its search bound."""

from __future__ import annotations

import random

from app.domain import draw as d
from app.domain import errors as e


def _no_mutual_pair(assignments: dict[int, int]) -> bool:
    return all(assignments[r] != g for g, r in assignments.items())


def test_rings_have_one_cycle_and_no_mutual_pair() -> None:
    rng = random.Random(11)
    for n in range(3, 30):
        members = list(range(100, 100 + n))
        exclusions = {(g, r) for g in members for r in rng.sample(members, min(3, n)) if g != r}
        result = d.draw(members, exclusions=exclusions, history={}, single_loop=True, rng=rng)
        if isinstance(result, d.Drawn):
            assert d.is_single_loop(result.assignments)
            assert _no_mutual_pair(result.assignments)
            assert not set(result.assignments.items()) & exclusions


def test_two_people_form_the_only_loop() -> None:
    result = d.draw([1, 2], exclusions=set(), history={}, single_loop=True, rng=random.Random(0))
    assert isinstance(result, d.Drawn)
    assert result.assignments == {1: 2, 2: 1}


def test_a_large_ring_with_exclusions_and_history() -> None:
    rng = random.Random(5)
    members = list(range(1, 301))
    exclusions = {(g, r) for g in members for r in rng.sample(members, 3) if g != r}
    history = {
        y: set(zip(members, rng.sample(members, 300), strict=True)) for y in range(2021, 2026)
    }
    result = d.draw(members, exclusions=exclusions, history=history, single_loop=True, rng=rng)
    assert isinstance(result, d.Drawn)
    assert d.is_single_loop(result.assignments)
    assert result.relaxed_years == ()
    used = set(result.assignments.items())
    assert not used & exclusions
    assert not any(used & pairs for pairs in history.values())


def test_groups_that_only_give_among_themselves_cannot_form_a_loop() -> None:
    members = list(range(1, 41))
    left, right = set(members[:20]), set(members[20:])
    exclusions = {(g, r) for g in members for r in members if (g in left) != (r in left)}
    result = d.draw(
        members, exclusions=exclusions, history={}, single_loop=True, rng=random.Random(1)
    )
    assert isinstance(result, d.NoSingleLoop)
    assert result.proven
    assert set(result.closed_group) in (left, right)
    any_valid = d.draw(
        members, exclusions=exclusions, history={}, single_loop=False, rng=random.Random(1)
    )
    assert isinstance(any_valid, d.Drawn)
    assert all((g in right) == (r in right) for g, r in any_valid.assignments.items())


def _bridged_groups(size: int) -> tuple[list[int], set[d.Pair]]:
    """Two groups joined only through one member of each: strongly connected, a perfect matching
    exists, but no ring (the right group would need two doors)."""
    members = list(range(1, 2 * size + 1))
    left, right = members[:size], members[size:]
    exclusions = {(g, r) for g in left for r in right} | {(g, r) for g in right for r in left}
    exclusions -= {(left[0], right[0]), (right[0], left[0])}
    return members, exclusions


def test_a_member_every_ring_would_pass_twice_proves_no_loop() -> None:
    members, exclusions = _bridged_groups(15)
    result = d.draw(
        members, exclusions=exclusions, history={}, single_loop=True, rng=random.Random(3)
    )
    assert isinstance(result, d.NoSingleLoop)
    assert result.proven
    assert result.cut_member in (members[0], members[15])


def test_a_cut_member_is_proven_by_the_search_itself() -> None:
    """With the up-front cut-member check switched off, the constraint search finds the same
    obstacle on its own and says no ring exists, instead of running out of budget."""
    members, exclusions = _bridged_groups(15)
    budget = d.Budget(rejection_steps=1_000, loop_search_work=20_000, articulation_max_n=0)
    result = d.draw(
        members,
        exclusions=exclusions,
        history={},
        single_loop=True,
        rng=random.Random(3),
        budget=budget,
    )
    assert isinstance(result, d.NoSingleLoop)
    assert result.proven
    assert result.cut_member is None  # a proof, but not one the message can name


def _planted(n: int, k: int, seed: int) -> tuple[list[int], set[d.Pair]]:
    """A hidden ring plus k - 1 random extra giftees each; everything else excluded."""
    rng = random.Random(seed)
    members = list(range(1, n + 1))
    ring = rng.sample(members, n)
    allowed = {g: {ring[(i + 1) % n]} for i, g in enumerate(ring)}
    for g in members:
        allowed[g] |= set(rng.sample([m for m in members if m != g], k - 1))
    return members, {(g, r) for g in members for r in members if g != r and r not in allowed[g]}


def test_when_the_search_bound_is_hit_it_says_so_plainly() -> None:
    members, exclusions = _planted(200, 3, seed=1)
    budget = d.Budget(rejection_steps=1_000, loop_search_work=6_000)
    result = d.draw(
        members,
        exclusions=exclusions,
        history={},
        single_loop=True,
        rng=random.Random(3),
        budget=budget,
    )
    assert result == d.NoSingleLoop(proven=False)  # a ring exists: the budget is too small
    message = e.SingleLoopNotFound(proven=False).message
    assert "could not find a single loop within the search limit" in message
    assert "one may still exist" in message
    assert "any-valid-draw mode" in message


def test_hopeless_instances_stay_bounded_across_history_levels() -> None:
    """Relaxing five years one by one shares one work budget instead of multiplying it: every level
    is cut off here, and the total stays within the budget (plus at most one propagation round
    per level)."""
    members, exclusions = _planted(300, 4, seed=2)
    rng = random.Random(4)
    history = {
        y: set(zip(members, rng.sample(members, 300), strict=True)) for y in range(2021, 2026)
    }
    budget = d.Budget(rejection_steps=1_000, loop_search_work=40_000)
    result = d.draw(
        members, exclusions=exclusions, history=history, single_loop=True, rng=rng, budget=budget
    )
    assert result == d.NoSingleLoop(proven=False)
    assert isinstance(result, d.NoSingleLoop)
    assert 0 < result.work <= budget.loop_search_work + 6 * (300 + 4 * 300)
