"""One ring through everyone (a directed Hamiltonian cycle) by constraint propagation and restarts.

Pure, randomness injected; `draw` calls it when its uniform samplers are out of reach and the group
is not dense enough for its plain depth-first search. The graph is given as allowed giftee sets
over members 0..n-1.

Search state: every member has a set of possible giftees (`out`) and of possible Santas (`inn`),
kept in step (a link is in both or in neither). Taken links form chains; each chain knows its
first and last member.

Propagation, after every change, to a fixpoint (`propagate`):
- a member with no possible giftee, or no possible Santa, fails the branch;
- a member with exactly one possible giftee (or Santa) takes that link;
- taking a link g→r removes g's other giftees and r's other Santas (one gift each way), joins the
  chains, and removes the link from the new chain's last member back to its first unless the chain
  already holds everyone (no ring may close early).

Checks on the chain graph (each chain one node; `_Search.chain_check`), at the root and then
whenever their cost is repaid by `CHECK_RATIO` times as much other work, and again after they
changed something:
- every chain must reach every other (strong connectivity), and no chain may be a cut vertex;
- a strong bridge (a link without which some chain could not reach another) is in every ring, so
  it is taken;
- a link in no cycle cover (no way to give every chain one giftee and one Santa using it) is in no
  ring, so it is removed; with no cycle cover at all there is no ring.

Branching: the member with the fewest options (as giver or as receiver) first; one of its links, at
random, is taken (left branch) or removed (right branch). Branching on one link at a time keeps
the search complete: when both branches of the first decision fail, no ring exists, which the
search reports as a proof (`exhausted`).

A single long depth-first search can stay stuck under one bad early choice, so the search restarts
from the root with fresh random choices after a growing number of failed branches (`RESTART_UNIT`
times Luby's sequence 1, 1, 2, 1, 1, 2, 4, ...: within a logarithmic factor of the best fixed
cutoff for any instance). A refuted first decision stays refuted across restarts (the link is
removed at the root), and a restart that runs its tree to the end without being cut off is a
complete search: if it found nothing, that is a proof. The work spent (links listed, removed and
taken, members scanned, links followed by the checks) is bounded by the caller.

Measured (`python -m bench.ring`, and planted or random instances with up to 1,000 members, 2 to 8
allowed giftees each): every ring found, in milliseconds (~0.3 s at 1,000 members); every
ring-free instance proved so, in milliseconds. Hardest seen: groups whose members may give within
their own group plus a few dozen links between groups (`bench.ring`'s "grouped"): 9 in 120 hit
the 4 M work budget of a draw.

Not uniform over rings: the first ring found is returned.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

RESTART_UNIT: Final = 8
"""Failed branches allowed to the first restart; later ones get multiples (Luby's sequence)."""
CHECK_RATIO: Final = 1
"""The chain-graph checks run once the work since the last one is at least this many times what
the last one cost (so they take about half the time at most); 4 or 8 made 1,000-member sparse
rings 2-3x faster but left more structured instances unsolved."""


@dataclass(frozen=True, slots=True)
class RingSearch:
    """`ring`: members in ring order, or None. `exhausted`: the search was complete, so None means
    no ring exists. `work`: what it spent."""

    ring: list[int] | None
    exhausted: bool
    work: int


def find_ring(allowed: Sequence[Collection[int]], rng: random.Random, work: int) -> RingSearch:
    """A ring through 0..n-1 (n >= 2) using only links g→r with r in `allowed[g]` (no g→g), within
    about `work` units of work: nothing is done when listing the links already costs that much, a
    chain-graph check starts only while what the last one cost (at first a guess: ten times the
    listing) still fits, and propagation, linear in the links, may overrun by one round. So tiny
    budgets skip the checks and the proofs they give; from a few tens of units per link on, the
    root is fully settled (which alone proves most ring-free instances)."""
    search = _Search(allowed, work)
    if search.work >= work:
        return RingSearch(None, exhausted=False, work=search.work)
    if not search.settle(root=True):
        return RingSearch(None, exhausted=True, work=search.work)
    restart = 0
    while search.work < work:
        restart += 1
        cutoff = RESTART_UNIT * _luby(restart)
        status = search.descend(rng, cutoff, work)
        if status == _FOUND:
            return RingSearch(search.ring(), exhausted=False, work=search.work)
        if status == _EXHAUSTED:
            return RingSearch(None, exhausted=True, work=search.work)
    return RingSearch(None, exhausted=False, work=search.work)


def _luby(i: int) -> int:
    """The i-th term (from 1) of Luby's sequence 1, 1, 2, 1, 1, 2, 4, 1, 1, 2, ..."""
    k = 1
    while (1 << k) - 1 < i:
        k += 1
    while i != (1 << k) - 1:
        i -= (1 << (k - 1)) - 1
        k = 1
        while (1 << k) - 1 < i:
            k += 1
    return 1 << (k - 1)


_FOUND: Final = 0
_EXHAUSTED: Final = 1
_CUTOFF: Final = 2


class _Search:
    __slots__ = (
        "check_cost",
        "checked_at",
        "first",
        "fixed",
        "inn",
        "last",
        "limit",
        "n",
        "out",
        "pred",
        "queue",
        "size",
        "succ",
        "trail",
        "work",
    )

    def __init__(self, allowed: Sequence[Collection[int]], limit: int) -> None:
        n = len(allowed)
        self.limit = limit
        """work after which no more checks start"""
        self.n = n
        self.out: list[set[int]] = [{r for r in allowed[g] if r != g} for g in range(n)]
        self.inn: list[set[int]] = [set() for _ in range(n)]
        for g, receivers in enumerate(self.out):
            for r in receivers:
                self.inn[r].add(g)
        self.succ = [-1] * n
        self.pred = [-1] * n
        self.first = list(range(n))
        """for the last member of a chain: its first member"""
        self.last = list(range(n))
        """for the first member of a chain: its last member"""
        self.size = [1] * n
        """for the first member of a chain: how many members it holds"""
        self.fixed = 0
        self.trail: list[tuple[int, int]] = []
        """(g, r): link g→r removed; (~g, r): link g→r taken; (~g, ~r): the ring closed by g→r"""
        self.queue: list[int] = []
        """members to look at: g for its giftees, ~r for its Santas"""
        self.work = sum(len(s) for s in self.out) + n
        self.checked_at = 0
        """work counter after the last chain-graph check"""
        self.check_cost = 10 * self.work
        """what the last chain-graph check cost (before the first, a typical first cost)"""

    def ring(self) -> list[int]:
        ring = [0]
        node = self.succ[0]
        while node != 0:
            ring.append(node)
            node = self.succ[node]
        return ring

    # --- changes, each recorded on the trail -------------------------------------------------

    def remove(self, g: int, r: int) -> None:
        self.out[g].discard(r)
        self.inn[r].discard(g)
        self.trail.append((g, r))
        if self.succ[g] < 0 and len(self.out[g]) <= 1:
            self.queue.append(g)
        if self.pred[r] < 0 and len(self.inn[r]) <= 1:
            self.queue.append(~r)

    def take(self, g: int, r: int) -> None:
        """Fix g→r: g is the last member of its chain, r the first of another (or of the same,
        closing the ring, when that chain holds everyone)."""
        self.succ[g] = r
        self.pred[r] = g
        self.fixed += 1
        head = self.first[g]
        if head == r:
            self.trail.append((~g, ~r))
            return
        tail = self.last[r]
        self.last[head] = tail
        self.first[tail] = head
        self.size[head] += self.size[r]
        self.trail.append((~g, r))
        out_g = self.out[g]
        inn_r = self.inn[r]
        self.work += len(out_g) + len(inn_r)
        for x in [x for x in out_g if x != r]:
            self.remove(g, x)
        for y in [y for y in inn_r if y != g]:
            self.remove(y, r)
        if self.size[head] < self.n and head in self.out[tail]:
            self.remove(tail, head)

    def undo(self, mark: int) -> None:
        trail = self.trail
        out, inn = self.out, self.inn
        while len(trail) > mark:
            a, b = trail.pop()
            if a >= 0:
                out[a].add(b)
                inn[b].add(a)
                continue
            g = ~a
            self.fixed -= 1
            self.succ[g] = -1
            if b < 0:
                self.pred[~b] = -1
                continue
            self.pred[b] = -1
            head = self.first[g]
            tail = self.last[b]
            self.last[head] = g
            self.first[tail] = b
            self.size[head] -= self.size[b]
        self.work += 1

    # --- propagation ---------------------------------------------------------------------------

    def settle(self, *, root: bool = False) -> bool:
        """Propagate to a fixpoint, then check the chain graph and take the links it forces, again
        to a fixpoint; False when the branch fails. The check runs every time at the root and
        after it forced links, else only once the checks have cost at most 1/`CHECK_RATIO` of the
        work since the last one. The queue is empty afterwards either way."""
        if root:
            self.queue.extend(range(self.n))
            self.queue.extend(~r for r in range(self.n))
        check = root
        while True:
            if not self.propagate():
                self.queue.clear()
                return False
            if self.fixed == self.n:
                return True
            if not check and self.work - self.checked_at < CHECK_RATIO * self.check_cost:
                return True
            if self.work + self.check_cost > self.limit:
                return True  # a check would overrun the budget; it only prunes, so skip it
            before = self.work
            found = self.chain_check()
            self.checked_at = self.work
            self.check_cost = self.work - before
            if found is None:
                return False
            take, drop = found
            if not take and not drop:
                return True
            for g, r in drop:
                if r in self.out[g]:
                    self.remove(g, r)
            for g, r in take:
                if self.succ[g] == r:
                    continue
                if self.succ[g] >= 0 or self.pred[r] >= 0 or r not in self.out[g]:
                    self.queue.clear()
                    return False
                self.take(g, r)
            check = True

    def propagate(self) -> bool:
        """Take every link left as a member's only option, until none is; False when a member has
        no option left."""
        queue = self.queue
        succ, pred, out, inn = self.succ, self.pred, self.out, self.inn
        while queue:
            v = queue.pop()
            self.work += 1
            if v >= 0:
                if succ[v] >= 0 or len(out[v]) > 1:
                    continue
                if not out[v]:
                    return False
                r = next(iter(out[v]))
                if pred[r] >= 0:
                    return False
                self.take(v, r)
            else:
                r = ~v
                if pred[r] >= 0 or len(inn[r]) > 1:
                    continue
                if not inn[r]:
                    return False
                g = next(iter(inn[r]))
                if succ[g] >= 0:
                    return False
                self.take(g, r)
        return True

    def chain_check(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
        """Links every ring must take and links no ring can take, found on the chain graph (each
        chain one node; its last member's giftees are first members of other chains); None when
        no ring can exist there.

        - The chains must all reach one another, and none may be a cut vertex (links taken both
          ways): a ring through three or more chains minus one is a path through the others.
        - A strong bridge (a link without which some chain could no longer reach another) is in
          every ring. They are the bridges of the flow graphs from one chain forwards and
          backwards (Italiano, Laura and Santaroni 2012): u→v is one when u is v's immediate
          dominator and v dominates its other Santas (dominators by Cooper, Harvey and Kennedy's
          iteration).
        - A ring gives every chain one giftee chain and one Santa chain, so it is in particular a
          cycle cover; a link in no cycle cover is in no ring. With one cycle cover (a perfect
          matching) in hand, a link u→v is in another exactly when u and v's Santa in the cover
          are in the same strongly connected component of "u may switch to v's place" (Régin's
          filtering for all-different); the other links go. No cycle cover at all: no ring.
        """
        first, last, out, inn, pred = self.first, self.last, self.out, self.inn, self.pred
        heads = [v for v, p in enumerate(pred) if p < 0]
        giftees = {h: list(out[last[h]]) for h in heads}
        santas = {h: [first[g] for g in inn[h]] for h in heads}
        size = len(heads) + sum(len(links) for links in giftees.values())
        self.work += 2 * size  # listing, then each linear pass below
        root = heads[0]
        forward = _flow_bridges(root, giftees, santas, len(heads))
        if forward is None:
            return None
        backward = _flow_bridges(root, santas, giftees, len(heads))
        if backward is None:
            return None
        self.work += forward[1] + backward[1] + 2 * size
        if len(heads) >= 3 and _cut_vertex(root, giftees, santas):
            return None
        self.work += 3 * size
        covers = _cover_filter(heads, giftees)
        if covers is None:
            return None
        take = [(last[u], v) for u, v in forward[0]] + [(last[v], u) for u, v in backward[0]]
        return take, [(last[u], v) for u, v in covers]

    # --- search --------------------------------------------------------------------------------

    def branch(self, rng: random.Random) -> tuple[int, int]:
        """A link of the member with the fewest options, at random."""
        best = -1
        best_size = self.n + 1
        as_giver = True
        succ, pred, out, inn = self.succ, self.pred, self.out, self.inn
        for v in range(self.n):
            if succ[v] < 0:
                k = len(out[v])
                if k < best_size:
                    best, best_size, as_giver = v, k, True
            if pred[v] < 0:
                k = len(inn[v])
                if k < best_size:
                    best, best_size, as_giver = v, k, False
        self.work += self.n
        if as_giver:
            return best, rng.choice(sorted(out[best]))
        return rng.choice(sorted(inn[best])), best

    def descend(self, rng: random.Random, cutoff: int, work: int) -> int:
        """One depth-first search from the settled root, cut off after `cutoff` failed branches or
        when `work` is spent. _FOUND leaves the ring in place; otherwise everything is undone to
        the root, except the first decisions refuted there (removed for good: a complete search
        below them found no ring)."""
        decisions: list[tuple[int, int, int]] = []  # (trail mark, g, r) of each left branch
        failures = 0
        while True:
            if self.fixed == self.n:
                return _FOUND
            if self.work >= work:
                if decisions:
                    self.undo(decisions[0][0])
                return _CUTOFF
            g, r = self.branch(rng)
            decisions.append((len(self.trail), g, r))
            self.take(g, r)
            ok = self.settle()
            while not ok:
                failures += 1
                if not decisions:
                    return _EXHAUSTED
                mark, g, r = decisions.pop()
                self.undo(mark)
                if failures > cutoff or self.work >= work:
                    if decisions:
                        self.undo(decisions[0][0])
                    return _CUTOFF
                self.remove(g, r)  # the right branch: the same state without g→r
                ok = self.settle()


def _flow_bridges(
    root: int, succs: dict[int, list[int]], preds: dict[int, list[int]], size: int
) -> tuple[list[tuple[int, int]], int] | None:
    """The links u→v on every path from `root` to v, and the work spent; None when some of the
    `size` nodes cannot be reached from `root`."""
    postorder: list[int] = []
    seen = {root}
    stack = [(root, iter(succs[root]))]
    while stack:
        v, pending = stack[-1]
        for w in pending:
            if w not in seen:
                seen.add(w)
                stack.append((w, iter(succs[w])))
                break
        else:
            stack.pop()
            postorder.append(v)
    if len(postorder) < size:
        return None
    number = {v: i for i, v in enumerate(postorder)}
    idom = {root: root}
    work = 0
    changed = True
    while changed:
        changed = False
        for v in reversed(postorder[:-1]):
            best = -1
            for p in preds[v]:
                if p not in idom:
                    continue
                if best == -1:
                    best = p
                    continue
                a = p
                while a != best:
                    while number[a] < number[best]:
                        a = idom[a]
                    while number[best] < number[a]:
                        best = idom[best]
            work += len(preds[v]) + 1
            if idom.get(v) != best:
                idom[v] = best
                changed = True
    children: dict[int, list[int]] = {v: [] for v in postorder}
    for v in postorder[:-1]:
        children[idom[v]].append(v)
    enter: dict[int, int] = {}
    leave: dict[int, int] = {}
    clock = 0
    walk = [(root, False)]
    while walk:
        v, done = walk.pop()
        clock += 1
        if done:
            leave[v] = clock
            continue
        enter[v] = clock
        walk.append((v, True))
        walk.extend((c, False) for c in children[v])
    bridges = []
    for v in postorder[:-1]:
        u = idom[v]
        if u in preds[v] and all(
            enter[v] <= enter[w] and leave[w] <= leave[v] for w in preds[v] if w != u
        ):
            bridges.append((u, v))
    return bridges, work + 2 * len(postorder)


def _cut_vertex(root: int, succs: dict[int, list[int]], preds: dict[int, list[int]]) -> bool:
    """Whether some node of the graph, links taken both ways, is a cut vertex (Tarjan's low-link
    search, iterative; the graph is connected). A ring through three or more nodes minus one of
    them is a path through the others, so it cannot pass a cut vertex."""
    order = {root: 0}
    low = {root: 0}
    stack = [(root, -1, iter([*succs[root], *preds[root]]))]
    root_children = 0
    while stack:
        u, parent, pending = stack[-1]
        for v in pending:
            if v not in order:
                order[v] = low[v] = len(order)
                if u == root:
                    root_children += 1
                stack.append((v, u, iter([*succs[v], *preds[v]])))
                break
            if v != parent and order[v] < low[u]:
                low[u] = order[v]
        else:
            stack.pop()
            if parent >= 0:
                if low[u] < low[parent]:
                    low[parent] = low[u]
                if parent != root and low[u] >= order[parent]:
                    return True
    return root_children > 1


def _cover_filter(nodes: list[int], succs: dict[int, list[int]]) -> list[tuple[int, int]] | None:
    """The links u→v in no cycle cover of the graph (every node one successor and one
    predecessor); None when there is no cycle cover at all."""
    mate: dict[int, int] = {}
    owner: dict[int, int] = {}
    for u in nodes:
        for v in succs[u]:
            if v not in owner:
                mate[u] = v
                owner[v] = u
                break
    for u in nodes:
        if u in mate:
            continue
        parent: dict[int, int] = {}
        queue = [u]
        reached = {u}
        free = -1
        for g in queue:
            for v in succs[g]:
                if v in parent:
                    continue
                parent[v] = g
                if v not in owner:
                    free = v
                    break
                w = owner[v]
                if w not in reached:
                    reached.add(w)
                    queue.append(w)
            if free != -1:
                break
        if free == -1:
            return None
        v = free
        while True:
            g = parent[v]
            previous = mate.get(g, -1)
            mate[g] = v
            owner[v] = g
            if g == u:
                break
            v = previous
    # u may give v's place to... : u -> owner[v] for each other giftee v; components by Tarjan
    component = _components(nodes, {u: [owner[v] for v in succs[u] if v != mate[u]] for u in nodes})
    return [
        (u, v)
        for u in nodes
        for v in succs[u]
        if v != mate[u] and component[u] != component[owner[v]]
    ]


def _components(nodes: list[int], succs: dict[int, list[int]]) -> dict[int, int]:
    """Strongly connected components (Tarjan, iterative): node → component number."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    component: dict[int, int] = {}
    stack: list[int] = []
    count = 0
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        work = [(start, iter(succs[start]))]
        while work:
            u, pending = work[-1]
            for v in pending:
                if v not in index:
                    index[v] = low[v] = len(index)
                    stack.append(v)
                    work.append((v, iter(succs[v])))
                    break
                if v not in component and index[v] < low[u]:
                    low[u] = index[v]
            else:
                work.pop()
                if work and low[u] < low[work[-1][0]]:
                    low[work[-1][0]] = low[u]
                if low[u] == index[u]:
                    while True:
                        v = stack.pop()
                        component[v] = count
                        if v == u:
                            break
                    count += 1
    return component
