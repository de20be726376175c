"""The Secret Santa draw: pure algorithms over member ids, randomness injected.

Why this shape (see shared/notes/eventstore-and-draw.md): greedy or restart-based draws wrongly
answer "impossible" on instances that have solutions. Here feasibility is decided exactly by
bipartite matching (augmenting paths over the allowed giver→receiver edges); when no perfect
matching exists, the failed augmenting search itself is a Hall witness: a set S of givers whose
allowed receivers N(S) number |S| - 1.

Sampling, in order of preference:
1. Rejection sampling (a lazily generated uniform permutation, rejected at the first forbidden
   pair): exactly uniform over valid draws. Skipped when the estimated cost exceeds the step budget.
2. Exhaustive enumeration with a reservoir of one (small instances only, node budget): exactly
   uniform too, and cheap precisely where rejection is hopeless (few valid draws).
3. Fallback, randomized matching: a random permutation repaired by augmenting paths into a valid
   draw, then a Markov chain of random 2-swaps and 3-rotations that keep the draw valid. The chain's
   stationary distribution is uniform over the draws it can reach, but we neither prove it reaches
   all of them nor that it mixes in the steps we give it: this fallback can be biased, and
   `algorithm` in the result says when it was used. On the usual dense instances the chain behaves
   like the random-transposition walk, which mixes in about (n/2)·ln n accepted swaps; we propose
   20·n moves. On a 20-draw test instance it passes the same chi-square test as the exact
   samplers. It is what 1,000 participants with 3 exclusions and 5 years of history get (rejection
   would need about e^9 tries there).

Single loop (one ring through everyone, hence no mutual pair when n >= 3) is a directed Hamiltonian
cycle, NP-complete in general. In order (`_sample_loop`):
1. Proofs that no ring exists, cheap and named in the refusal (`obstacle` runs the same ones): a
   closed group (the allowed graph is not strongly connected); up to `ARTICULATION_MAX_N` members, a
   cut member; a forced loop (links the exclusions force, because the giver may give to nobody else
   or nobody else may give to the receiver, closing a loop that leaves someone out).
2. Rejection over random rings: uniform over rings.
3. Exhaustive enumeration for n <= `ENUMERATION_MAX_N`: uniform, or a proof that no ring exists.
4. A search, which returns the first ring it finds (not uniform):
   - when every member may give to and receive from n members between them, a ring exists
     (Ghouila-Houri's theorem; strong connectivity was checked in 1.), and the randomized
     depth-first search finds one in about n²/2 steps without listing the allowed links: 1,000
     members with a few exclusions and past years each take ~0.04 s (`bench.draw`). Label
     `ALGO_LOOP_RANDOMIZED_SEARCH`; on a 40-ring instance some rings came up 0.6x and others 1.4x
     as often as uniform.
   - otherwise the constraint search of `ring.find_ring` (label `ALGO_LOOP_CONSTRAINT_SEARCH`):
     forced links propagated, checks on the graph of fixed chains (strong connectivity, cut
     vertex, strong bridges taken, links in no cycle cover removed), branching on the member with
     the fewest options, restarts after Luby-growing numbers of failures. It is complete: a search
     that runs to the end without finding a ring is a proof, reported without a named reason.
     Directly on the 40-ring instance, rings came up 0.7x to 1.8x as often as uniform.
   Both share `LOOP_SEARCH_WORK_BUDGET` over all history levels. When it runs out we say so ("not
   found within the search limit; one may still exist") rather than pretend no ring exists.
Measured with `python -m bench.ring` (one run each, same seeds; before = the depth-first search
alone in step 4): 324 instances with a planted ring (n = 10 to 200, 2 to 8 allowed giftees each)
all drawn, median 2 ms (before: 174 ended at the search limit, median 0.2 s); 324 random ones of
the same shape all decided, by a ring or a proof (before: 78 at the search limit); 120 groups tied
by a few dozen links (the weak spot; 20 or 25 members each, a third of their own group allowed): 9
at the search limit, 55 rings (before: 67 and 0), up to ~1 s.

History pairs (past years) are soft: the strictest level that still has a draw is used, dropping the
oldest year first, and every pair of the result that repeats an avoided year is reported.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from app.domain.ring import find_ring

Pair = tuple[int, int]

ALGO_UNIFORM_REJECTION: Final = "uniform_rejection"
ALGO_UNIFORM_ENUMERATION: Final = "uniform_enumeration"
ALGO_RANDOMIZED_MATCHING: Final = "randomized_matching"
ALGO_LOOP_UNIFORM_REJECTION: Final = "single_loop_uniform_rejection"
ALGO_LOOP_UNIFORM_ENUMERATION: Final = "single_loop_uniform_enumeration"
ALGO_LOOP_RANDOMIZED_SEARCH: Final = "single_loop_randomized_search"
ALGO_LOOP_CONSTRAINT_SEARCH: Final = "single_loop_constraint_search"

REJECTION_STEP_BUDGET: Final = 200_000
"""Random draws spent on rejection sampling before giving up on exact uniformity (~0.1-0.2 s)."""
ENUMERATION_MAX_N: Final = 10
"""Enumeration recurses once per participant; beyond this size it cannot finish within its budget
anyway."""
ENUMERATION_NODE_BUDGET: Final = 200_000
LOOP_SEARCH_WORK_BUDGET: Final = 4_000_000
"""Work the single-loop searches may spend in one draw, all history levels together (about
0.3-0.5 s of the randomized depth-first search, 0.8-1 s of the constraint search). For the former,
successor candidates scanned plus moves (a dense 1,000-person ring usually needs ~0.5 M); for the
latter, n²/8 to list the allowed links, then links listed, removed and taken, members scanned and
links followed by its checks (`ring.find_ring`; a sparse 200-person ring usually needs under
0.2 M, a sparse 1,000-person one ~1.5 M)."""
ARTICULATION_MAX_N: Final = 300
"""Up to this size, a ring is ruled out first by a cut vertex in the undirected allowed graph."""
MIX_STEPS_PER_PARTICIPANT: Final = 20


@dataclass(frozen=True, slots=True)
class Budget:
    """Work limits; tests shrink them to reach the fallbacks on small instances."""

    rejection_steps: int = REJECTION_STEP_BUDGET
    enumeration_nodes: int = ENUMERATION_NODE_BUDGET
    enumeration_max_n: int = ENUMERATION_MAX_N
    loop_search_work: int = LOOP_SEARCH_WORK_BUDGET
    mix_steps_per_participant: int = MIX_STEPS_PER_PARTICIPANT
    articulation_max_n: int = ARTICULATION_MAX_N


@dataclass(slots=True)
class _Meter:
    """Work left for the whole draw, shared by every history level, so that relaxing the years one
    by one cannot multiply the time a hopeless instance takes. Each level may spend half of what is
    left (the last level all of it): the strictest level gets the most."""

    rejection: int
    enumeration: int
    loop: int

    @classmethod
    def of(cls, budget: Budget) -> _Meter:
        return cls(budget.rejection_steps, budget.enumeration_nodes, budget.loop_search_work)

    @staticmethod
    def grant(left: int, last_level: bool) -> int:
        return left if last_level else left // 2


DEFAULT_BUDGET: Final = Budget()


@dataclass(frozen=True, slots=True)
class RepeatedPair:
    giver: int
    receiver: int
    year: int


@dataclass(frozen=True, slots=True)
class Drawn:
    """A valid draw. `relaxed_years` were history years not avoided; `repeated_pairs` lists each
    repeat."""

    assignments: dict[int, int]
    algorithm: str
    relaxed_years: tuple[int, ...] = ()
    repeated_pairs: tuple[RepeatedPair, ...] = ()


@dataclass(frozen=True, slots=True)
class NoValidDraw:
    """Hall witness under the hard constraints: every giver in `givers` may give only to
    `receivers`, and there are fewer receivers than givers.

    The same obstruction seen from the receivers' side (`blocked_receivers` may be given only by
    `their_givers`, fewer than them) is often the shorter sentence ("nobody may give to Bob"), so
    both are kept and the message picks the smaller.
    """

    givers: tuple[int, ...]
    receivers: tuple[int, ...]
    blocked_receivers: tuple[int, ...] = ()
    their_givers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class NoSingleLoop:
    """`proven`: no ring exists (exhaustive search, or a structural proof); otherwise the search
    budget ran out. `work`: search work spent over all history levels."""

    proven: bool
    work: int = field(default=0, compare=False)
    closed_group: tuple[int, ...] = ()
    """when proven this way: members who may only give among themselves (no way out of the group)"""
    cut_member: int | None = None
    """when proven this way: the member every ring would have to pass twice"""
    forced_loop: tuple[int, ...] = ()
    """when proven this way: members, in order, each of whose links to the next is forced (the
    giver may give to nobody else, or nobody else may give to the receiver), closing a loop that
    leaves the others out"""


DrawOutcome = Drawn | NoValidDraw | NoSingleLoop


def draw(
    participants: Sequence[int],
    *,
    exclusions: Collection[Pair],
    history: Mapping[int, Collection[Pair]],
    single_loop: bool,
    rng: random.Random,
    budget: Budget = DEFAULT_BUDGET,
) -> DrawOutcome:
    """Draw giver→receiver for `participants` (distinct member ids, at least two).

    `exclusions` are hard (giver, receiver) bans (two-way exclusions are given as both pairs).
    `history` maps a past year to its pairs, all of which should be avoided; the caller passes only
    the years in the avoidance window. Pairs naming non-participants are ignored.
    """
    ids = sorted(set(participants))
    if len(ids) < 2:
        return NoValidDraw(givers=tuple(ids), receivers=())
    rng.shuffle(ids)
    index = {member: i for i, member in enumerate(ids)}
    n = len(ids)

    def to_sets(pairs: Iterable[Pair]) -> list[set[int]]:
        sets: list[set[int]] = [set() for _ in range(n)]
        for giver, receiver in pairs:
            g, r = index.get(giver), index.get(receiver)
            if g is not None and r is not None:
                sets[g].add(r)
        return sets

    hard = to_sets(exclusions)
    for i in range(n):
        hard[i].add(i)
    witness = _hall_witness(n, hard, rng)
    if witness is not None:
        return _no_valid_draw(ids, hard, witness, lambda sets: _hall_witness(n, sets, rng))

    years = sorted(history, reverse=True)  # newest first: the oldest is dropped first
    year_sets = {year: to_sets(history[year]) for year in years}
    last_failure = NoSingleLoop(proven=False)
    meter = _Meter.of(budget)
    for kept in range(len(years), -1, -1):
        forbidden = [set(h) for h in hard]
        for year in years[:kept]:
            for i in range(n):
                forbidden[i] |= year_sets[year][i]
        relaxed = tuple(sorted(years[kept:]))
        if kept and _hall_witness(n, forbidden, rng) is not None:
            continue
        if single_loop:
            found = _sample_loop(n, forbidden, rng, budget, meter, last_level=kept == 0)
            if isinstance(found, NoSingleLoop):
                last_failure = found
                continue
            perm, algorithm = found
        else:
            perm, algorithm = _sample_matching(n, forbidden, rng, budget, meter)
        assignments = {ids[g]: ids[perm[g]] for g in range(n)}
        repeats = tuple(
            RepeatedPair(giver=giver, receiver=receiver, year=year)
            for year in relaxed
            for giver, receiver in sorted(history[year])
            if assignments.get(giver) == receiver
        )
        return Drawn(
            assignments=dict(sorted(assignments.items())),
            algorithm=algorithm,
            relaxed_years=relaxed,
            repeated_pairs=repeats,
        )
    spent = budget.loop_search_work - meter.loop + budget.enumeration_nodes - meter.enumeration
    # Stricter levels only remove edges, so a proof at the most relaxed level (history ignored)
    # covers them all, and its reason is the one worth telling.
    return NoSingleLoop(
        proven=last_failure.proven,
        work=spent,
        closed_group=tuple(sorted(ids[i] for i in last_failure.closed_group)),
        cut_member=ids[last_failure.cut_member] if last_failure.cut_member is not None else None,
        forced_loop=_from_smallest([ids[i] for i in last_failure.forced_loop]),
    )


def obstacle(
    participants: Collection[int], *, exclusions: Collection[Pair], single_loop: bool
) -> NoValidDraw | NoSingleLoop | None:
    """Why no draw (a single loop when `single_loop`) of `participants` can exist, when one of the
    structural checks `draw` runs first proves it: a Hall witness (`NoValidDraw`), else, for a
    single loop, a closed group, (up to `ARTICULATION_MAX_N` participants) a cut member, or a
    forced loop (`NoSingleLoop`, proven). None when they find nothing, which for a single loop does
    not mean that a ring exists.

    Deterministic, and a function of who takes part and the exclusions alone (no rng, no draw): a
    caller may show the result to someone who must learn nothing about an existing draw.
    """
    ids = sorted(set(participants))
    if len(ids) < 2:
        return NoValidDraw(givers=tuple(ids), receivers=())
    n = len(ids)
    index = {member: i for i, member in enumerate(ids)}
    hard: list[set[int]] = [{i} for i in range(n)]
    for giver, receiver in exclusions:
        g, r = index.get(giver), index.get(receiver)
        if g is not None and r is not None:
            hard[g].add(r)

    def witness_of(sets: Sequence[set[int]]) -> tuple[list[int], list[int]] | None:
        found = _perfect_matching(n, sets, list(range(n)))
        return found if isinstance(found, tuple) else None

    witness = witness_of(hard)
    if witness is not None:
        return _no_valid_draw(ids, hard, witness, witness_of)
    if not single_loop:
        return None
    closed = _closed_group(n, hard)
    if closed is not None:
        return NoSingleLoop(proven=True, closed_group=tuple(ids[i] for i in closed))
    if n <= ARTICULATION_MAX_N:
        cut = _cut_vertex(n, hard)
        if cut is not None:
            return NoSingleLoop(proven=True, cut_member=ids[cut])
    forced = _forced_loop(n, hard)
    if forced is not None:
        return NoSingleLoop(proven=True, forced_loop=_from_smallest([ids[i] for i in forced]))
    return None


def _from_smallest(loop: Sequence[int]) -> tuple[int, ...]:
    """The same loop, starting at its smallest member (one way to write it, whatever the order of
    discovery)."""
    if not loop:
        return ()
    k = loop.index(min(loop))
    return (*loop[k:], *loop[:k])


def _no_valid_draw(
    ids: Sequence[int],
    hard: Sequence[set[int]],
    witness: tuple[list[int], list[int]],
    witness_of: Callable[[Sequence[set[int]]], tuple[list[int], list[int]] | None],
) -> NoValidDraw:
    """The Hall witness in member ids, with the same obstruction seen from the receivers' side."""
    n = len(ids)
    givers, receivers = witness
    transposed: list[set[int]] = [set() for _ in range(n)]
    for g in range(n):
        for r in hard[g]:
            transposed[r].add(g)
    dual = witness_of(transposed)
    blocked, their = dual if dual is not None else ([], [])
    return NoValidDraw(
        givers=tuple(sorted(ids[g] for g in givers)),
        receivers=tuple(sorted(ids[r] for r in receivers)),
        blocked_receivers=tuple(sorted(ids[r] for r in blocked)),
        their_givers=tuple(sorted(ids[g] for g in their)),
    )


