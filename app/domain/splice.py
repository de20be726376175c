"""Changes after the draw that keep everyone else's giftee: splicing a leaver out, a late joiner in.

Pure and separate from the decider for the same reason as `draw`: the search is the hard part, and
it is easiest to test on plain maps. A redraw would tell every Santa a new giftee and let people
compare notes; these plans change only a few pairs. Among the allowed plans the choice avoids,
in this order, dissolving a pair whose gift is already marked sent or received, repeating a pair
from an avoided past year, and changing more pairs than needed; ties are broken at random (rng
injected). See `_pick`.

A leaver is spliced out whenever a valid draw of the others exists (a single loop if the season was
drawn as one). A refusal says why, about the others and the exclusions alone, never about the
draw: a Hall witness or, for a loop, a closed group, cut member or forced loop (`draw.obstacle`);
else that an exhaustive search found no ring; else, for large hard cases only, that none was found
within the search limit. The search for the plan, in order (`splice_out`):

1. The cheap plans, all of them: A→B alone; in a single loop every plan changing three givers
   (the ring minus the leaver is a path B…A; cut it into three runs and reconnect them the one
   other way), which includes moving A or B elsewhere; otherwise every swap with one other pair.
   When the best of these dissolves no mark but the leaver's Santa's and repeats no past pair,
   nothing can beat it and it is taken (the usual case; O(n), or O(n²) set look-ups for a loop
   whose direct link is excluded). Otherwise, if there is none, `draw.obstacle` may already
   prove that nothing else exists either.
2. Without a loop: the cheapest chain A takes X's giftee, X takes Y's, …, the last takes B (a
   shortest augmenting path, Dijkstra over givers; O(n²) at worst). With cost = the `_pick` score
   this is exact over every valid draw of the others (a min-cost perfect matching one
   augmentation away from the old draw), and when no chain exists there is no valid draw.
3. In a single loop, first a good ring fast (`_patched_ring`): the chain of step 2, whose cycles
   are then merged by exchanging giftees (Karp's patching). Then branch and bound over the ways
   to cut the path into k runs and reconnect them into one ring, k = 4, 5, … (iterative
   deepening on the number of changed pairs; pruned by the best plan so far, by one change owed
   per stretch still unplaced, and by members with few allowed giftees or Santas), within
   `SEARCH_WORK_BUDGET`. Exact over the levels it completes; for small groups that is every ring.
4. When all that finds no ring: `draw.draw` over the others, which may change many pairs; if it
   finds none either, the refusal says whether that is proven.
"""

from __future__ import annotations

import heapq
import math
import random
from array import array
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Generic, Literal, TypeVar

from app.domain import draw as drawing

Pair = tuple[int, int]
T = TypeVar("T")

SEARCH_WORK_BUDGET: Final = 1_000_000
"""Positions and pairs the single-loop branch and bound may examine in one splice (at most ~0.2 s).
It settles every ring of a small group (in tests, every group of up to fifteen others whose
exclusions leave no ring); for large groups it improves on the patched ring where it can. It runs only when the cheap plans are blocked, dissolve a mark or
repeat a past pair."""
TIGHT: Final = 6
"""A member allowed at most this many giftees (or Santas) among the others is checked at every step
of the ring search."""
MAX_TIGHT: Final = 40
PATCH_PAIRS: Final = 20_000
"""Pairs of unchanged givers the patching samples per merge, on top of every pair involving a giver
whose giftee already changed."""
MAX_RUNS: Final = 60
"""The branch and bound recurses once per run of kept pairs; a group larger than this is never
searched exhaustively (`draw.draw` decides instead)."""

Blocked = Literal["too_few", "loop_blocked", "swap_blocked"]
"""Why no splice-out exists: "too_few", one participant would remain; "loop_blocked", the season
is a single loop and no single loop through the others exists (or, when the `NoSingleLoop`
obstacle is not `proven`, none was found within the search limit); "swap_blocked", no valid draw
of the others exists at all (the obstacle is a Hall witness). The names predate the complete
search, when they meant that the cheap plans were blocked."""


