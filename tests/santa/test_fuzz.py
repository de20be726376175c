"""Random command sequences: decide refuses only with DomainError, and the draw stays a valid,
secret-preserving bijection through every splice, message and outcome."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain import santa as s
from app.domain.draw import is_single_loop, is_valid_assignment
from app.domain.errors import DomainError
from app.projections import santa as p
from app.projections import santa_history as h

from .helpers import ADMIN, GUILD, ORGANISER, Scenario, cmd, name, open_cmd, project

MEMBERS = list(range(2, 10))
ACTORS = [ORGANISER, ADMIN, *MEMBERS]


def _before_draw() -> st.SearchStrategy[Any]:
    member = st.sampled_from(MEMBERS)
    actor = st.sampled_from(ACTORS)
    pair_change = st.tuples(actor, member, member, st.booleans())
    return st.one_of(
        member.map(lambda m: cmd(s.JoinSeason, m, display_name=name(m), wishlist="w")),
        member.map(lambda m: cmd(s.LeaveSeason, m)),
        pair_change.map(
            lambda t: cmd(s.AddExclusion, t[0], giver_id=t[1], receiver_id=t[2], two_way=t[3])
        ),
        pair_change.map(
            lambda t: cmd(s.AddExclusion, ORGANISER, giver_id=t[1], receiver_id=t[2], two_way=t[3])
        ),
        pair_change.map(
            lambda t: cmd(s.RemoveExclusion, t[0], giver_id=t[1], receiver_id=t[2], two_way=t[3])
        ),
        actor.map(lambda a: cmd(s.DrawAssignments, a)),
    )


def _after_draw(known_messages: list[str]) -> st.SearchStrategy[Any]:
    member = st.sampled_from([*MEMBERS, 10, 11, 12])
    actor = st.sampled_from(ACTORS)
    text = st.sampled_from(["", "hi", "x" * (s.MESSAGE_MAX_CHARS + 1), "a wish"])
    message_id = st.sampled_from([*known_messages, "santa:0:0:dm0"])
    return st.one_of(
        member.map(lambda m: cmd(s.JoinSeason, m, display_name=name(m), wishlist="w")),
        member.map(lambda m: cmd(s.LeaveSeason, m)),
        st.tuples(actor, member).map(lambda t: cmd(s.RemoveParticipant, t[0], member_id=t[1])),
        st.tuples(member, member).map(
            lambda t: cmd(
                s.RemoveExclusion, ORGANISER, giver_id=t[0], receiver_id=t[1], two_way=True
            )
        ),
        st.tuples(member, text).map(lambda t: cmd(s.UpdateWishlist, t[0], wishlist=t[1])),
        st.tuples(member, st.sampled_from(["giftee", "santa"]), text).map(
            lambda t: cmd(s.SendAnonymousMessage, t[0], to=t[1], text=t[2])
        ),
        member.map(lambda m: cmd(s.MarkGiftSent, m)),
        member.map(lambda m: cmd(s.MarkGiftReceived, m)),
        st.tuples(message_id, st.booleans()).map(
            lambda t: cmd(s.RecordDeliveryOutcome, 0, message_id=t[0], delivered=t[1], reason="r")
        ),
        actor.map(lambda a: cmd(s.DrawAssignments, a)),
    )


def _check_invariants(run: Scenario, before: dict[int, int], events: list[s.SantaEvent]) -> None:
    season = run.state.open_season
    if season is not None and season.status == s.DRAWN:
        assert is_valid_assignment(season.assignments, season.participants)
        assert not set(season.assignments.items()) & season.exclusions
        if season.drawn_single_loop:
            assert is_single_loop(season.assignments)
        for event in events:
            if isinstance(event, s.ParticipantSplicedOut | s.ParticipantSplicedIn):
                untouched = set(before) - set(event.reassigned) - {event.member_id}
                assert all(season.assignments[g] == before[g] for g in untouched), (
                    "secrecy: minimal change"
                )
    ids = [e.message_id for e in run.log if isinstance(e, s.DirectMessageDue)]
    assert len(ids) == len(set(ids))


@settings(
    max_examples=50,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_command_sequences_keep_every_invariant(data: st.DataObject) -> None:
    run = Scenario(seed=data.draw(st.integers(0, 10_000)))
    run.do(open_cmd(2026, single_loop=data.draw(st.booleans())))
    for member in MEMBERS[: data.draw(st.integers(2, len(MEMBERS)))]:
        run.do(cmd(s.JoinSeason, member, display_name=name(member)))
    for _ in range(data.draw(st.integers(0, 12))):
        _attempt(run, data.draw(_before_draw()))
    season = run.state.open_season
    if season is not None and season.status == s.OPEN:
        _attempt(run, cmd(s.DrawAssignments))
        _attempt(run, cmd(s.DrawAssignments, any_valid=True))
    for _ in range(data.draw(st.integers(5, 30))):
        known = sorted({e.message_id for e in run.log if isinstance(e, s.DirectMessageDue)})
        _attempt(run, data.draw(_after_draw(known)))
    _check_read_models_agree(run)
    _attempt(run, cmd(s.CloseSeason))
    assert repr(s.fold(list(run.log))) == repr(run.state), "replay gives the same state"


def _check_read_models_agree(run: Scenario) -> None:
    """Member views and history follow the rules' pairs and gift marks, splices included."""
    season = run.state.open_season
    if season is None or season.status != s.DRAWN:
        return
    record = project(h.SantaHistoryProjection(), run.log).guilds[GUILD].years[season.year]
    assert record.pairs == season.assignments
    assert set(record.gifts_sent) == season.gifts_sent
    assert set(record.gifts_received) == season.gifts_received
    views = project(p.SantaMemberViewsProjection(), run.log)
    for member, giftee in season.assignments.items():
        view = p.member_view(views, GUILD, member)
        assert view is not None
        assert view.giftee_id == giftee
        assert view.gift_sent == (member in season.gifts_sent)
        assert view.gift_received == (member in season.gifts_received)


def _attempt(run: Scenario, command: Any) -> None:
    season = run.state.open_season
    before = dict(season.assignments) if season is not None else {}
    snapshot = repr(run.state)
    try:
        events = run.do(command)
    except DomainError as refusal:
        message = refusal.message
        assert message.endswith(".")
        assert repr(run.state) == snapshot
        return
    _check_invariants(run, before, events)