# --- matching and Hall witness --------------------------------------------------------------------


def _hall_witness(
    n: int, forbidden: Sequence[set[int]], rng: random.Random
) -> tuple[list[int], list[int]] | None:
    """None when a perfect matching exists, else (S, N(S)) with |N(S)| < |S|."""
    seed = list(range(n))
    rng.shuffle(seed)
    result = _perfect_matching(n, forbidden, seed)
    return result if isinstance(result, tuple) else None


def _perfect_matching(
    n: int, forbidden: Sequence[set[int]], seed: Sequence[int]
) -> list[int] | tuple[list[int], list[int]]:
    """Augmenting paths from a seed permutation; returns giver→receiver, or a Hall witness (S,
    N(S)).

    The search walks the complement of `forbidden`, so each breadth-first search costs about
    n + |forbidden| instead of n² on the dense graphs a Secret Santa has. When an augmenting search
    from a free giver u fails, the givers it reached (S) and the receivers it reached (exactly N(S),
    all matched to givers in S other than u) satisfy |N(S)| = |S| - 1: a self-certifying Hall
    violation.
    """
    g2r = [-1] * n
    r2g = [-1] * n
    for g, r in enumerate(seed):
        if r not in forbidden[g] and r2g[r] == -1:
            g2r[g] = r
            r2g[r] = g
    for u in range(n):
        if g2r[u] != -1:
            continue
        parent: dict[int, int] = {}
        unvisited = set(range(n))
        queue = [u]
        free_r = -1
        for g in queue:
            hits = [r for r in unvisited if r not in forbidden[g]]
            for r in hits:
                unvisited.discard(r)
                parent[r] = g
                if r2g[r] == -1:
                    free_r = r
                    break
                queue.append(r2g[r])
            if free_r != -1:
                break
        if free_r == -1:
            reached = sorted(set(range(n)) - unvisited)
            return sorted(queue), reached
        r = free_r
        while True:
            g = parent[r]
            previous = g2r[g]
            g2r[g] = r
            r2g[r] = g
            if g == u:
                break
            r = previous
    return g2r


