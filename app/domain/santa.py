"""Secret Santa as a decider: commands, events, state, `decide`, `evolve`, `initial_state`.

One stream per server (`santa/{guild_id}`) holds all its seasons, so the state knows earlier years'
pairs for the no-repeat rule. Commands always address the server's one open season, except the
delivery outcome, which names its message id. Side effects are events: a direct message that must be
sent is a `DirectMessageDue` with a deterministic id and its text already rendered (replay never
re-renders or re-randomizes); the dispatcher records `DirectMessageDelivered` /
`DirectMessageFailed` through `RecordDeliveryOutcome`, which is idempotent.

Deadlines are recorded and shown but not enforced against the clock: organisers record past seasons
(any year 2000-2100) and run late. `decide` still takes `now` for the uniform decider signature.

Who gives to whom appears only in events (the audit trail) and in DMs to the giver; no refusal text
names a pair, because refusals are shown to whoever typed the command.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

import msgspec

from app.domain import draw as drawing
from app.domain import splice as splicing
from app.domain.errors import (
    AlreadyDrawn,
    AlreadyJoined,
    AlreadyMarked,
    CannotSplice,
    DuplicateExclusion,
    InvalidInput,
    NoOpenSeason,
    NotAllowed,
    NotEnoughParticipants,
    NotParticipant,
    NotYourPair,
    NoValidDrawError,
    SeasonAlreadyOpen,
    SeasonExists,
    SelfExclusion,
    SingleLoopNotFound,
    TooLong,
    TooManyParticipants,
    UnknownExclusion,
    UnknownMessage,
    WrongPhase,
    hall_detail,
    loop_detail,
)

# --- limits ---------------------------------------------------------------------------------------

YEAR_MIN: Final = 2000
YEAR_MAX: Final = 2100
WISHLIST_MAX_CHARS: Final = 1000
MESSAGE_MAX_CHARS: Final = 1500
"""Anonymous message body; with its one-line header it stays under Discord's 2,000-character DM
limit."""
BUDGET_MAX_CHARS: Final = 100
DISPLAY_NAME_MAX_CHARS: Final = 100
REASON_MAX_CHARS: Final = 300
SPLICE_REASON_MAX_NAMES: Final = 10
"""A splice refusal names at most this many members (then it counts them): it goes into a direct
message to the organiser, which must stay under Discord's 2,000 characters even with 100-character
names."""
MAX_PARTICIPANTS: Final = 1000
MAX_EXCLUSIONS: Final = 5000
AVOID_PAST_YEARS_DEFAULT: Final = 3
AVOID_PAST_YEARS_MAX: Final = 10

Pair = tuple[int, int]

# --- commands -------------------------------------------------------------------------------------


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Who asks, and in which server. `actor_is_admin` means the Manage Server permission."""

    guild_id: int
    actor_id: int
    actor_is_admin: bool = False


class OpenSeason(Command, frozen=True, kw_only=True):
    year: int
    budget: str
    signup_deadline: datetime
    gift_deadline: datetime
    actor_name: str
    single_loop: bool = False
    avoid_past_years: int = AVOID_PAST_YEARS_DEFAULT


class JoinSeason(Command, frozen=True, kw_only=True):
    display_name: str
    wishlist: str = ""


class LeaveSeason(Command, frozen=True, kw_only=True):
    """The actor leaves. After the draw they are spliced out whenever the others can still be drawn
    (`splice.splice_out`), or they stay in and the organiser is alerted why not."""


class RemoveParticipant(Command, frozen=True, kw_only=True):
    """The organiser (or an admin) removes someone; after the draw, refused only when the others
    cannot be drawn (as one loop, in single-loop mode), with a reason that reveals no pair."""

    member_id: int


class UpdateWishlist(Command, frozen=True, kw_only=True):
    wishlist: str


class AddExclusion(Command, frozen=True, kw_only=True):
    """Organiser or admin only, like `/santa exclude` (Manage Server)."""

    giver_id: int
    receiver_id: int
    two_way: bool = False


class RemoveExclusion(Command, frozen=True, kw_only=True):
    """Organiser or admin only."""

    giver_id: int
    receiver_id: int
    two_way: bool = False


class DrawAssignments(Command, frozen=True, kw_only=True):
    """`any_valid` overrides the season's single-loop setting (the fallback offered when no loop is
    found)."""

    any_valid: bool = False


class SendAnonymousMessage(Command, frozen=True, kw_only=True):
    to: Literal["giftee", "santa"]
    text: str


class MarkGiftSent(Command, frozen=True, kw_only=True):
    pass


class MarkGiftReceived(Command, frozen=True, kw_only=True):
    pass


class CloseSeason(Command, frozen=True, kw_only=True):
    pass


class RecordDeliveryOutcome(Command, frozen=True, kw_only=True):
    """Sent by the DM dispatcher (actor is the bot). Recording the same outcome twice appends
    nothing."""

    message_id: str
    delivered: bool
    reason: str = ""
    discord_message_id: int | None = None
    """Discord's id for the message that went out (None from the console, which sends nothing)."""


