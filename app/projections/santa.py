"""Secret Santa read models, each a fold over the event log (see the Projection protocol in
CONTRACT.md).

Four views with different audiences, kept apart so that none leaks what its reader must not see:
- `SantaSeasonsProjection`: the current season per server, its participants and status (anyone).
- `SantaMemberViewsProjection`: per member, my giftee and their wishlist, messages from my Santa.
  Query it only through `member_view`, which returns one member's own view and never their Santa.
- `SantaOrganiserProjection`: counts (joined, drawn, DMs delivered/failed, gifts sent/received); its
  state holds no giver→receiver information at all, so it cannot leak it.
- `SantaOutboxProjection`: DMs due and not yet delivered or failed, for the dispatcher (internal).

States are msgspec Structs with str/int keys so the store can snapshot them. `apply` mutates in
place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar

import msgspec

from app.domain import santa as s


class EventRecord(Protocol):
    """What projections read from a recorded event (the store's RecordedEvent satisfies it)."""

    @property
    def position(self) -> int:
        """Global position in the log."""

    @property
    def stream_id(self) -> str:
        """The stream the event belongs to."""

    @property
    def recorded_at(self) -> datetime:
        """Aware UTC time of the append."""

    @property
    def event(self) -> Any:
        """The decoded domain event (None for unregistered types)."""


# --- current season per server --------------------------------------------------------------------


class SeasonView(msgspec.Struct, kw_only=True):
    year: int
    status: str
    organiser_id: int
    organiser_name: str
    budget: str
    signup_deadline: datetime
    gift_deadline: datetime
    single_loop: bool
    participants: dict[int, str] = msgspec.field(default_factory=dict)
    """member id → display name"""


class SeasonsState(msgspec.Struct, kw_only=True):
    guilds: dict[int, SeasonView] = msgspec.field(default_factory=dict)


class SantaSeasonsProjection:
    name = "santa.seasons.v1"
    state_type = SeasonsState

    def initial(self) -> SeasonsState:
        return SeasonsState()

    def apply(self, state: SeasonsState, rec: EventRecord) -> SeasonsState:
        ev = rec.event
        if isinstance(ev, s.SeasonOpened):
            state.guilds[ev.guild_id] = SeasonView(
                year=ev.year,
                status=s.OPEN,
                organiser_id=ev.organiser_id,
                organiser_name=ev.organiser_name,
                budget=ev.budget,
                signup_deadline=ev.signup_deadline,
                gift_deadline=ev.gift_deadline,
                single_loop=ev.single_loop,
            )
            return state
        view = _current(state.guilds, ev)
        if view is None:
            return state
        if isinstance(ev, s.ParticipantJoined):
            view.participants[ev.member_id] = ev.display_name
        elif isinstance(ev, s.ParticipantLeft):
            view.participants.pop(ev.member_id, None)
        elif isinstance(ev, s.AssignmentsDrawn):
            view.status = s.DRAWN
        elif isinstance(ev, s.SeasonClosed):
            del state.guilds[ev.guild_id]
        return state


def current_season(state: SeasonsState, guild_id: int) -> SeasonView | None:
    return state.guilds.get(guild_id)


# --- per member -----------------------------------------------------------------------------------


class ReceivedMessage(msgspec.Struct, kw_only=True):
    text: str
    at: datetime


class MemberView(msgspec.Struct, kw_only=True):
    giftee_id: int | None = None
    giftee_name: str = ""
    giftee_wishlist: str = ""
    messages_from_santa: list[ReceivedMessage] = msgspec.field(default_factory=list)
    messages_from_giftee: list[ReceivedMessage] = msgspec.field(default_factory=list)
    gift_sent: bool = False
    gift_received: bool = False


class MemberSeason(msgspec.Struct, kw_only=True):
    year: int
    names: dict[int, str] = msgspec.field(default_factory=dict)
    wishlists: dict[int, str] = msgspec.field(default_factory=dict)
    members: dict[int, MemberView] = msgspec.field(default_factory=dict)


class MemberViewsState(msgspec.Struct, kw_only=True):
    guilds: dict[int, MemberSeason] = msgspec.field(default_factory=dict)


class SantaMemberViewsProjection:
    """Every giver's giftee is in this state (it is what the views are made of); the only query,
    `member_view`, hands a member their own view, which names their giftee and never their Santa."""

    name = "santa.member_views.v2"  # v2: splices clear the dissolved pairs' messages and marks
    state_type = MemberViewsState

    def initial(self) -> MemberViewsState:
        return MemberViewsState()

    def apply(self, state: MemberViewsState, rec: EventRecord) -> MemberViewsState:
        ev = rec.event
        if isinstance(ev, s.SeasonOpened):
            state.guilds[ev.guild_id] = MemberSeason(year=ev.year)
            return state
        season = _current(state.guilds, ev)
        if season is None:
            return state
        if isinstance(ev, s.ParticipantJoined):
            season.names[ev.member_id] = ev.display_name
            season.wishlists[ev.member_id] = ev.wishlist
            season.members[ev.member_id] = MemberView()
        elif isinstance(ev, s.ParticipantLeft):
            season.members.pop(ev.member_id, None)
            season.wishlists.pop(ev.member_id, None)
        elif isinstance(ev, s.WishlistUpdated):
            season.wishlists[ev.member_id] = ev.wishlist
            for view in season.members.values():
                if view.giftee_id == ev.member_id:
                    view.giftee_wishlist = ev.wishlist
        elif isinstance(ev, s.AssignmentsDrawn | s.ParticipantSplicedIn | s.ParticipantSplicedOut):
            if isinstance(ev, s.AssignmentsDrawn):
                pairs = ev.assignments
            else:
                pairs = ev.reassigned
                _forget_dissolved_pairs(season, ev)
            for giver, receiver in pairs.items():
                view = season.members.setdefault(giver, MemberView())
                view.giftee_id = receiver
                view.giftee_name = season.names.get(receiver, "")
                view.giftee_wishlist = season.wishlists.get(receiver, "")
        elif isinstance(ev, s.AnonymousMessageSent):
            reader = season.members.get(ev.recipient_id)
            if reader is not None:
                message = ReceivedMessage(text=ev.text, at=rec.recorded_at)
                if ev.direction == "to_giftee":
                    reader.messages_from_santa.append(message)
                else:
                    reader.messages_from_giftee.append(message)
        elif isinstance(ev, s.GiftSent):
            if (sender := season.members.get(ev.giver_id)) is not None:
                sender.gift_sent = True
        elif isinstance(ev, s.GiftReceived):
            if (getter := season.members.get(ev.receiver_id)) is not None:
                getter.gift_received = True
        elif isinstance(ev, s.SeasonClosed):
            del state.guilds[ev.guild_id]
        return state


def _forget_dissolved_pairs(
    season: MemberSeason, ev: s.ParticipantSplicedIn | s.ParticipantSplicedOut
) -> None:
    """Before a splice is applied: for every pair it dissolves, the giver (whose giftee changes)
    loses the old giftee's messages and their "sent" mark, and the receiver (whose Santa changes)
    loses the old Santa's messages and their "received" mark. Members whose Santa and giftee stay
    keep everything. Same rule as the decider (`santa.unmarked_by_splice`)."""
    before = {g: v.giftee_id for g, v in season.members.items() if v.giftee_id is not None}
    after = dict(before)
    if isinstance(ev, s.ParticipantSplicedOut):
        after.pop(ev.member_id, None)
    after.update(ev.reassigned)
    givers, receivers = s.unmarked_by_splice(before, after)
    for giver in givers:
        if (view := season.members.get(giver)) is not None:
            view.messages_from_giftee = []
            view.gift_sent = False
    for receiver in receivers:
        if (view := season.members.get(receiver)) is not None:
            view.messages_from_santa = []
            view.gift_received = False


def member_view(state: MemberViewsState, guild_id: int, member_id: int) -> MemberView | None:
    """The member's own view of the open season: their giftee, the wishlist, messages from their
    Santa."""
    season = state.guilds.get(guild_id)
    return season.members.get(member_id) if season is not None else None


# --- organiser counts -----------------------------------------------------------------------------


class OrganiserView(msgspec.Struct, kw_only=True):
    year: int
    status: str = s.OPEN
    joined: int = 0
    drawn: bool = False
    algorithm: str = ""
    relaxed_years: list[int] = msgspec.field(default_factory=list)
    repeated_pairs: int = 0
    dms_due: int = 0
    dms_delivered: int = 0
    dms_failed: int = 0
    unreachable_members: list[int] = msgspec.field(default_factory=list)
    gifts_sent: int = 0
    """members who have marked a gift as sent this season (see `marked_sent`)"""
    gifts_received: int = 0
    leave_requests_refused: int = 0
    marked_sent: list[int] = msgspec.field(default_factory=list)
    """Everyone who has marked a gift as sent at least once, counted once. A splice clears the marks
    of the pairs it dissolves (`santa.unmarked_by_splice`) and those givers may mark again; counting
    current marks instead would make the count drop or rise with who gave to the leaver, and a
    drop right after someone leaves points at their Santa. Members, not pairs, so it is safe here."""
    marked_received: list[int] = msgspec.field(default_factory=list)
    open_messages: dict[str, int | None] = msgspec.field(default_factory=dict)
    """message id → recipient for draw notices (every giver gets one, so it says nothing about
    pairs); None for other kinds, whose recipient would hint at a pair (a wishlist update goes to
    the Santa)."""


class OrganiserState(msgspec.Struct, kw_only=True):
    guilds: dict[int, OrganiserView] = msgspec.field(default_factory=dict)


class SantaOrganiserProjection:
    """Counts only. Nothing in this state depends on who gives to whom: two different draws of the
    same season produce the same state."""

    name = "santa.organiser.v2"  # v2: gift counts count each member once
    state_type = OrganiserState

    def initial(self) -> OrganiserState:
        return OrganiserState()

    def apply(self, state: OrganiserState, rec: EventRecord) -> OrganiserState:
        ev = rec.event
        if isinstance(ev, s.SeasonOpened):
            state.guilds[ev.guild_id] = OrganiserView(year=ev.year)
            return state
        if isinstance(ev, s.DirectMessageDelivered | s.DirectMessageFailed):
            view = state.guilds.get(ev.guild_id)
            if view is None or ev.message_id not in view.open_messages:
                return state
            recipient = view.open_messages.pop(ev.message_id)
            if isinstance(ev, s.DirectMessageDelivered):
                view.dms_delivered += 1
            else:
                view.dms_failed += 1
                if recipient is not None and recipient not in view.unreachable_members:
                    view.unreachable_members.append(recipient)
            return state
        view = _current(state.guilds, ev)
        if view is None:
            return state
        if isinstance(ev, s.ParticipantJoined):
            view.joined += 1
        elif isinstance(ev, s.ParticipantLeft):
            view.joined -= 1
        elif isinstance(ev, s.AssignmentsDrawn):
            view.drawn = True
            view.status = s.DRAWN
            view.algorithm = ev.algorithm
            view.relaxed_years = list(ev.relaxed_years)
            view.repeated_pairs = len(ev.repeated_pairs)
        elif isinstance(ev, s.DirectMessageDue):
            view.dms_due += 1
            notice = ev.kind == "draw_notice"
            view.open_messages[ev.message_id] = ev.recipient_id if notice else None
        elif isinstance(ev, s.GiftSent):
            if ev.giver_id not in view.marked_sent:
                view.marked_sent.append(ev.giver_id)
                view.gifts_sent += 1
        elif isinstance(ev, s.GiftReceived):
            if ev.receiver_id not in view.marked_received:
                view.marked_received.append(ev.receiver_id)
                view.gifts_received += 1
        elif isinstance(ev, s.SpliceRefused):
            view.leave_requests_refused += 1
        elif isinstance(ev, s.SeasonClosed):
            view.status = s.CLOSED
        return state


def organiser_view(state: OrganiserState, guild_id: int) -> OrganiserView | None:
    return state.guilds.get(guild_id)


# --- outbox for the DM dispatcher -----------------------------------------------------------------


class PendingDm(msgspec.Struct, kw_only=True):
    guild_id: int
    recipient_id: int
    kind: str
    text: str
    due_position: int


class OutboxState(msgspec.Struct, kw_only=True):
    pending: dict[str, PendingDm] = msgspec.field(default_factory=dict)


class SantaOutboxProjection:
    """DMs recorded as due and not yet delivered or failed, oldest first. Internal to the
    dispatcher: texts include draw notices, so this view must never be shown to members."""

    name = "santa.outbox.v1"
    state_type = OutboxState

    def initial(self) -> OutboxState:
        return OutboxState()

    def apply(self, state: OutboxState, rec: EventRecord) -> OutboxState:
        ev = rec.event
        if isinstance(ev, s.DirectMessageDue):
            state.pending[ev.message_id] = PendingDm(
                guild_id=ev.guild_id,
                recipient_id=ev.recipient_id,
                kind=ev.kind,
                text=ev.text,
                due_position=rec.position,
            )
        elif isinstance(ev, s.DirectMessageDelivered | s.DirectMessageFailed):
            state.pending.pop(ev.message_id, None)
        return state


def pending_messages(state: OutboxState) -> list[tuple[str, PendingDm]]:
    return sorted(state.pending.items(), key=lambda item: item[1].due_position)


class _HasYear(Protocol):
    year: int


V = TypeVar("V", bound=_HasYear)


def _current(guilds: dict[int, V], ev: Any) -> V | None:
    """The view an event of the server's current season updates; None for any other event."""
    if not isinstance(ev, s.SantaEvent) or isinstance(ev, s.SeasonOpened):
        return None
    view = guilds.get(ev.guild_id)
    if view is None or getattr(ev, "year", None) != view.year:
        return None
    return view