@dataclass(frozen=True, slots=True)
class Splice:
    reassigned: dict[int, int]
    """giver → new giftee, for every giver whose giftee changes (a newcomer's own pair included)"""
    repeats: tuple[tuple[int, int, int], ...]
    """(giver, receiver, year) for every new pair that repeats an avoided past year"""


@dataclass(frozen=True, slots=True)
class NoSplice:
    blocked: Blocked
    obstacle: drawing.NoValidDraw | drawing.NoSingleLoop | None = None
    """Why no valid draw of the others exists, from `draw` and about the others alone (None for
    "too_few"): a `NoValidDraw` (Hall witness) in either mode; a `NoSingleLoop` only for
    "loop_blocked" when a draw exists but no ring does (or none was found)."""


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
    search_work: int = SEARCH_WORK_BUDGET,
    budget: drawing.Budget = drawing.DEFAULT_BUDGET,
) -> Splice | NoSplice:
    """Take `leaver` out of a valid draw (a ring when `single_loop`): the best plan in `_pick`'s
    order over the valid draws of the others (see the module docstring for how far the search is
    exact), or why none exists.

    A→L→B becomes A→B when allowed. `marked` holds the pairs of the draw whose gift is marked sent
    or received; A→L and L→B go in every plan, so their marks never decide. A two-person loop is a
    mutual pair by necessity; any ring of three or more has none.
    """
    if len(assignments) - 1 < 2:
        return NoSplice("too_few")
    a = _santa_of(assignments, leaver)
    b = assignments[leaver]
    if a is None:
        raise ValueError("splice_out needs a valid draw (a bijection) that includes the leaver")
    excluded = exclusions if isinstance(exclusions, set | frozenset) else set(exclusions)
    others = sorted(g for g in assignments if g != leaver)
    costs = _Costs(assignments, marked, history)
    blocked: Blocked = "loop_blocked" if single_loop else "swap_blocked"

    path: list[int] = []
    if single_loop:
        path = [b]
        while path[-1] != a and len(path) < len(others):
            path.append(assignments[path[-1]])
        if path[-1] != a or len(path) != len(others):
            raise ValueError("a single-loop splice needs the draw to be one ring")
        cheap = _cheap_loop_plans(path, excluded, costs, rng)
    else:
        cheap = _cheap_swaps(assignments, leaver, a, b, excluded, costs, rng)

    best: dict[int, int] | None = None
    bound = _UNBOUNDED
    if cheap is not None:
        bound, best = cheap
        if bound == costs.least(a, len(best)):
            return _splice(best, history)  # no mark but A's dissolved, no repeat: nothing beats it
    else:
        obstacle = drawing.obstacle(others, exclusions=excluded, single_loop=single_loop)
        if obstacle is not None:
            return NoSplice(blocked, obstacle)

    exhausted = False
    if single_loop:
        patched = _patched_ring(assignments, leaver, a, b, excluded, costs, rng)
        if patched is not None and costs.of(patched) < bound:
            best, bound = patched, costs.of(patched)
        search = _RingSearch(path, excluded, costs, rng, search_work)
        found = search.run(bound)
        exhausted = search.exhausted
    else:
        found = _cheapest_chain(assignments, leaver, a, b, excluded, costs, bound, rng)
    if found is not None:
        best = found
    if best is not None:
        return _splice(best, history)
    if not single_loop:  # no chain from A to B means no perfect matching: Hall has a witness
        raise AssertionError("no chain from the leaver's Santa, yet a valid draw of the others")
    if exhausted:
        return NoSplice(blocked, drawing.NoSingleLoop(proven=True))
    drawn = drawing.draw(
        others, exclusions=excluded, history=history, single_loop=True, rng=rng, budget=budget
    )
    if isinstance(drawn, drawing.Drawn):
        return _splice({g: r for g, r in drawn.assignments.items() if assignments[g] != r}, history)
    proven = isinstance(drawn, drawing.NoValidDraw) or drawn.proven
    return NoSplice(blocked, drawing.NoSingleLoop(proven=proven))


def _splice(changes: dict[int, int], history: Mapping[int, Collection[Pair]]) -> Splice:
    return Splice(reassigned=changes, repeats=_repeats(history, changes))