SantaCommand = (
    OpenSeason
    | JoinSeason
    | LeaveSeason
    | RemoveParticipant
    | UpdateWishlist
    | AddExclusion
    | RemoveExclusion
    | DrawAssignments
    | SendAnonymousMessage
    | MarkGiftSent
    | MarkGiftReceived
    | CloseSeason
    | RecordDeliveryOutcome
)

# --- events ---------------------------------------------------------------------------------------


class PastPair(msgspec.Struct, frozen=True, kw_only=True):
    """A giver→receiver pair that repeats the pair of an earlier year (a relaxed soft
    constraint)."""

    giver_id: int
    receiver_id: int
    year: int


class SeasonOpened(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    organiser_id: int
    organiser_name: str
    budget: str
    signup_deadline: datetime
    gift_deadline: datetime
    single_loop: bool
    avoid_past_years: int


class ParticipantJoined(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    member_id: int
    display_name: str
    wishlist: str


class ParticipantLeft(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    member_id: int
    removed_by: int


class WishlistUpdated(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    member_id: int
    wishlist: str


class ExclusionAdded(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    giver_id: int
    receiver_id: int
    two_way: bool


class ExclusionRemoved(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    giver_id: int
    receiver_id: int
    two_way: bool


class AssignmentsDrawn(msgspec.Struct, frozen=True, kw_only=True):
    """The whole giver→receiver map, so replay never draws again. Audit-only: never shown as a
    whole."""

    guild_id: int
    year: int
    assignments: dict[int, int]
    algorithm: str
    single_loop: bool
    relaxed_years: list[int]
    repeated_pairs: list[PastPair]
    drawn_by: int


class ParticipantSplicedOut(msgspec.Struct, frozen=True, kw_only=True):
    """`reassigned`: givers whose giftee changed, with their new giftee; the leaver's own pair is
    dropped."""

    guild_id: int
    year: int
    member_id: int
    reassigned: dict[int, int]
    repeated_pairs: list[PastPair]


class ParticipantSplicedIn(msgspec.Struct, frozen=True, kw_only=True):
    """`reassigned` includes the newcomer's own pair (A→N→B: {A: N, N: B})."""

    guild_id: int
    year: int
    member_id: int
    reassigned: dict[int, int]
    repeated_pairs: list[PastPair]


class SpliceRefused(msgspec.Struct, frozen=True, kw_only=True):
    """A member asked to leave after the draw but no splice exists (no valid draw of the others, or
    no ring through them in single-loop mode, or none found within the search limit); they stay in
    and the organiser is told `reason` (`_blocked_reason`)."""

    guild_id: int
    year: int
    member_id: int
    reason: str


DmKind = Literal[
    "draw_notice", "giftee_changed", "wishlist_changed", "anonymous_message", "organiser_alert"
]


class DirectMessageDue(msgspec.Struct, frozen=True, kw_only=True):
    """A DM the dispatcher must send once. `message_id` is derived from the season and a per-season
    counter (never from randomness), so the dispatcher can derive its outcome event id from it."""

    guild_id: int
    year: int
    message_id: str
    recipient_id: int
    kind: DmKind
    text: str


class DirectMessageDelivered(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    message_id: str
    discord_message_id: int | None = None
    """Which Discord message carried it, for audits (absent in events recorded before it was kept:
    an optional field with a default, so version 1 payloads decode unchanged)."""


class DirectMessageFailed(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    message_id: str
    reason: str


class AnonymousMessageSent(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    sender_id: int
    recipient_id: int
    direction: Literal["to_giftee", "to_santa"]
    text: str
    message_id: str


class GiftSent(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    giver_id: int


class GiftReceived(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    receiver_id: int


class SeasonClosed(msgspec.Struct, frozen=True, kw_only=True):
    guild_id: int
    year: int
    closed_by: int


SantaEvent = (
    SeasonOpened
    | ParticipantJoined
    | ParticipantLeft
    | WishlistUpdated
    | ExclusionAdded
    | ExclusionRemoved
    | AssignmentsDrawn
    | ParticipantSplicedOut
    | ParticipantSplicedIn
    | SpliceRefused
    | DirectMessageDue
    | DirectMessageDelivered
    | DirectMessageFailed
    | AnonymousMessageSent
    | GiftSent
    | GiftReceived
    | SeasonClosed
)

EVENT_TYPES: Final[list[tuple[type[msgspec.Struct], int]]] = [
    (SeasonOpened, 1),
    (ParticipantJoined, 1),
    (ParticipantLeft, 1),
    (WishlistUpdated, 1),
    (ExclusionAdded, 1),
    (ExclusionRemoved, 1),
    (AssignmentsDrawn, 1),
    (ParticipantSplicedOut, 1),
    (ParticipantSplicedIn, 1),
    (SpliceRefused, 1),
    (DirectMessageDue, 1),
    (DirectMessageDelivered, 1),
    (DirectMessageFailed, 1),
    (AnonymousMessageSent, 1),
    (GiftSent, 1),
    (GiftReceived, 1),
    (SeasonClosed, 1),
]
"""Registered as `santa.<ClassName>` with the version given here."""

EVENT_NAME_PREFIX: Final = "santa."


def stream_id(guild_id: int) -> str:
    return f"santa/{guild_id}"


# --- state ----------------------------------------------------------------------------------------

OPEN: Final = "open"
DRAWN: Final = "drawn"
CLOSED: Final = "closed"


@dataclass(slots=True)
class Participant:
    member_id: int
    display_name: str
    wishlist: str


@dataclass(slots=True)
class DirectMessage:
    recipient_id: int
    kind: str
    status: str = "due"  # due | delivered | failed


@dataclass(slots=True)
class Season:
    year: int
    organiser_id: int
    organiser_name: str
    budget: str
    signup_deadline: datetime
    gift_deadline: datetime
    single_loop: bool
    avoid_past_years: int
    status: str = OPEN
    participants: dict[int, Participant] = field(default_factory=dict)
    exclusions: set[Pair] = field(default_factory=set)
    assignments: dict[int, int] = field(default_factory=dict)
    drawn_single_loop: bool = False
    gifts_sent: set[int] = field(default_factory=set)
    gifts_received: set[int] = field(default_factory=set)
    dm_count: int = 0
    messages: dict[str, DirectMessage] = field(default_factory=dict)

    def santa_of(self, member_id: int) -> int | None:
        for giver, receiver in self.assignments.items():
            if receiver == member_id:
                return giver
        return None

    def name(self, member_id: int) -> str:
        participant = self.participants.get(member_id)
        return participant.display_name if participant else f"member {member_id}"


@dataclass(slots=True)
class SantaState:
    """Everything the rules need. `evolve` mutates it in place (a fold owns its state), like
    projections."""

    guild_id: int | None = None
    seasons: dict[int, Season] = field(default_factory=dict)
    open_year: int | None = None

    @property
    def open_season(self) -> Season | None:
        return self.seasons.get(self.open_year) if self.open_year is not None else None


def initial_state() -> SantaState:
    return SantaState()


def past_pairs(state: SantaState, season: Season) -> dict[int, set[Pair]]:
    """Pairs of the earlier years the season avoids (its `avoid_past_years` window), by year."""
    window = range(season.year - season.avoid_past_years, season.year)
    return {
        year: set(other.assignments.items())
        for year, other in state.seasons.items()
        if year in window and other.assignments
    }


# --- evolve ---------------------------------------------------------------------------------------


def evolve(state: SantaState, event: SantaEvent) -> SantaState:
    if isinstance(event, SeasonOpened):
        state.guild_id = event.guild_id
        state.seasons[event.year] = Season(
            year=event.year,
            organiser_id=event.organiser_id,
            organiser_name=event.organiser_name,
            budget=event.budget,
            signup_deadline=event.signup_deadline,
            gift_deadline=event.gift_deadline,
            single_loop=event.single_loop,
            avoid_past_years=event.avoid_past_years,
        )
        state.open_year = event.year
        return state
    if isinstance(event, DirectMessageDelivered | DirectMessageFailed):
        for season in state.seasons.values():
            message = season.messages.get(event.message_id)
            if message is not None:
                delivered = isinstance(event, DirectMessageDelivered)
                message.status = "delivered" if delivered else "failed"
        return state
    season = state.seasons[event.year]
    if isinstance(event, ParticipantJoined):
        season.participants[event.member_id] = Participant(
            event.member_id, event.display_name, event.wishlist
        )
    elif isinstance(event, ParticipantLeft):
        season.participants.pop(event.member_id, None)
        season.assignments.pop(event.member_id, None)
    elif isinstance(event, WishlistUpdated):
        season.participants[event.member_id].wishlist = event.wishlist
    elif isinstance(event, ExclusionAdded | ExclusionRemoved):
        pairs = {(event.giver_id, event.receiver_id)}
        if event.two_way:
            pairs.add((event.receiver_id, event.giver_id))
        if isinstance(event, ExclusionAdded):
            season.exclusions |= pairs
        else:
            season.exclusions -= pairs
    elif isinstance(event, AssignmentsDrawn):
        season.assignments = dict(event.assignments)
        season.drawn_single_loop = event.single_loop
        season.status = DRAWN
    elif isinstance(event, ParticipantSplicedOut | ParticipantSplicedIn):
        before = dict(season.assignments)
        if isinstance(event, ParticipantSplicedOut):
            season.assignments.pop(event.member_id, None)
        season.assignments.update(event.reassigned)
        sent, received = unmarked_by_splice(before, season.assignments)
        season.gifts_sent -= sent
        season.gifts_received -= received
    elif isinstance(event, DirectMessageDue):
        season.dm_count += 1
        season.messages[event.message_id] = DirectMessage(event.recipient_id, event.kind)
    elif isinstance(event, GiftSent):
        season.gifts_sent.add(event.giver_id)
    elif isinstance(event, GiftReceived):
        season.gifts_received.add(event.receiver_id)
    elif isinstance(event, SeasonClosed):
        season.status = CLOSED
        if state.open_year == event.year:
            state.open_year = None
    # AnonymousMessageSent and SpliceRefused change no rule-relevant state.
    return state


def unmarked_by_splice(before: dict[int, int], after: dict[int, int]) -> tuple[set[int], set[int]]:
    """Whose gift marks a splice resets: (givers whose "sent" goes, receivers whose "received" goes).

    A gift mark belongs to a pair. "Sent" means "I sent my gift to my giftee", "received" means "I
    got my gift from my Santa". When a splice dissolves a pair (the giver's giftee changes, or the
    giver leaves), both marks of that pair go: the giver owes their new giftee a gift and can mark
    it once it is on its way, and the old receiver now waits for a gift from their new Santa. Marks
    of the pairs a splice keeps stay as they are. The decider, `SantaMemberViewsProjection` and
    `SantaHistoryProjection` all apply this rule (the same function where they can), so the marks
    a member sees, the ones the rules check and the ones history keeps agree.
    """
    dissolved = [(g, r) for g, r in before.items() if after.get(g) != r]
    return {g for g, _ in dissolved}, {r for _, r in dissolved}


def marked_pairs(season: Season) -> set[Pair]:
    """The pairs of the draw whose gift is marked: sent by the giver or received by the receiver.
    A splice dissolves as few of them as it can (`splice._pick`)."""
    return {
        (giver, receiver)
        for giver, receiver in season.assignments.items()
        if giver in season.gifts_sent or receiver in season.gifts_received
    }


def fold(events: list[SantaEvent], state: SantaState | None = None) -> SantaState:
    result = state if state is not None else initial_state()
    for event in events:
        result = evolve(result, event)
    return result


# --- decide ---------------------------------------------------------------------------------------


def decide(
    command: SantaCommand, state: SantaState, *, now: datetime, rng: random.Random
) -> list[SantaEvent]:
    """The events `command` causes, or a `DomainError` saying in one sentence why it is refused.

    Pure: `state` is not modified. `rng` is used only by the draw and by splicing after it.
    """
    del now  # no santa rule depends on the clock (see module docstring)
    if state.guild_id is not None and command.guild_id != state.guild_id:
        raise NotAllowed("This command belongs to a different server.")
    if isinstance(command, OpenSeason):
        return _open(command, state)
    if isinstance(command, JoinSeason):
        return _join(command, state, rng)
    if isinstance(command, LeaveSeason):
        return _leave(command, state, rng)
    if isinstance(command, RemoveParticipant):
        return _remove_participant(command, state, rng)
    if isinstance(command, UpdateWishlist):
        return _update_wishlist(command, state)
    if isinstance(command, AddExclusion):
        return _add_exclusion(command, state)
    if isinstance(command, RemoveExclusion):
        return _remove_exclusion(command, state)
    if isinstance(command, DrawAssignments):
        return _draw(command, state, rng)
    if isinstance(command, SendAnonymousMessage):
        return _send_message(command, state)
    if isinstance(command, MarkGiftSent):
        return _gift_sent(command, state)
    if isinstance(command, MarkGiftReceived):
        return _gift_received(command, state)
    if isinstance(command, CloseSeason):
        return _close(command, state)
    return _record_outcome(command, state)


def _open(c: OpenSeason, state: SantaState) -> list[SantaEvent]:
    current = state.open_season
    if current is not None:
        raise SeasonAlreadyOpen(
            f"The {current.year} season is still open on this server; "
            "close it before opening another."
        )
    if not YEAR_MIN <= c.year <= YEAR_MAX:
        raise InvalidInput(f"The year must be between {YEAR_MIN} and {YEAR_MAX}; got {c.year}.")
    if c.year in state.seasons:
        raise SeasonExists(f"This server already had a {c.year} season; each year has one season.")
    budget = c.budget.strip()
    _limit("The budget", budget, BUDGET_MAX_CHARS)
    _limit("Your name", c.actor_name, DISPLAY_NAME_MAX_CHARS)
    if not 0 <= c.avoid_past_years <= AVOID_PAST_YEARS_MAX:
        raise InvalidInput(
            f"Past years to avoid must be between 0 and {AVOID_PAST_YEARS_MAX}; "
            f"got {c.avoid_past_years}."
        )
    if c.signup_deadline.tzinfo is None or c.gift_deadline.tzinfo is None:
        raise InvalidInput("Deadlines need a time zone.")
    if c.gift_deadline < c.signup_deadline:
        raise InvalidInput("The gift deadline must not be before the sign-up deadline.")
    return [
        SeasonOpened(
            guild_id=c.guild_id,
            year=c.year,
            organiser_id=c.actor_id,
            organiser_name=c.actor_name,
            budget=budget,
            signup_deadline=c.signup_deadline,
            gift_deadline=c.gift_deadline,
            single_loop=c.single_loop,
            avoid_past_years=c.avoid_past_years,
        )
    ]


def _join(c: JoinSeason, state: SantaState, rng: random.Random) -> list[SantaEvent]:
    season = _require_open(state)
    if c.actor_id in season.participants:
        raise AlreadyJoined(f"You have already joined the {season.year} Secret Santa.")
    if len(season.participants) >= MAX_PARTICIPANTS:
        raise TooManyParticipants(
            f"The season is full: it has {len(season.participants)} participants, "
            f"the limit is {MAX_PARTICIPANTS}."
        )
    name = c.display_name.strip() or f"member {c.actor_id}"
    _limit("Your display name", name, DISPLAY_NAME_MAX_CHARS)
    wishlist = c.wishlist.strip()
    _limit("Your wishlist", wishlist, WISHLIST_MAX_CHARS)
    joined = ParticipantJoined(
        guild_id=c.guild_id,
        year=season.year,
        member_id=c.actor_id,
        display_name=name,
        wishlist=wishlist,
    )
    if season.status == OPEN:
        return [joined]
    return [joined, *_splice_in(state, season, c.actor_id, name, wishlist, rng)]


def _leave(c: LeaveSeason, state: SantaState, rng: random.Random) -> list[SantaEvent]:
    season = _require_open(state)
    if c.actor_id not in season.participants:
        raise NotParticipant(f"You are not in the {season.year} Secret Santa.")
    return _remove(
        state, season, c.actor_id, removed_by=c.actor_id, refuse_by_raising=False, rng=rng
    )


def _remove_participant(
    c: RemoveParticipant, state: SantaState, rng: random.Random
) -> list[SantaEvent]:
    season = _require_open(state)
    _require_organiser(c, season, "remove participants")
    if c.member_id not in season.participants:
        raise NotParticipant(f"That member is not in the {season.year} Secret Santa.")
    return _remove(
        state, season, c.member_id, removed_by=c.actor_id, refuse_by_raising=True, rng=rng
    )


def _update_wishlist(c: UpdateWishlist, state: SantaState) -> list[SantaEvent]:
    season = _require_open(state)
    if c.actor_id not in season.participants:
        raise NotParticipant(f"Join the {season.year} Secret Santa before writing a wishlist.")
    wishlist = c.wishlist.strip()
    _limit("Your wishlist", wishlist, WISHLIST_MAX_CHARS)
    events: list[SantaEvent] = [
        WishlistUpdated(
            guild_id=c.guild_id, year=season.year, member_id=c.actor_id, wishlist=wishlist
        )
    ]
    santa = season.santa_of(c.actor_id)
    if season.status == DRAWN and santa is not None:
        name = season.name(c.actor_id)
        text = f"🎁 Your giftee {name} updated their wishlist:\n{wishlist or '(empty)'}"
        events.append(_Mail(season, c.guild_id).due(santa, "wishlist_changed", text))
    return events


def _add_exclusion(c: AddExclusion, state: SantaState) -> list[SantaEvent]:
    season, pairs = _exclusion_target(c, state)
    if pairs <= season.exclusions:
        raise DuplicateExclusion("That exclusion is already in place.")
    if len(season.exclusions | pairs) > MAX_EXCLUSIONS:
        raise InvalidInput(
            f"A season can have at most {MAX_EXCLUSIONS} exclusions; "
            f"it has {len(season.exclusions)}."
        )
    return [
        ExclusionAdded(
            guild_id=c.guild_id,
            year=season.year,
            giver_id=c.giver_id,
            receiver_id=c.receiver_id,
            two_way=c.two_way,
        )
    ]


def _remove_exclusion(c: RemoveExclusion, state: SantaState) -> list[SantaEvent]:
    season, pairs = _exclusion_target(c, state)
    if not pairs & season.exclusions:
        raise UnknownExclusion("There is no such exclusion to remove.")
    return [
        ExclusionRemoved(
            guild_id=c.guild_id,
            year=season.year,
            giver_id=c.giver_id,
            receiver_id=c.receiver_id,
            two_way=c.two_way,
        )
    ]


def _exclusion_target(
    c: AddExclusion | RemoveExclusion, state: SantaState
) -> tuple[Season, set[Pair]]:
    season = _require_open(state)
    _require_organiser(c, season, "change exclusions")
    if c.giver_id == c.receiver_id:
        raise SelfExclusion(
            "Nobody can be excluded from themselves: nobody is ever their own Santa."
        )
    if isinstance(c, AddExclusion) and season.status != OPEN:
        raise WrongPhase("Exclusions can only be added before the draw.")
    for member in (c.giver_id, c.receiver_id):
        if member not in season.participants:
            raise NotParticipant(f"Member {member} has not joined the {season.year} Secret Santa.")
    pairs = {(c.giver_id, c.receiver_id)}
    if c.two_way:
        pairs.add((c.receiver_id, c.giver_id))
    return season, pairs


def _draw(c: DrawAssignments, state: SantaState, rng: random.Random) -> list[SantaEvent]:
    season = _require_open(state)
    _require_organiser(c, season, "draw")
    if season.status != OPEN:
        raise AlreadyDrawn(f"The {season.year} season has already been drawn.")
    members = sorted(season.participants)
    if len(members) < 2:
        raise NotEnoughParticipants(
            f"A draw needs at least 2 participants; the season has {len(members)}."
        )
    single_loop = season.single_loop and not c.any_valid
    outcome = drawing.draw(
        members,
        exclusions=season.exclusions,
        history=past_pairs(state, season),
        single_loop=single_loop,
        rng=rng,
    )
    if isinstance(outcome, drawing.NoValidDraw):
        names = season.name
        raise NoValidDrawError(
            [names(m) for m in outcome.givers],
            [names(m) for m in outcome.receivers],
            [names(m) for m in outcome.blocked_receivers],
            [names(m) for m in outcome.their_givers],
        )
    if isinstance(outcome, drawing.NoSingleLoop):
        raise SingleLoopNotFound(
            proven=outcome.proven,
            closed_group=[season.name(m) for m in outcome.closed_group],
            cut_member=season.name(outcome.cut_member) if outcome.cut_member is not None else None,
            forced_loop=[season.name(m) for m in outcome.forced_loop],
        )
    events: list[SantaEvent] = [
        AssignmentsDrawn(
            guild_id=c.guild_id,
            year=season.year,
            assignments=outcome.assignments,
            algorithm=outcome.algorithm,
            single_loop=single_loop,
            relaxed_years=list(outcome.relaxed_years),
            repeated_pairs=[
                PastPair(giver_id=p.giver, receiver_id=p.receiver, year=p.year)
                for p in outcome.repeated_pairs
            ],
            drawn_by=c.actor_id,
        )
    ]
    mail = _Mail(season, c.guild_id)
    for giver, receiver in sorted(outcome.assignments.items()):
        giftee = season.participants[receiver]
        text = _giftee_text(season, giftee.display_name, giftee.wishlist, changed=False)
        events.append(mail.due(giver, "draw_notice", text))
    return events


def _send_message(c: SendAnonymousMessage, state: SantaState) -> list[SantaEvent]:
    season = _require_open(state)
    if season.status != DRAWN:
        raise WrongPhase("Messages open once the names are drawn.")
    if c.actor_id not in season.assignments:
        raise NotParticipant(f"You are not in the {season.year} Secret Santa draw.")
    text = c.text.strip()
    if not text:
        raise InvalidInput("The message is empty.")
    _limit("Your message", text, MESSAGE_MAX_CHARS)
    if c.to == "giftee":
        recipient = season.assignments[c.actor_id]
        body = f"📨 A message from your Secret Santa:\n{text}"
        direction: Literal["to_giftee", "to_santa"] = "to_giftee"
    else:
        santa = season.santa_of(c.actor_id)
        if santa is None:
            raise NotYourPair("You have no Secret Santa in this draw.")
        recipient = santa
        body = f"📨 A message from your giftee {season.name(c.actor_id)}:\n{text}"
        direction = "to_santa"
    due = _Mail(season, c.guild_id).due(recipient, "anonymous_message", body)
    return [
        AnonymousMessageSent(
            guild_id=c.guild_id,
            year=season.year,
            sender_id=c.actor_id,
            recipient_id=recipient,
            direction=direction,
            text=text,
            message_id=due.message_id,
        ),
        due,
    ]


def _gift_sent(c: MarkGiftSent, state: SantaState) -> list[SantaEvent]:
    """Once per pair: a splice that changes the giver's giftee clears the mark
    (`unmarked_by_splice`)."""
    season = _require_drawn_member(c, state)
    if c.actor_id in season.gifts_sent:
        raise AlreadyMarked("You have already marked your gift as sent.")
    return [GiftSent(guild_id=c.guild_id, year=season.year, giver_id=c.actor_id)]


def _gift_received(c: MarkGiftReceived, state: SantaState) -> list[SantaEvent]:
    season = _require_drawn_member(c, state)
    if c.actor_id in season.gifts_received:
        raise AlreadyMarked("You have already marked your gift as received.")
    return [GiftReceived(guild_id=c.guild_id, year=season.year, receiver_id=c.actor_id)]


def _close(c: CloseSeason, state: SantaState) -> list[SantaEvent]:
    season = _require_open(state)
    _require_organiser(c, season, "close the season")
    return [SeasonClosed(guild_id=c.guild_id, year=season.year, closed_by=c.actor_id)]


def _record_outcome(c: RecordDeliveryOutcome, state: SantaState) -> list[SantaEvent]:
    for season in state.seasons.values():
        message = season.messages.get(c.message_id)
        if message is None:
            continue
        if message.status != "due":
            return []  # already recorded: a retried dispatcher must not record or alert twice
        if c.delivered:
            return [
                DirectMessageDelivered(
                    guild_id=c.guild_id,
                    message_id=c.message_id,
                    discord_message_id=c.discord_message_id,
                )
            ]
        reason = (c.reason.strip() or "unknown reason")[:REASON_MAX_CHARS]
        events: list[SantaEvent] = [
            DirectMessageFailed(guild_id=c.guild_id, message_id=c.message_id, reason=reason)
        ]
        if message.kind == "draw_notice":
            text = _delivery_alert(season, season.name(message.recipient_id), reason)
            alert = _Mail(season, c.guild_id).due(season.organiser_id, "organiser_alert", text)
            events.append(alert)
        return events
    raise UnknownMessage(f"No Secret Santa message has the id {c.message_id!r}.")


_DMS_CLOSED: Final = "recipient_unreachable"
_FAILURE_WORDS: Final = {
    _DMS_CLOSED: "their direct messages are closed",
    "forbidden": "Discord did not allow the bot to message them",
    "not_found": "their Discord account could not be found",
    "rejected": "Discord rejected the message",
    "discord_unavailable": "Discord was unavailable for too long",
}
"""The dispatcher's failure codes (`code` or `code: detail`) in plain words for the organiser."""


def _failure_words(reason: str) -> tuple[str, bool | None]:
    """The failure reason in plain words, and whether it means the member's DMs are closed (None:
    not known).

    Accepts a dispatcher code with or without detail, or text that is already plain words (shown as
    it is)."""
    code = reason.split(":", 1)[0].strip().lower()
    if code in _FAILURE_WORDS:
        return _FAILURE_WORDS[code], code == _DMS_CLOSED
    if reason == _FAILURE_WORDS[_DMS_CLOSED]:
        return reason, True
    return reason, None


def _delivery_alert(season: Season, who: str, reason: str) -> str:
    """Only draw notices fail loudly: every giver gets one, so naming the member reveals no pair.

    A failed wishlist update, anonymous message or giftee change would tell the organiser who
    gives to whom (a wishlist update goes to the writer's Santa), so those are recorded as
    `DirectMessageFailed` and nobody is alerted. Only closed DMs are worth asking the member about.
    """
    words, dms_closed = _failure_words(reason)
    head = f"⚠️ Secret Santa {season.year}: I could not send the draw notice to {who} ({words})."
    still = "they can still see their giftee with the Secret Santa commands."
    if dms_closed:
        advice = f"Ask them to allow direct messages from server members; {still}"
    elif dms_closed is False:
        advice = (
            f"The message could not be delivered, and not because of their DM settings; {still}"
        )
    else:
        advice = f"The message could not be delivered; {still}"
    return f"{head} {advice}"


# --- helpers --------------------------------------------------------------------------------------


class _Mail:
    """Hands out message ids `santa:{guild}:{year}:dm{n}` from the season's DM counter:
    replay-stable."""

    def __init__(self, season: Season, guild_id: int) -> None:
        self._season = season
        self._guild_id = guild_id
        self._next = season.dm_count + 1

    def due(self, recipient_id: int, kind: DmKind, text: str) -> DirectMessageDue:
        message_id = f"santa:{self._guild_id}:{self._season.year}:dm{self._next}"
        self._next += 1
        return DirectMessageDue(
            guild_id=self._guild_id,
            year=self._season.year,
            message_id=message_id,
            recipient_id=recipient_id,
            kind=kind,
            text=text,
        )


def _giftee_text(season: Season, name: str, wishlist: str, *, changed: bool) -> str:
    head = "🔄 Your Secret Santa giftee has changed" if changed else "🎅 The names are drawn"
    return (
        f"{head} ({season.year}): you are the Secret Santa of {name}.\n"
        f"Budget: {season.budget or 'not set'}; "
        f"send your gift by {season.gift_deadline:%Y-%m-%d}.\n"
        f"{name}'s wishlist:\n{wishlist or '(no wishlist yet)'}"
    )


def _limit(what: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise TooLong(what, len(text), limit)


def _require_open(state: SantaState) -> Season:
    season = state.open_season
    if season is None:
        raise NoOpenSeason("There is no open Secret Santa season on this server.")
    return season


def _is_organiser(c: Command, season: Season) -> bool:
    return c.actor_is_admin or c.actor_id == season.organiser_id


def _require_organiser(c: Command, season: Season, what: str) -> None:
    if not _is_organiser(c, season):
        raise NotAllowed(f"Only the organiser or a server admin can {what}.")


def _require_drawn_member(c: Command, state: SantaState) -> Season:
    season = _require_open(state)
    if season.status != DRAWN:
        raise WrongPhase("Gifts can be marked once the names are drawn.")
    if c.actor_id not in season.assignments:
        raise NotParticipant(f"You are not in the {season.year} Secret Santa draw.")
    return season


def _past_pairs_of(changes: tuple[tuple[int, int, int], ...]) -> list[PastPair]:
    return [PastPair(giver_id=g, receiver_id=r, year=y) for g, r, y in changes]


def _blocked_reason(refusal: splicing.NoSplice, name: str, season: Season) -> str:
    """Why `name` cannot be spliced out, for the organiser (the `/santa remove` reply, or the alert
    after `/santa leave`).

    Without a loop to keep, a splice is refused only when no valid draw of the others exists at
    all; in a single loop, only when no ring through them exists (or none was found within the
    search limit, which is said). The obstacle comes from `draw.obstacle` and depends on who would
    remain and on the exclusions, never on the draw: the same sentence whoever gives to whom, so it
    may name members (the draw's own refusals name them the same way) yet reveals no pair. It never
    speaks of "their Santa" or "their giftee": with one or two exclusions in place, "L's Santa may
    not give to L's giftee" would let the organiser work out both.
    """
    fix = f"remove or relax an exclusion, or keep {name} in"
    obstacle = refusal.obstacle
    if refusal.blocked == "too_few":
        return (
            f"without {name} only one participant would remain, and nobody can give to "
            f"themselves; keep {name} in, or close the season"
        )
    if isinstance(obstacle, drawing.NoValidDraw):
        detail = hall_detail(
            [season.name(m) for m in obstacle.givers],
            [season.name(m) for m in obstacle.receivers],
            [season.name(m) for m in obstacle.blocked_receivers],
            [season.name(m) for m in obstacle.their_givers],
            max_names=SPLICE_REASON_MAX_NAMES,
        )
        return f"without {name} no valid draw of the others exists: {detail}; {fix}"
    if isinstance(obstacle, drawing.NoSingleLoop):
        loop = loop_detail(
            [season.name(m) for m in obstacle.closed_group],
            season.name(obstacle.cut_member) if obstacle.cut_member is not None else None,
            [season.name(m) for m in obstacle.forced_loop],
            max_names=SPLICE_REASON_MAX_NAMES,
        )
        if loop is not None:
            return (
                f"without {name} no single loop through the remaining participants is "
                f"possible: {loop}; {fix}"
            )
        if obstacle.proven:
            return (
                f"without {name} no single loop through the remaining participants is possible "
                f"with these exclusions; {fix}"
            )
        return (
            f"without {name} I could not find a single loop through the remaining participants "
            f"within the search limit (one may still exist); {fix}"
        )
    return f"without {name} no valid draw of the others exists; {fix}"


def _remove(
    state: SantaState,
    season: Season,
    member: int,
    *,
    removed_by: int,
    refuse_by_raising: bool,
    rng: random.Random,
) -> list[SantaEvent]:
    guild_id = state.guild_id if state.guild_id is not None else 0
    left = ParticipantLeft(
        guild_id=guild_id, year=season.year, member_id=member, removed_by=removed_by
    )
    if season.status != DRAWN or member not in season.assignments:
        return [left]
    name = season.name(member)
    plan = splicing.splice_out(
        season.assignments,
        member,
        exclusions=season.exclusions,
        single_loop=season.drawn_single_loop,
        history=past_pairs(state, season),
        marked=marked_pairs(season),
        rng=rng,
    )
    mail = _Mail(season, guild_id)
    if isinstance(plan, splicing.NoSplice):
        reason = _blocked_reason(plan, name, season)
        if refuse_by_raising:
            raise CannotSplice(f"{name} cannot be taken out of the draw: {reason}.")
        alert = (
            f"⚠️ Secret Santa {season.year}: {name} asked to leave, but I could not take them "
            f"out of the draw: {reason}. They are still in for now; once that is changed you can "
            "remove them yourself."
        )
        return [
            SpliceRefused(guild_id=guild_id, year=season.year, member_id=member, reason=reason),
            mail.due(season.organiser_id, "organiser_alert", alert),
        ]
    events: list[SantaEvent] = [
        ParticipantSplicedOut(
            guild_id=guild_id,
            year=season.year,
            member_id=member,
            reassigned=plan.reassigned,
            repeated_pairs=_past_pairs_of(plan.repeats),
        ),
        left,
    ]
    for giver, receiver in sorted(plan.reassigned.items()):
        giftee = season.participants[receiver]
        text = _giftee_text(season, giftee.display_name, giftee.wishlist, changed=True)
        events.append(mail.due(giver, "giftee_changed", text + _unmarked_note(season, giver)))
    return events


def _unmarked_note(season: Season, giver: int) -> str:
    """Told only to the giver whose giftee changed, about their own mark (see
    `unmarked_by_splice`)."""
    if giver not in season.gifts_sent:
        return ""
    return (
        "\nYou had marked your gift as sent; that was for your previous giftee, so the mark is "
        "cleared. Mark your gift as sent again once the new one is on its way."
    )


def _splice_in(
    state: SantaState, season: Season, member: int, name: str, wishlist: str, rng: random.Random
) -> list[SantaEvent]:
    guild_id = state.guild_id if state.guild_id is not None else 0
    plan = splicing.splice_in(
        season.assignments,
        member,
        exclusions=season.exclusions,
        history=past_pairs(state, season),
        marked=marked_pairs(season),
        rng=rng,
    )
    if plan is None:
        raise CannotSplice(
            f"{name} cannot join after the draw: placing them between any Santa and giftee would "
            "break one of their exclusions."
        )
    santa = next(giver for giver, receiver in plan.reassigned.items() if receiver == member)
    giftee = season.participants[plan.reassigned[member]]
    mail = _Mail(season, guild_id)
    return [
        ParticipantSplicedIn(
            guild_id=guild_id,
            year=season.year,
            member_id=member,
            reassigned=plan.reassigned,
            repeated_pairs=_past_pairs_of(plan.repeats),
        ),
        mail.due(
            santa,
            "giftee_changed",
            _giftee_text(season, name, wishlist, changed=True) + _unmarked_note(season, santa),
        ),
        mail.due(
            member,
            "draw_notice",
            _giftee_text(season, giftee.display_name, giftee.wishlist, changed=False),
        ),
    ]