# --- any valid draw -------------------------------------------------------------------------------


def _sample_matching(
    n: int, forbidden: Sequence[set[int]], rng: random.Random, budget: Budget, meter: _Meter
) -> tuple[list[int], str]:
    """A valid permutation (one is known to exist) and the algorithm that produced it. This mode
    samples one level only (feasibility is known beforehand), so it gets all the work."""
    if _rejection_affordable(n, forbidden, meter.rejection):
        perm, used = _reject_permutations(n, forbidden, rng, meter.rejection)
        meter.rejection -= used
        if perm is not None:
            return perm, ALGO_UNIFORM_REJECTION
    if n <= budget.enumeration_max_n:
        perm, used = _enumerate_permutations(n, forbidden, rng, meter.enumeration)
        meter.enumeration -= used
        if perm is not None:
            return perm, ALGO_UNIFORM_ENUMERATION
    return _randomized_matching(n, forbidden, rng, budget), ALGO_RANDOMIZED_MATCHING


def _rejection_affordable(n: int, forbidden: Sequence[set[int]], steps: int) -> bool:
    """Estimate (independence heuristic) the random draws rejection needs; skip it when hopeless."""
    log_p = 0.0
    total_forbidden = 0
    for i in range(n):
        k = len(forbidden[i])
        if k >= n:
            return False
        log_p += math.log1p(-k / n)
        total_forbidden += k
    per_try = min(n, n * n / max(total_forbidden, 1))
    # expected = per_try / exp(log_p), compared in log space: exp(log_p) underflows to 0.0 for very
    # dense forbidden sets (log_p below about -745), which made the division raise.
    return steps > 0 and math.log(per_try) - log_p <= math.log(2 * steps)