_UNBOUNDED: Final = 1 << 62


class _Costs:
    """A plan's `_pick` score as one integer, so that searches can add it up pair by pair.

    Giving a giver a new giftee costs 1 (a changed pair), plus `w2` per avoided year the new pair
    repeats, plus `w1` if the giver's old pair was marked. `w2` exceeds any number of changes and
    `w1` any sum of repeats and changes, so integers compare like (marks, repeats, changes).
    """

    def __init__(
        self,
        assignments: Mapping[int, int],
        marked: Collection[Pair],
        history: Mapping[int, Collection[Pair]],
    ) -> None:
        size = len(assignments)
        self.w2 = size + 1
        self.w1 = self.w2 * (len(history) * size + 1)
        marks = marked if isinstance(marked, set | frozenset) else set(marked)
        self._marked = {g for g, r in assignments.items() if (g, r) in marks}
        self.repeats: dict[Pair, int] = {}
        for pairs in history.values():
            for pair in pairs:
                self.repeats[pair] = self.repeats.get(pair, 0) + 1

    def base(self, giver: int) -> int:
        """The cost of any new giftee for `giver` that repeats no past pair."""
        return self.w1 + 1 if giver in self._marked else 1

    def jump(self, giver: int, receiver: int) -> int:
        return self.base(giver) + self.w2 * self.repeats.get((giver, receiver), 0)

    def of(self, changes: Mapping[int, int]) -> int:
        return sum(self.jump(g, r) for g, r in changes.items())

    def least(self, santa: int, changes: int) -> int:
        """The lowest conceivable cost of a plan with `changes` changed pairs: every plan gives the
        leaver's Santa a new giftee, so only that mark is certain."""
        return self.base(santa) + changes - 1


@dataclass(slots=True)
class _Ties(Generic[T]):
    """The cheapest plans offered so far (as compact keys); one is chosen uniformly with a single
    rng call, like `_pick`."""

    cost: int = _UNBOUNDED
    keys: list[T] = field(default_factory=list)

    def offer(self, cost: int, key: T) -> None:
        if cost < self.cost:
            self.cost, self.keys = cost, [key]
        elif cost == self.cost:
            self.keys.append(key)

    def choose(self, rng: random.Random) -> T:
        return self.keys[rng.randrange(len(self.keys))]

    def best(self, rng: random.Random) -> tuple[int, T] | None:
        return (self.cost, self.choose(rng)) if self.keys else None


def _cheap_swaps(
    assignments: Mapping[int, int],
    leaver: int,
    a: int,
    b: int,
    excluded: Collection[Pair],
    costs: _Costs,
    rng: random.Random,
) -> tuple[int, dict[int, int]] | None:
    """A→B, and every swap with one other pair: A takes C's giftee D and C takes B. These are all
    the plans changing one or two givers."""

    def ok(giver: int, receiver: int) -> bool:
        return giver != receiver and (giver, receiver) not in excluded

    ties: _Ties[dict[int, int]] = _Ties()
    if ok(a, b):
        ties.offer(costs.jump(a, b), {a: b})
    for c, d in assignments.items():
        if c not in (a, leaver) and ok(a, d) and ok(c, b):
            ties.offer(costs.jump(a, d) + costs.jump(c, b), {a: d, c: b})
    return ties.best(rng)


