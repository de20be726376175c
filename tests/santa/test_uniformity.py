"""Exact samplers are uniform over valid draws: chi-square against the oracle's full list.

The statistic is computed here (scipy is not installed). Critical values are for alpha = 0.001 from
a standard table; every run is seeded, so the outcome is deterministic, and a biased sampler (such
as randomized backtracking, 0.65-1.61x on small cases) fails it by a wide margin.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from app.domain import draw as d

from .oracle import all_draws

CHI2_CRITICAL_0_001 = {5: 20.515, 9: 27.877, 11: 31.264, 19: 43.820, 39: 72.055}

MEMBERS = [10, 20, 30, 40, 50]
EXCLUSIONS = {(10, 20), (20, 10), (30, 40)}  # a two-way and a one-way exclusion
LOOP_MEMBERS = [1, 2, 3, 4, 5, 6]
LOOP_EXCLUSIONS = {(1, 2), (2, 1), (3, 4), (4, 3), (5, 6)}


def chi_square(counts: Counter[tuple[int, ...]], cells: list[tuple[int, ...]], total: int) -> float:
    expected = total / len(cells)
    return sum((counts[cell] - expected) ** 2 / expected for cell in cells)


def sample(
    members: list[int],
    exclusions: set[d.Pair],
    *,
    loop: bool,
    budget: d.Budget,
    total: int,
    seed: int,
) -> tuple[Counter[tuple[int, ...]], set[str]]:
    rng = random.Random(seed)
    counts: Counter[tuple[int, ...]] = Counter()
    algorithms: set[str] = set()
    for _ in range(total):
        result = d.draw(
            members, exclusions=exclusions, history={}, single_loop=loop, rng=rng, budget=budget
        )
        assert isinstance(result, d.Drawn)
        algorithms.add(result.algorithm)
        counts[tuple(result.assignments[m] for m in members)] += 1
    return counts, algorithms


@pytest.mark.parametrize(
    ("budget", "algorithm"),
    [
        (d.DEFAULT_BUDGET, d.ALGO_UNIFORM_REJECTION),
        (d.Budget(rejection_steps=0), d.ALGO_UNIFORM_ENUMERATION),
    ],
)
def test_any_valid_draw_is_uniform(budget: d.Budget, algorithm: str) -> None:
    cells = all_draws(MEMBERS, EXCLUSIONS, loop=False)
    assert len(cells) == 20
    total = 100 * len(cells)
    counts, algorithms = sample(
        MEMBERS, EXCLUSIONS, loop=False, budget=budget, total=total, seed=2026
    )
    assert algorithms == {algorithm}
    assert set(counts) == set(cells)
    assert chi_square(counts, cells, total) < CHI2_CRITICAL_0_001[len(cells) - 1]


@pytest.mark.parametrize(
    ("budget", "algorithm"),
    [
        (d.DEFAULT_BUDGET, d.ALGO_LOOP_UNIFORM_REJECTION),
        (d.Budget(rejection_steps=0), d.ALGO_LOOP_UNIFORM_ENUMERATION),
    ],
)
def test_single_loop_draw_is_uniform_over_rings(budget: d.Budget, algorithm: str) -> None:
    cells = all_draws(LOOP_MEMBERS, LOOP_EXCLUSIONS, loop=True)
    assert len(cells) == 40
    total = 60 * len(cells)
    counts, algorithms = sample(
        LOOP_MEMBERS, LOOP_EXCLUSIONS, loop=True, budget=budget, total=total, seed=1224
    )
    assert algorithms == {algorithm}
    assert set(counts) == set(cells)
    assert chi_square(counts, cells, total) < CHI2_CRITICAL_0_001[len(cells) - 1]


def test_the_randomized_fallback_reaches_every_valid_draw() -> None:
    """The fallback is not claimed uniform, only that its swap/rotation chain reaches every draw
    here; its measured spread is kept loose on purpose (documented bias, not a uniformity
    guarantee)."""
    budget = d.Budget(rejection_steps=0, enumeration_max_n=0)
    cells = all_draws(MEMBERS, EXCLUSIONS, loop=False)
    total = 100 * len(cells)
    counts, algorithms = sample(MEMBERS, EXCLUSIONS, loop=False, budget=budget, total=total, seed=7)
    assert algorithms == {d.ALGO_RANDOMIZED_MATCHING}
    assert set(counts) == set(cells)
    assert max(counts.values()) < 3 * min(counts.values())


def test_chi_square_detects_a_biased_sampler() -> None:
    """The test has teeth: a sampler that favours one draw 2:1 fails it."""
    cells = all_draws(MEMBERS, EXCLUSIONS, loop=False)
    counts: Counter[tuple[int, ...]] = Counter({cell: 100 for cell in cells})
    counts[cells[0]] += 100
    counts[cells[1]] -= 50
    counts[cells[2]] -= 50
    assert chi_square(counts, cells, 100 * len(cells)) > CHI2_CRITICAL_0_001[len(cells) - 1]
