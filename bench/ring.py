"""Single-loop draw in the hard regime: few allowed receivers each, `python -m bench.ring [--quick]`.

Two families of seeded instances, drawn through `draw.draw` (single loop, no history):

- random: every member may give to only k random others (k = 2..8), n = 10..200. Many have no ring
  at all (someone nobody may give to, two people who may only give to the same one, ...); what
  matters there is whether the answer is a proof or only "not found within the search limit".
  For n <= `ORACLE_MAX_N` an exact dynamic programme independent of the draw says whether a ring
  exists, so an unproven answer on a ring-free instance can be told apart from a miss.
- planted: a random ring through everyone, then k - 1 extra random receivers each: a ring exists
  by construction, so anything but a drawn ring is a miss.
- grouped (the known weak spot): members who may give to about a third of their own group of 20
  or 25, plus a few dozen random links between groups. Whether a ring exists is unknown at this
  size; "search_limit" answers are what to watch.

For each family it prints the answers by kind, the misses (planted: not drawn; random: a ring
exists yet none came back) and the worst and median time of one draw, then the two
`ring_sparse_*` lines that `bench.draw` prints too (`ring_sparse_lines`).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from app.domain import draw as d

ORACLE_MAX_N = 16
SIZES = (10, 14, 20, 30, 45, 60, 100, 150, 200)
DEGREES = (2, 3, 4, 5, 6, 8)


@dataclass(frozen=True, slots=True)
class Instance:
    family: str
    n: int
    k: int
    """allowed receivers each; for "grouped", links between groups"""
    seed: int
    members: list[int]
    exclusions: set[d.Pair]
    planted: bool


def _exclusions(members: list[int], allowed: dict[int, set[int]]) -> set[d.Pair]:
    return {(g, r) for g in members for r in members if g != r and r not in allowed[g]}


def random_instance(n: int, k: int, seed: int) -> Instance:
    """Each member may give to exactly k random others."""
    rng = random.Random(f"random-{n}-{k}-{seed}")
    members = list(range(1, n + 1))
    allowed = {g: set(rng.sample([m for m in members if m != g], min(k, n - 1))) for g in members}
    return Instance("random", n, k, seed, members, _exclusions(members, allowed), planted=False)


def planted_instance(n: int, k: int, seed: int) -> Instance:
    """A hidden random ring plus k - 1 extra random receivers each: out-degree about k."""
    rng = random.Random(f"planted-{n}-{k}-{seed}")
    members = list(range(1, n + 1))
    ring = rng.sample(members, n)
    allowed = {g: {ring[(i + 1) % n]} for i, g in enumerate(ring)}
    for g in members:
        others = [m for m in members if m != g and m not in allowed[g]]
        allowed[g] |= set(rng.sample(others, min(k - 1, len(others))))
    return Instance("planted", n, k, seed, members, _exclusions(members, allowed), planted=True)


GROUP_SHAPES = ((5, 20, 12), (8, 25, 30), (8, 25, 40), (10, 20, 40))
"""(groups, members per group, links between groups)"""


def grouped_instance(shape: tuple[int, int, int], seed: int) -> Instance:
    groups, size, links = shape
    rng = random.Random(f"grouped-{groups}-{size}-{links}-{seed}")
    n = groups * size
    members = list(range(1, n + 1))
    group = {m: (m - 1) // size for m in members}
    allowed = {
        g: {r for r in members if r != g and group[r] == group[g] and rng.random() < 0.35}
        for g in members
    }
    for _ in range(links):
        g, r = rng.choice(members), rng.choice(members)
        if group[g] != group[r]:
            allowed[g].add(r)
    return Instance("grouped", n, links, seed, members, _exclusions(members, allowed), False)


def ring_sparse_instances() -> list[Instance]:
    """The planted set `bench.draw` reports on: sparse (k = 2..4), n = 30..200."""
    return [
        planted_instance(n, k, seed)
        for n in (30, 60, 100, 200)
        for k in (2, 3, 4)
        for seed in range(4)
    ]


def stress_instances(per_cell: int) -> Iterator[Instance]:
    for n in SIZES:
        for k in DEGREES:
            if k >= n - 1:
                continue
            for seed in range(per_cell):
                yield random_instance(n, k, seed)
                yield planted_instance(n, k, seed)


def has_ring(inst: Instance) -> bool:
    """Held-Karp over subsets containing the first member (bitsets of reachable ends): exact."""
    n = len(inst.members)
    pos = {m: i for i, m in enumerate(inst.members)}
    succ = [0] * n
    for g in inst.members:
        for r in inst.members:
            if g != r and (g, r) not in inst.exclusions:
                succ[pos[g]] |= 1 << pos[r]
    full = (1 << n) - 1
    ends = [0] * (1 << n)  # ends[S] = path ends v such that a path 0 ... v covers exactly S
    ends[1] = 1
    for s in range(1, 1 << n, 2):
        e = ends[s]
        while e:
            low = e & -e
            v = low.bit_length() - 1
            e ^= low
            nxt = succ[v] & ~s
            while nxt:
                b = nxt & -nxt
                nxt ^= b
                ends[s | b] |= b
    e = ends[full]
    while e:
        low = e & -e
        e ^= low
        if succ[low.bit_length() - 1] & 1:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Timed:
    outcome: str
    seconds: float
    miss: bool


def run_one(inst: Instance, *, seed: int = 0, budget: d.Budget = d.DEFAULT_BUDGET) -> Timed:
    started = time.perf_counter()
    result = d.draw(
        inst.members,
        exclusions=inst.exclusions,
        history={},
        single_loop=True,
        rng=random.Random(seed),
        budget=budget,
    )
    elapsed = time.perf_counter() - started
    if isinstance(result, d.Drawn):
        assert d.is_single_loop(result.assignments)
        assert not set(result.assignments.items()) & inst.exclusions
        return Timed(result.algorithm, elapsed, miss=False)
    if isinstance(result, d.NoValidDraw):
        assert not inst.planted
        return Timed("no_valid_draw", elapsed, miss=False)
    if result.proven:
        assert not inst.planted, "a proof of impossibility on an instance with a ring"
        reasons = ("closed_group", "cut_member", "forced_loop")
        named = [r for r in reasons if getattr(result, r, None) not in (None, ())]
        return Timed(" ".join(["proven", *named]), elapsed, miss=False)
    miss = inst.planted or (inst.n <= ORACLE_MAX_N and has_ring(inst))
    return Timed("search_limit", elapsed, miss=miss)


def report(family: str, rows: list[tuple[Instance, Timed]]) -> None:
    kinds = Counter(t.outcome for _, t in rows)
    times = [t.seconds for _, t in rows]
    misses = [(i, t) for i, t in rows if t.miss]
    print(f"{family}: {len(rows)} instances, {dict(sorted(kinds.items()))}")
    print(
        f"{family}: misses {len(misses)}/{len(rows)}  worst {max(times):.3f} s  "
        f"median {statistics.median(times):.4f} s  total {sum(times):.1f} s"
    )
    for inst, t in misses[:10]:
        print(f"  miss n={inst.n} k={inst.k} seed={inst.seed} {t.seconds:.3f} s")
    slowest = sorted(rows, key=lambda row: -row[1].seconds)[:5]
    for inst, t in slowest:
        print(f"  slow n={inst.n} k={inst.k} seed={inst.seed} {t.seconds:.3f} s {t.outcome}")
    unknown = sum(1 for i, t in rows if t.outcome == "search_limit" and not t.miss)
    big = sum(1 for i, t in rows if t.outcome == "search_limit" and i.n > ORACLE_MAX_N)
    if family == "random":
        print(
            f"{family}: search_limit on ring-free instances (n <= {ORACLE_MAX_N}): {unknown - big}"
        )
        print(f"{family}: search_limit with n > {ORACLE_MAX_N} (truth unknown): {big}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ring")
    parser.add_argument("--per-cell", type=int, default=6, help="instances per (n, k, family)")
    parser.add_argument("--quick", action="store_true", help="2 instances per cell")
    args = parser.parse_args(argv)
    per_cell = 2 if args.quick else args.per_cell
    rows: dict[str, list[tuple[Instance, Timed]]] = {"random": [], "planted": [], "grouped": []}
    for inst in stress_instances(per_cell):
        rows[inst.family].append((inst, run_one(inst, seed=inst.seed)))
    for shape in GROUP_SHAPES:
        for seed in range(5 * per_cell):
            inst = grouped_instance(shape, seed)
            rows["grouped"].append((inst, run_one(inst, seed=seed)))
    for family, family_rows in rows.items():
        report(family, family_rows)
    for line in ring_sparse_lines():
        print(line)
    return 0


def ring_sparse_lines(repeats: int = 3) -> list[str]:
    """`ring_sparse_worst_s`: the slowest instance of `ring_sparse_instances` (each timed
    `repeats` times, its median kept, so one noisy run does not decide); `ring_sparse_found`: how
    many of them came back with a ring."""
    medians = []
    found = 0
    for inst in ring_sparse_instances():
        runs = [run_one(inst, seed=inst.seed) for _ in range(repeats)]
        medians.append(statistics.median(t.seconds for t in runs))
        found += not runs[0].miss
    return [
        f"ring_sparse_worst_s: {max(medians):.3f}",
        f"ring_sparse_found: {found}/{len(medians)}",
    ]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