def _reject_permutations(
    n: int, forbidden: Sequence[set[int]], rng: random.Random, steps: int
) -> tuple[list[int] | None, int]:
    """Uniform permutations generated lazily (Fisher-Yates) and dropped at the first forbidden pair.

    Rejecting a prefix rejects every permutation extending it, so accepted draws are uniform over
    valid ones.
    """
    used = 0
    randrange = rng.randrange
    while used < steps:
        perm = list(range(n))
        for i in range(n):
            j = randrange(i, n)
            perm[i], perm[j] = perm[j], perm[i]
            used += 1
            if perm[i] in forbidden[i]:
                break
        else:
            return perm, used
    return None, used


def _enumerate_permutations(
    n: int, forbidden: Sequence[set[int]], rng: random.Random, nodes: int
) -> tuple[list[int] | None, int]:
    """Walk every valid permutation keeping one by reservoir sampling; None if the node budget runs
    out."""
    chosen: list[int] | None = None
    count = 0
    visited = 0
    perm = [-1] * n
    taken = [False] * n

    def walk(g: int) -> bool:
        nonlocal chosen, count, visited
        if g == n:
            count += 1
            if rng.randrange(count) == 0:
                chosen = list(perm)
            return True
        for r in range(n):
            if taken[r] or r in forbidden[g]:
                continue
            visited += 1
            if visited > nodes:
                return False
            taken[r] = True
            perm[g] = r
            ok = walk(g + 1)
            taken[r] = False
            if not ok:
                return False
        return True

    if not walk(0):
        return None, visited
    return chosen, visited