def _cheap_loop_plans(
    path: Sequence[int], excluded: Collection[Pair], costs: _Costs, rng: random.Random
) -> tuple[int, dict[int, int]] | None:
    """A→B, and every plan changing three givers (a ring never changes exactly two).

    `path` is the ring without the leaver, from B to A. Cut after positions i < j into runs
    [0..i], [i+1..j], [j+1..A] and reconnect them the other way round: i→j+1, A→i+1, j→B. Moving
    A (j = A-1) or B (i = 0) elsewhere in the ring are the special cases. O(m²) look-ups at worst,
    skipped when A→B is allowed and repeats nothing.
    """
    m = len(path)
    a, b = path[-1], path[0]
    direct: _Ties[dict[int, int]] = _Ties()
    if (a, b) not in excluded:
        direct.offer(costs.jump(a, b), {a: b})
        if direct.cost == costs.least(a, 1):
            return direct.best(rng)
    w2, repeats = costs.w2, costs.repeats
    best, ties = direct.cost, array("q")  # plans as i * m + j: up to m²/2 of them may tie
    givers = [i for i in range(m - 2) if (a, path[i + 1]) not in excluded]
    closers = [j for j in range(1, m - 1) if (path[j], b) not in excluded]
    close_cost = [0] * m
    for j in closers:
        close_cost[j] = costs.jump(path[j], b)
    for i in givers:
        gi = path[i]
        first = costs.jump(a, path[i + 1]) + costs.base(gi)
        for j in closers[bisect_right(closers, i) :]:
            cost = first + close_cost[j]
            if cost > best:
                continue
            receiver = path[j + 1]
            if (gi, receiver) in excluded:
                continue
            if repeats:
                cost += w2 * repeats.get((gi, receiver), 0)
                if cost > best:
                    continue
            if cost < best:
                best, ties = cost, array("q")
            ties.append(i * m + j)
    if not ties:
        return direct.best(rng)
    i, j = divmod(ties[rng.randrange(len(ties))], m)
    return best, {path[i]: path[j + 1], a: path[i + 1], path[j]: b}


def _cheapest_chain(
    assignments: Mapping[int, int],
    leaver: int,
    a: int,
    b: int,
    excluded: Collection[Pair],
    costs: _Costs,
    bound: int,
    rng: random.Random,
) -> dict[int, int] | None:
    """The cheapest plan costing less than `bound` (no loop to keep), or None.

    A plan is a chain: A takes X₁'s giftee, X₁ takes X₂'s, …, Xₖ takes B (swapped cycles of old
    pairs would only add cost). With the old pairs as a matching of every giver but A, that is an
    augmenting path, and the cheapest one gives the cheapest valid draw of the others (successive
    shortest paths; all costs are positive). Dijkstra over givers, ties at random; with no bound,
    None means no valid draw of the others exists.
    """
    santa_of = {r: g for g, r in assignments.items()}
    receivers = [r for r in assignments if r != leaver]
    rng.shuffle(receivers)
    w2, repeats = costs.w2, costs.repeats
    dist = {a: 0}
    via: dict[int, int] = {}  # giver → the giver who takes their old giftee
    heap = [(0, rng.random(), a)]
    done: set[int] = set()
    best, last = bound, None
    while heap:
        d, _, g = heapq.heappop(heap)
        if g in done:
            continue
        done.add(g)
        step = d + costs.base(g)
        if step >= best:
            continue
        own = assignments[g]
        for r in receivers:
            if r in (own, g) or (g, r) in excluded:
                continue
            cost = step + w2 * repeats.get((g, r), 0) if repeats else step
            if cost >= best:
                continue
            if r == b:
                best, last = cost, g
                continue
            h = santa_of[r]
            if h not in done and cost < dist.get(h, _UNBOUNDED):
                dist[h] = cost
                via[h] = g
                heapq.heappush(heap, (cost, rng.random(), h))
    if last is None:
        return None
    changes = {last: b}
    g = last
    while g != a:
        changes[via[g]] = assignments[g]
        g = via[g]
    return changes


