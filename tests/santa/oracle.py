"""Brute force, written independently of app.domain.draw, to check it on small instances."""

from __future__ import annotations

from collections.abc import Collection

Pair = tuple[int, int]


def find_draw(
    members: list[int], forbidden: Collection[Pair], *, loop: bool
) -> dict[int, int] | None:
    """Some valid draw (single loop when `loop`), found by plain backtracking, or None."""
    if loop:
        return _find_loop(members, set(forbidden))
    taken: set[int] = set()
    result: dict[int, int] = {}

    def walk(i: int) -> bool:
        if i == len(members):
            return True
        giver = members[i]
        for receiver in members:
            if receiver == giver or receiver in taken or (giver, receiver) in forbidden:
                continue
            taken.add(receiver)
            result[giver] = receiver
            if walk(i + 1):
                return True
            taken.discard(receiver)
        return False

    return dict(result) if walk(0) else None


def _find_loop(members: list[int], forbidden: set[Pair]) -> dict[int, int] | None:
    start = members[0]
    path = [start]

    def walk() -> bool:
        if len(path) == len(members):
            return path[-1] != start and (path[-1], start) not in forbidden
        for nxt in members:
            if nxt in path or (path[-1], nxt) in forbidden:
                continue
            path.append(nxt)
            if walk():
                return True
            path.pop()
        return False

    if not walk():
        return None
    return {path[i]: path[(i + 1) % len(path)] for i in range(len(path))}


def all_draws(
    members: list[int], forbidden: Collection[Pair], *, loop: bool
) -> list[tuple[int, ...]]:
    """Every valid draw as the tuple of receivers in `members` order."""
    out: list[tuple[int, ...]] = []
    chosen: list[int] = []

    def walk(i: int) -> None:
        if i == len(members):
            draw = dict(zip(members, chosen, strict=True))
            if not loop or _one_cycle(draw):
                out.append(tuple(chosen))
            return
        for receiver in members:
            if receiver == members[i] or receiver in chosen or (members[i], receiver) in forbidden:
                continue
            chosen.append(receiver)
            walk(i + 1)
            chosen.pop()

    walk(0)
    return out


def _one_cycle(draw: dict[int, int]) -> bool:
    start = next(iter(draw))
    node, steps = draw[start], 1
    while node != start:
        node, steps = draw[node], steps + 1
    return steps == len(draw)


def is_forced_loop(loop: tuple[int, ...], members: list[int], forbidden: Collection[Pair]) -> bool:
    """A loop written from its smallest member, leaving someone out, each of whose links is forced:
    its giver may give to nobody else, or nobody else may give to its receiver. Every ring would
    take every such link, so none can exist."""

    def allowed(g: int, r: int) -> bool:
        return g != r and (g, r) not in forbidden

    if not loop or loop[0] != min(loop) or not len(set(loop)) == len(loop) < len(members):
        return False
    for g, r in zip(loop, loop[1:] + loop[:1], strict=True):
        only_giftee = all(not allowed(g, x) for x in members if x != r)
        only_santa = all(not allowed(x, r) for x in members if x != g)
        if not allowed(g, r) or not (only_giftee or only_santa):
            return False
    return True