def _randomized_matching(
    n: int, forbidden: Sequence[set[int]], rng: random.Random, budget: Budget
) -> list[int]:
    seed = list(range(n))
    rng.shuffle(seed)
    found = _perfect_matching(n, forbidden, seed)
    if isinstance(found, tuple):  # callers check feasibility first; keep the type checker honest
        raise AssertionError("randomized matching called on an infeasible instance")
    perm = found
    randrange = rng.randrange
    for _ in range(budget.mix_steps_per_participant * n):
        a, b = randrange(n), randrange(n)
        if a == b:
            continue
        if n >= 3 and randrange(2):
            c = randrange(n)
            if c in (a, b):
                continue
            # rotate receivers a←b, b←c, c←a; the reverse rotation is proposed just as often
            # (by the triple (a, c, b)), so the chain stays symmetric
            ra, rb, rc = perm[a], perm[b], perm[c]
            if rb not in forbidden[a] and rc not in forbidden[b] and ra not in forbidden[c]:
                perm[a], perm[b], perm[c] = rb, rc, ra
        else:
            ra, rb = perm[a], perm[b]
            if rb not in forbidden[a] and ra not in forbidden[b]:
                perm[a], perm[b] = rb, ra
    return perm


# --- single loop ----------------------------------------------------------------------------------


