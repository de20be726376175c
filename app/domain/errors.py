"""Refusals the domain can give. Each carries one sentence a member can read in Discord.

A decider raises only these for bad input, so the command path can turn any refusal into a reply
without guessing, and anything else that escapes is a bug worth a stack trace. Messages never name
who gives to whom: refusals are shown to whoever typed the command, and they may be a receiver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final


class DomainError(Exception):
    """A refused command. `message` is the user-facing sentence; `code` is a stable key for adapters
    and tests."""

    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


REFUSAL_MAX_NAMES: Final = 30
"""A draw refusal names at most this many members and counts beyond that: with up to 1,000
participants a closed group could otherwise run past Discord's 2,000-character message limit."""


def join_names(names: Sequence[str]) -> str:
    """ "Ann", "Ann and Bob", "Ann, Bob and Cy": reads naturally in a sentence."""
    items = list(names)
    if not items:
        return "nobody"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def hall_detail(
    givers: Sequence[str],
    receivers: Sequence[str],
    blocked_receivers: Sequence[str] = (),
    their_givers: Sequence[str] = (),
    *,
    max_names: int | None = None,
) -> str:
    """Hall's theorem made readable (`draw.NoValidDraw`, names already resolved): these givers have
    fewer allowed receivers than there are of them, or, when shorter, these receivers have fewer
    allowed givers. Shared by the draw refusal and the splice refusal. Beyond `max_names` names the
    sentence counts them instead (a direct message must stay short)."""
    use_receivers = bool(blocked_receivers) and len(blocked_receivers) < len(givers)
    named = len(blocked_receivers) + len(their_givers) if use_receivers else len(givers)
    named += 0 if use_receivers else len(receivers)
    if max_names is not None and named > max_names:
        if use_receivers:
            return (
                f"{len(blocked_receivers)} members may only receive from {len(their_givers)}, "
                "so someone there would get no gift"
            )
        return (
            f"{len(givers)} members can only give to {len(receivers)}, "
            "so at least one of them would have nobody to give to"
        )
    if use_receivers and not their_givers:
        return f"nobody may give to {join_names(blocked_receivers)}"
    if use_receivers:
        return (
            f"only {join_names(their_givers)} may give to {join_names(blocked_receivers)}, "
            "so someone there would get no gift"
        )
    if receivers:
        return (
            f"{join_names(givers)} can only give to {join_names(receivers)}, "
            "so at least one of them would have nobody to give to"
        )
    return f"{join_names(givers)} cannot give to anyone (everyone else is excluded)"


def loop_detail(
    closed_group: Sequence[str],
    cut_member: str | None,
    forced_loop: Sequence[str] = (),
    *,
    max_names: int | None = None,
) -> str | None:
    """Why no single loop exists, when `draw.NoSingleLoop` names a structural proof; None when it
    does not. Shared by the draw refusal and the splice refusal; beyond `max_names` names the
    group (or the forced loop) is counted instead."""
    if closed_group and max_names is not None and len(closed_group) > max_names:
        return (
            f"{len(closed_group)} members may only give among themselves, so a loop could never "
            "leave their group"
        )
    if closed_group:
        return (
            f"{join_names(closed_group)} may only give among themselves, so a loop could never "
            "leave their group"
        )
    if cut_member is not None:
        return (
            f"the exclusions split the others into groups that only {cut_member} connects, so a "
            f"loop would pass {cut_member} twice"
        )
    if forced_loop:
        why = "at each step the giver may give to nobody else or nobody else may give to the next"
        if max_names is not None and len(forced_loop) > max_names:
            return (
                f"the exclusions force {len(forced_loop)} members into a loop of their own ({why}), "
                "so it would close before reaching the others"
            )
        chain = " → ".join([*forced_loop, forced_loop[0]])
        return f"the exclusions force {chain} ({why}), so it would close before reaching the others"
    return None


class NotAllowed(DomainError):
    code = "not_allowed"


class InvalidInput(DomainError):
    """A value out of range or too long; the message names the limit and the actual size."""

    code = "invalid_input"


class TooLong(InvalidInput):
    code = "too_long"

    def __init__(self, what: str, actual: int, limit: int) -> None:
        super().__init__(f"{what} is {actual} characters long; the limit is {limit}.")
        self.actual = actual
        self.limit = limit


class NoOpenSeason(DomainError):
    code = "no_open_season"


class SeasonAlreadyOpen(DomainError):
    code = "season_already_open"


class SeasonExists(DomainError):
    code = "season_exists"


class AlreadyJoined(DomainError):
    code = "already_joined"


class NotParticipant(DomainError):
    code = "not_participant"


class TooManyParticipants(DomainError):
    code = "too_many_participants"


class SelfExclusion(DomainError):
    code = "self_exclusion"


class DuplicateExclusion(DomainError):
    code = "duplicate_exclusion"


class UnknownExclusion(DomainError):
    code = "unknown_exclusion"


class WrongPhase(DomainError):
    """The command makes sense, but not before (or after) the draw."""

    code = "wrong_phase"


class NotEnoughParticipants(DomainError):
    code = "not_enough_participants"


class AlreadyDrawn(DomainError):
    code = "already_drawn"


class NoValidDrawError(DomainError):
    """Hall's theorem made readable: these givers have fewer allowed receivers than there are of
    them (or, when shorter, these receivers have fewer allowed givers than there are of them)."""

    code = "no_valid_draw"

    def __init__(
        self,
        givers: Sequence[str],
        receivers: Sequence[str],
        blocked_receivers: Sequence[str] = (),
        their_givers: Sequence[str] = (),
    ) -> None:
        detail = hall_detail(
            givers, receivers, blocked_receivers, their_givers, max_names=REFUSAL_MAX_NAMES
        )
        super().__init__(f"No valid draw exists: {detail}; remove an exclusion to fix it.")
        self.givers = list(givers)
        self.receivers = list(receivers)
        self.blocked_receivers = list(blocked_receivers)
        self.their_givers = list(their_givers)


class SingleLoopNotFound(DomainError):
    code = "single_loop_not_found"

    def __init__(
        self,
        proven: bool,
        closed_group: Sequence[str] = (),
        cut_member: str | None = None,
        forced_loop: Sequence[str] = (),
    ) -> None:
        fallback = (
            "draw again with the any-valid-draw mode (mutual pairs and several loops allowed)"
        )
        detail = loop_detail(closed_group, cut_member, forced_loop, max_names=REFUSAL_MAX_NAMES)
        if detail is not None:
            text = f"No single loop through everyone is possible: {detail}; {fallback}."
        elif proven:
            text = f"No single loop through everyone is possible with these exclusions; {fallback}."
        else:
            text = (
                "I could not find a single loop within the search limit (one may still exist); "
                f"{fallback}, or remove an exclusion."
            )
        super().__init__(text)
        self.proven = proven


class CannotSplice(DomainError):
    """A change after the draw that cannot be made without redrawing; the message says exactly
    why."""

    code = "cannot_splice"


class NotYourPair(DomainError):
    code = "not_your_pair"


class AlreadyMarked(DomainError):
    code = "already_marked"


class UnknownMessage(DomainError):
    code = "unknown_message"