def _patched_ring(
    assignments: Mapping[int, int],
    leaver: int,
    a: int,
    b: int,
    excluded: Collection[Pair],
    costs: _Costs,
    rng: random.Random,
) -> dict[int, int] | None:
    """A ring through the others that keeps many old pairs, found fast (a heuristic): the cheapest
    chain (`_cheapest_chain`) gives a valid draw of the others with few changes but perhaps
    several cycles; two cycles merge when a giver in each takes the other's giftee, and the
    cheapest such exchange is made until one ring is left (Karp's patching). Exchanges involving a
    giver whose giftee already changed cost least and are all looked at; other pairs are sampled,
    up to `PATCH_PAIRS`. None when no valid draw exists or the patching gets stuck.
    """
    chain = _cheapest_chain(assignments, leaver, a, b, excluded, costs, _UNBOUNDED, rng)
    if chain is None:
        return None
    ring = {g: r for g, r in assignments.items() if g != leaver}
    ring.update(chain)
    cycle_of: dict[int, int] = {}
    for start in ring:
        if start not in cycle_of:
            g = start
            while g not in cycle_of:
                cycle_of[g] = start
                g = ring[g]
    members = list(ring)

    def cost(giver: int, receiver: int) -> int:
        return 0 if receiver == assignments[giver] else costs.jump(giver, receiver)

    while len(set(cycle_of.values())) > 1:
        best: tuple[int, int, int] | None = None

        def consider(u: int, v: int) -> None:
            nonlocal best
            ru, rv = ring[u], ring[v]
            if cycle_of[u] == cycle_of[v] or (u, rv) in excluded or (v, ru) in excluded:
                return
            delta = cost(u, rv) + cost(v, ru) - cost(u, ru) - cost(v, rv)
            if best is None or delta < best[0]:
                best = (delta, u, v)

        rng.shuffle(members)
        changed = [g for g in members if ring[g] != assignments[g]]
        for u in changed:
            for v in members:
                consider(u, v)
        if best is None or best[0] > 2:  # two unchanged givers cost at least 2 more
            sample = members[: math.isqrt(PATCH_PAIRS)]  # shuffled above
            for u in sample:
                for v in sample:
                    consider(u, v)
        if best is None:
            return None
        _, u, v = best
        ring[u], ring[v] = ring[v], ring[u]
        merged, into = cycle_of[v], cycle_of[u]
        for g in members:
            if cycle_of[g] == merged:
                cycle_of[g] = into
    return {g: r for g, r in ring.items() if r != assignments[g]}


class _OutOfWork(Exception):
    pass