def _sample_loop(
    n: int,
    forbidden: Sequence[set[int]],
    rng: random.Random,
    budget: Budget,
    meter: _Meter,
    *,
    last_level: bool,
) -> tuple[list[int], str] | NoSingleLoop:
    closed = _closed_group(n, forbidden)
    if closed is not None:
        return NoSingleLoop(proven=True, closed_group=tuple(closed))
    if n <= budget.articulation_max_n:
        cut = _cut_vertex(n, forbidden)
        if cut is not None:
            return NoSingleLoop(proven=True, cut_member=cut)
    forced = _forced_loop(n, forbidden)
    if forced is not None:
        return NoSingleLoop(proven=True, forced_loop=tuple(forced))
    grant = meter.grant(meter.rejection, last_level)
    if _rejection_affordable(n, forbidden, grant):
        ring, used = _reject_rings(n, forbidden, rng, grant)
        meter.rejection -= used
        if ring is not None:
            return _ring_to_perm(ring), ALGO_LOOP_UNIFORM_REJECTION
    if n <= budget.enumeration_max_n:
        grant = meter.grant(meter.enumeration, last_level)
        ring, complete, used = _loop_search(n, forbidden, rng, grant, enumerate_all=True)
        meter.enumeration -= used
        if ring is not None:
            return _ring_to_perm(ring), ALGO_LOOP_UNIFORM_ENUMERATION
        if complete:
            return NoSingleLoop(proven=True)
    grant = meter.grant(meter.loop, last_level)
    if grant <= 0:
        return NoSingleLoop(proven=False)
    if _ring_certain(n, forbidden):
        ring, complete, used = _loop_search(n, forbidden, rng, grant, enumerate_all=False)
        meter.loop -= used
        if ring is not None:
            return _ring_to_perm(ring), ALGO_LOOP_RANDOMIZED_SEARCH
        return NoSingleLoop(proven=False)  # cannot be complete: a ring exists
    setup = n * n // 8  # listing the allowed links
    if grant <= setup:
        return NoSingleLoop(proven=False)
    allowed = [{r for r in range(n) if r not in forbidden[g]} for g in range(n)]
    found = find_ring(allowed, rng, grant - setup)
    meter.loop -= setup + found.work
    if found.ring is not None:
        return _ring_to_perm(found.ring), ALGO_LOOP_CONSTRAINT_SEARCH
    return NoSingleLoop(proven=found.exhausted)


def _ring_certain(n: int, forbidden: Sequence[set[int]]) -> bool:
    """Every member may give to and receive from n members between them (Ghouila-Houri: with
    strong connectivity, checked before, a ring exists). The randomized depth-first search finds
    one in about n²/2 steps on such dense graphs, and needs no O(n²) list of allowed links."""
    receivable = [n] * n
    for g in range(n):
        for r in forbidden[g]:
            receivable[r] -= 1
    return all(n - len(forbidden[v]) + receivable[v] >= n for v in range(n))


def _forced_loop(n: int, forbidden: Sequence[set[int]]) -> list[int] | None:
    """Links forced by the exclusions alone, g→r where g may give only to r or only g may give to
    r, when they close a loop that leaves someone out (no ring then: every ring takes every forced
    link). Members in loop order. Assumes a perfect matching exists, so no member has two forced
    giftees or two forced Santas; if one does anyway, nothing is claimed."""
    santas = [n] * n
    for g in range(n):
        for r in forbidden[g]:
            santas[r] -= 1
    forced = [-1] * n
    forced_into = [False] * n
    for g in range(n):
        if len(forbidden[g]) == n - 1:
            r = next(r for r in range(n) if r not in forbidden[g])
            forced[g] = r
            forced_into[r] = True
    for r in range(n):
        if santas[r] == 1 and not forced_into[r]:
            g = next(g for g in range(n) if r not in forbidden[g])
            if forced[g] != -1:
                return None
            forced[g] = r
            forced_into[r] = True
    done = [False] * n
    for start in range(n):
        path: list[int] = []
        v = start
        while v != -1 and not done[v]:
            done[v] = True
            path.append(v)
            v = forced[v]
        if v != -1 and v in path:
            loop = path[path.index(v) :]
            if len(loop) < n:
                return loop
    return None


def _closed_group(n: int, forbidden: Sequence[set[int]]) -> list[int] | None:
    """A proper group of members who may only give among themselves, if any: then the allowed graph
    is not strongly connected and no ring exists. Turns "two groups that only give among
    themselves" into a named proof instead of an exhausted search budget."""
    reached = _reached(n, forbidden)
    if len(reached) < n:
        return sorted(reached)  # nobody reached from member 0 gives outside what 0 reaches
    backward: list[set[int]] = [set() for _ in range(n)]
    for g in range(n):
        for r in forbidden[g]:
            backward[r].add(g)
    reaching = _reached(n, backward)
    if len(reaching) < n:
        return sorted(set(range(n)) - reaching)  # those who cannot reach 0 give only among them
    return None


def _reached(n: int, forbidden: Sequence[set[int]]) -> set[int]:
    unvisited = set(range(1, n))
    queue = [0]
    for g in queue:
        hits = [r for r in unvisited if r not in forbidden[g]]
        unvisited.difference_update(hits)
        queue.extend(hits)
    return set(queue)


def _cut_vertex(n: int, forbidden: Sequence[set[int]]) -> int | None:
    """True if removing one member disconnects the others even ignoring direction. A ring minus one
    member is a path through all the others, so a ring cannot exist then. Tarjan's low-link search,
    iterative; quadratic in n, hence only for small groups."""
    if n < 3:
        return None
    neighbours = [
        [v for v in range(n) if v != u and (v not in forbidden[u] or u not in forbidden[v])]
        for u in range(n)
    ]
    order = [-1] * n
    low = [0] * n
    order[0] = low[0] = 0
    counter = 1
    root_children = 0
    stack: list[tuple[int, int, int]] = [(0, -1, 0)]  # (node, parent, next neighbour index)
    while stack:
        u, parent, i = stack[-1]
        if i < len(neighbours[u]):
            stack[-1] = (u, parent, i + 1)
            v = neighbours[u][i]
            if order[v] == -1:
                order[v] = low[v] = counter
                counter += 1
                if u == 0:
                    root_children += 1
                stack.append((v, u, 0))
            elif v != parent:
                low[u] = min(low[u], order[v])
            continue
        stack.pop()
        if parent >= 0:
            low[parent] = min(low[parent], low[u])
            if parent != 0 and low[u] >= order[parent]:
                return parent
    return 0 if root_children > 1 else None