class _RingSearch:
    """Branch and bound over the rings through `path` (B…A, the old ring without the leaver) that
    cost less than a bound, fewest changed pairs first.

    A ring keeps some old pairs: cut the path after every giver whose giftee changes and the runs
    between cuts are kept. The search walks the new ring from B: take a run starting at the current
    head and ending at some tail t (longest first), then jump from t to an unused position y (a new
    pair), which starts the next run, until every position is used and the last tail jumps to B.
    Every stretch of unused positions must still end in a tail (its last position gives to someone
    already placed, or is A), so it owes at least that giver's cost: the bound prunes on the cost
    so far plus those debts, and on the number of runs.

    Level k admits rings of at most k runs (k changed pairs) and keeps those with exactly k; the
    levels start at 4 (the cheap plans cover fewer) and end when a level cannot beat the bound, the
    work budget is spent, or k = m (then every ring has been seen: `exhausted`).
    """

    def __init__(
        self,
        path: Sequence[int],
        excluded: Collection[Pair],
        costs: _Costs,
        rng: random.Random,
        work: int,
    ) -> None:
        self.path = path
        self.m = len(path)
        self.excluded = excluded
        self.costs = costs
        self.base = [costs.base(g) for g in path]
        self.rng = rng
        self.work = work
        self.exhausted = False
        self.ties: _Ties[dict[int, int]] = _Ties()
        # members with few allowed giftees (or Santas): checked at every step, so that a branch
        # that has used up all of them dies at once instead of deep down
        at = {g: i for i, g in enumerate(path)}
        barred_out, barred_in = [0] * self.m, [0] * self.m
        for giver, receiver in excluded:
            i, j = at.get(giver), at.get(receiver)
            if i is not None and j is not None and i != j:
                barred_out[i] += 1
                barred_in[j] += 1
        few = self.m - 1 - TIGHT
        self.tight_out = [
            (u, [v for v in range(self.m) if v != u and (path[u], path[v]) not in excluded])
            for u in sorted(range(self.m), key=lambda u: -barred_out[u])[:MAX_TIGHT]
            if barred_out[u] >= few
        ]
        self.tight_in = [
            (v, [u for u in range(self.m) if u != v and (path[u], path[v]) not in excluded])
            for v in sorted(range(self.m), key=lambda v: -barred_in[v])[:MAX_TIGHT]
            if barred_in[v] >= few
        ]

    def run(self, bound: int) -> dict[int, int] | None:
        m = self.m
        self.ties = _Ties(cost=bound)
        if m <= 3:  # the cheap plans were every ring
            self.exhausted = True
            return None
        for runs in range(4, min(m, MAX_RUNS) + 1):
            if self.costs.least(self.path[-1], runs) >= self.ties.cost:
                break  # no ring with this many changes (or more) can beat the best one
            try:
                self._level(runs)
            except _OutOfWork:
                break
            if runs == m:
                self.exhausted = True
        return self.ties.choose(self.rng) if self.ties.keys else None

    def _level(self, runs: int) -> None:
        m, path, base, excluded = self.m, self.path, self.base, self.excluded
        w2, repeats = self.costs.w2, self.costs.repeats
        used = [False] * m
        order: list[tuple[int, int]] = []  # the runs placed so far, (head, tail), in ring order
        rng = self.rng

        def spend(amount: int) -> None:
            self.work -= amount
            if self.work < 0:
                raise _OutOfWork

        def jump_cost(t: int, y: int) -> int:
            cost = base[t]
            if repeats:
                cost += w2 * repeats.get((path[t], path[y]), 0)
            return cost

        tight_out, tight_in = self.tight_out, self.tight_in

        def dead_end(t: int) -> bool:
            """After a run ending at t, which will now jump elsewhere than B: does some member
            with few allowed giftees have to give (their old giftee is taken) and find every one
            of them taken, or some member with few allowed Santas have to be given to, with every
            one of them placed?"""
            spend(len(tight_out) + len(tight_in))
            for u, giftees in tight_out:
                if used[u] or (u + 1 < m and not used[u + 1]):
                    continue  # settled, or may still keep its old giftee
                if not any(v == 0 or not used[v] for v in giftees):
                    return True
            for v, santas in tight_in:
                if v == 0:
                    if not any(not used[u] for u in santas):
                        return True
                elif (
                    not used[v]
                    and used[v - 1]
                    and not any(not used[u] or (u == t and v != t + 1) for u in santas)
                ):
                    return True
            return False

        def plan() -> dict[int, int]:
            heads = [h for h, _ in order[1:]] + [0]
            return {path[t]: path[h] for (_, t), h in zip(order, heads, strict=True)}

        def at_head(h: int, cost: int, owed: int, stretches: int) -> None:
            """Place a run from `h` (the start of an unused stretch). `owed`: the base cost of the
            last position of every unused stretch; `stretches`: how many there are."""
            end = h
            while end + 1 < m and not used[end + 1]:
                end += 1
            for q in range(h, end + 1):
                used[q] = True
            for t in range(end, h - 1, -1):
                if t < end:
                    used[t + 1] = False
                spend(1)
                if t == end:
                    left_owed, left = owed - base[end], stretches - 1
                else:
                    left_owed, left = owed, stretches
                placed = len(order) + 1
                if placed + left > runs:
                    continue
                after_jump = cost + base[t]
                if after_jump + left_owed > self.ties.cost:
                    continue
                order.append((h, t))
                if left == 0:
                    if placed == runs and (path[t], path[0]) not in excluded:
                        self.ties.offer(cost + jump_cost(t, 0), plan())
                elif not dead_end(t):
                    starts: list[int] = []
                    splits: list[int] = []
                    for y in range(1, m):
                        if not used[y] and y != t + 1:
                            (starts if used[y - 1] else splits).append(y)
                    spend(m)
                    rng.shuffle(starts)
                    rng.shuffle(splits)
                    targets = starts + splits if placed + left + 1 <= runs else starts
                    for y in targets:
                        if (path[t], path[y]) in excluded:
                            continue
                        split = not used[y - 1]
                        more_owed = left_owed + base[y - 1] if split else left_owed
                        stretches_after = left + 1 if split else left
                        if placed + stretches_after > runs:
                            continue
                        new_cost = cost + jump_cost(t, y)
                        if new_cost + more_owed > self.ties.cost:
                            continue
                        at_head(y, new_cost, more_owed, stretches_after)
                order.pop()
            used[h] = False

        at_head(0, 0, base[m - 1], 1)


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