def _ring_to_perm(ring: Sequence[int]) -> list[int]:
    perm = [-1] * len(ring)
    for k, g in enumerate(ring):
        perm[g] = ring[(k + 1) % len(ring)]
    return perm


def _reject_rings(
    n: int, forbidden: Sequence[set[int]], rng: random.Random, steps: int
) -> tuple[list[int] | None, int]:
    """Uniform rings: 0 followed by a lazily shuffled order of the rest, rejected at the first bad
    edge."""
    used = 0
    randrange = rng.randrange
    while used < steps:
        order = list(range(n))
        previous = 0
        ok = True
        for i in range(1, n):
            j = randrange(i, n)
            order[i], order[j] = order[j], order[i]
            used += 1
            if order[i] in forbidden[previous]:
                ok = False
                break
            previous = order[i]
        if ok and 0 not in forbidden[previous]:
            return order, used
    return None, used


def _loop_search(
    n: int, forbidden: Sequence[set[int]], rng: random.Random, work: int, *, enumerate_all: bool
) -> tuple[list[int] | None, bool, int]:
    """Depth-first search for a Hamiltonian cycle; returns (ring or None, whether the search
    completed).

    With `enumerate_all`, it starts at 0 (each ring counted once), visits every ring and keeps one
    by reservoir sampling: uniform. Otherwise it starts at a random node, tries successors in random
    order and stops at the first ring: fast on dense graphs, biased. Iterative, so 1,000
    participants do not hit the recursion limit. A completed search that found nothing proves no
    ring exists. `work` bounds moves plus successor candidates scanned; the work used is returned.
    """
    start = 0 if enumerate_all else rng.randrange(n)
    unvisited = set(range(n))
    unvisited.discard(start)
    path = [start]
    frames = [[w for w in unvisited if w not in forbidden[start]]]
    chosen: list[int] | None = None
    count = 0
    used = n
    randrange = rng.randrange
    while frames:
        candidates = frames[-1]
        if not candidates:
            frames.pop()
            node = path.pop()
            if node != start:
                unvisited.add(node)
            continue
        if used >= work:
            return None, False, used
        used += 1
        k = randrange(len(candidates))
        w = candidates[k]
        candidates[k] = candidates[-1]
        candidates.pop()
        if w not in unvisited:
            continue
        unvisited.discard(w)
        path.append(w)
        if not unvisited:
            if start not in forbidden[w]:
                if not enumerate_all:
                    return list(path), True, used
                count += 1
                if randrange(count) == 0:
                    chosen = list(path)
            path.pop()
            unvisited.add(w)
            continue
        used += len(unvisited)
        frames.append([x for x in unvisited if x not in forbidden[w]])
    return chosen, True, used


# --- checks shared by the decider and the tests ---------------------------------------------------


def is_valid_assignment(assignments: Mapping[int, int], participants: Collection[int]) -> bool:
    """A bijection on `participants` with no one giving to themselves."""
    members = set(participants)
    return (
        set(assignments) == members
        and set(assignments.values()) == members
        and all(g != r for g, r in assignments.items())
    )


def is_single_loop(assignments: Mapping[int, int]) -> bool:
    """One cycle through everyone (for two people, the only possible loop A→B→A)."""
    if not assignments:
        return False
    start = next(iter(assignments))
    node = assignments[start]
    steps = 1
    while node != start:
        if node not in assignments or steps > len(assignments):
            return False
        node = assignments[node]
        steps += 1
    return steps == len(assignments)
