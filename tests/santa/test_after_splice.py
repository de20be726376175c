"""After a splice (A→L→B becomes A→B; A→B becomes A→N→B): what the members whose Santa or giftee
changed see, which gift marks survive, and that history and the organiser agree with the rules."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
import pytest

from app.domain import errors as e
from app.domain import santa as s
from app.projections import santa as p
from app.projections import santa_history as h

from .helpers import GUILD, Scenario, cmd, drawn, excluded, of_type, project, season_with

ANN, BOB, CY, DEE, EVE = 2, 3, 4, 5, 6
RING = {ANN: BOB, BOB: CY, CY: DEE, DEE: ANN}  # Bob leaving makes Ann→Cy (the direct link)


def _ring(seed: int = 0) -> Scenario:
    return Scenario(seed=seed).given(
        *season_with(ANN, BOB, CY, DEE, single_loop=True), drawn(RING, loop=True)
    )


def _all_marked(run: Scenario) -> Scenario:
    for member in sorted(run.state.seasons[2026].assignments):
        run.do(cmd(s.MarkGiftSent, member))
        run.do(cmd(s.MarkGiftReceived, member))
    return run


def _say(run: Scenario, sender: int, to: str) -> None:
    run.do(cmd(s.SendAnonymousMessage, sender, to=to, text=f"{sender} to {to}"))


def _texts(messages: list[p.ReceivedMessage]) -> list[str]:
    return [m.text for m in messages]


# --- the rules ------------------------------------------------------------------------------------


def test_a_splice_out_clears_the_marks_of_the_pairs_it_dissolves() -> None:
    # Given Ann→Bob→Cy→Dee→Ann and everyone has marked their gift as sent and as received
    run = _all_marked(_ring())
    # When Bob leaves (Ann→Bob and Bob→Cy are dissolved; Ann→Cy is new)
    events = run.do(cmd(s.LeaveSeason, BOB))
    assert of_type(events, s.ParticipantSplicedOut)[0].reassigned == {ANN: CY}
    # Then Ann's "sent" (it was for Bob) and Cy's "received" (it was from Bob) are cleared;
    # the pairs the splice kept (Cy→Dee, Dee→Ann) keep their marks
    season = run.state.seasons[2026]
    assert season.gifts_sent == {CY, DEE}
    assert season.gifts_received == {DEE, ANN}
    # and Ann is told in her giftee-changed message why her mark is gone
    (notice,) = of_type(events, s.DirectMessageDue)
    assert notice.recipient_id == ANN
    assert "Secret Santa of Cy." in notice.text
    assert "mark is cleared" in notice.text
    # and Ann can mark the gift for Cy, Cy can mark the one from Ann, Dee's marks still stand
    assert run.do(cmd(s.MarkGiftSent, ANN)) == [s.GiftSent(guild_id=GUILD, year=2026, giver_id=ANN)]
    assert run.do(cmd(s.MarkGiftReceived, CY)) == [
        s.GiftReceived(guild_id=GUILD, year=2026, receiver_id=CY)
    ]
    with pytest.raises(e.AlreadyMarked):
        run.do(cmd(s.MarkGiftSent, DEE))
    with pytest.raises(e.AlreadyMarked):
        run.do(cmd(s.MarkGiftReceived, DEE))


def test_a_splice_in_clears_the_marks_of_the_pair_it_breaks() -> None:
    # Given a marked ring of four
    run = _all_marked(_ring(seed=4))
    # When Eve joins late and goes between some A→B
    events = run.do(cmd(s.JoinSeason, EVE, display_name="Eve"))
    (spliced,) = of_type(events, s.ParticipantSplicedIn)
    santa = next(g for g, r in spliced.reassigned.items() if r == EVE)
    giftee = spliced.reassigned[EVE]
    # Then A's "sent" and B's "received" are cleared, everyone else keeps theirs
    season = run.state.seasons[2026]
    assert season.gifts_sent == set(RING) - {santa}
    assert season.gifts_received == set(RING) - {giftee}
    (changed,) = (d for d in of_type(events, s.DirectMessageDue) if d.kind == "giftee_changed")
    assert changed.recipient_id == santa
    assert "mark is cleared" in changed.text
    # and A can mark the gift for Eve
    assert of_type(run.do(cmd(s.MarkGiftSent, santa)), s.GiftSent)


def test_a_giver_who_had_not_marked_hears_nothing_about_marks() -> None:
    events = _ring().do(cmd(s.LeaveSeason, BOB))
    (notice,) = of_type(events, s.DirectMessageDue)
    assert "mark" not in notice.text


def _marked(run: Scenario, sent: tuple[int, ...] = (), received: tuple[int, ...] = ()) -> Scenario:
    for member in sent:
        run.do(cmd(s.MarkGiftSent, member))
    for member in received:
        run.do(cmd(s.MarkGiftReceived, member))
    return run


def _marks(run: Scenario) -> tuple[set[int], set[int]]:
    season = run.state.seasons[2026]
    return set(season.gifts_sent), set(season.gifts_received)


def _mark_notes(events: list[s.SantaEvent]) -> list[str]:
    return [d.text for d in of_type(events, s.DirectMessageDue) if "mark" in d.text]


def test_a_late_joiner_goes_into_the_pair_with_no_gift_marked() -> None:
    for seed in range(12):
        # Given Ann→Bob→Cy→Dee→Ann, where Ann and Dee have sent their gifts and Cy has received
        # hers: only Cy→Dee has no mark
        run = _marked(_ring(seed), sent=(ANN, DEE), received=(CY,))
        before = _marks(run)
        # When Eve joins late
        events = run.do(cmd(s.JoinSeason, EVE, display_name="Eve"))
        # Then she goes between Cy and Dee, whatever the seed
        (spliced,) = of_type(events, s.ParticipantSplicedIn)
        assert spliced.reassigned == {CY: EVE, EVE: DEE}
        # and no mark is cleared, so nobody is told about one
        assert _marks(run) == before
        assert _mark_notes(events) == []


def test_a_late_joiner_breaks_a_marked_pair_only_when_no_unmarked_place_is_allowed() -> None:
    santas: set[int] = set()
    for seed in range(12):
        # Given only Cy→Dee unmarked, but Eve may not give to Dee
        run = _marked(_ring(seed).given(excluded(EVE, DEE)), sent=(ANN, BOB, DEE))
        # When Eve joins late
        events = run.do(cmd(s.JoinSeason, EVE, display_name="Eve"))
        (spliced,) = of_type(events, s.ParticipantSplicedIn)
        santa = next(g for g, r in spliced.reassigned.items() if r == EVE)
        santas.add(santa)
        # Then she still joins, in a marked pair, and that Santa's mark is cleared and explained
        assert _marks(run) == ({ANN, BOB, DEE} - {santa}, set())
        (note,) = _mark_notes(events)
        assert "mark is cleared" in note
    assert santas <= {ANN, BOB, DEE}


FAY = 7
SWAP_DRAW = {ANN: BOB, BOB: CY, CY: DEE, DEE: EVE, EVE: FAY, FAY: ANN}
"""No loop required; with Ann↛Cy, Bob leaving makes Ann swap with Dee (Ann→Eve, Dee→Cy) or with
Eve (Ann→Fay, Eve→Cy)."""


def test_a_leaver_is_swapped_out_past_a_pair_whose_gift_is_marked() -> None:
    for seed in range(12):
        # Given Dee has sent her gift to Eve
        run = _marked(
            Scenario(seed=seed).given(
                *season_with(*SWAP_DRAW), excluded(ANN, CY), drawn(SWAP_DRAW, loop=False)
            ),
            sent=(DEE,),
        )
        # When Bob leaves
        events = run.do(cmd(s.LeaveSeason, BOB))
        # Then Ann swaps with Eve, whatever the seed, and Dee keeps her pair and her mark
        (spliced,) = of_type(events, s.ParticipantSplicedOut)
        assert spliced.reassigned == {ANN: FAY, EVE: CY}
        assert _marks(run) == ({DEE}, set())
        assert _mark_notes(events) == []


# --- member views ---------------------------------------------------------------------------------


def _chatty_ring() -> Scenario:
    """Everyone has written to their giftee and to their Santa, and marked both gifts."""
    run = _all_marked(_ring())
    for member in RING:
        _say(run, member, "giftee")
        _say(run, member, "santa")
    return run


def test_member_views_forget_the_old_santa_and_giftee_after_a_splice_out() -> None:
    # Given Ann→Bob→Cy→Dee→Ann, who have all written to their Santa and giftee and marked gifts
    run = _chatty_ring()
    # When Bob leaves (Ann→Cy)
    run.do(cmd(s.LeaveSeason, BOB))
    state = project(p.SantaMemberViewsProjection(), run.log)
    ann, cy, dee = (p.member_view(state, GUILD, m) for m in (ANN, CY, DEE))
    assert ann is not None
    assert cy is not None
    assert dee is not None
    # Then Ann (new giftee Cy) no longer shows Bob's message as "from your giftee", nor her mark
    assert ann.giftee_id == CY
    assert _texts(ann.messages_from_giftee) == []
    assert not ann.gift_sent
    # but her Santa (Dee) did not change: Dee's message and Ann's "received" stay
    assert _texts(ann.messages_from_santa) == [f"{DEE} to giftee"]
    assert ann.gift_received
    # and Cy (new Santa Ann) no longer shows Bob's message as "from your Santa", nor her mark
    assert _texts(cy.messages_from_santa) == []
    assert not cy.gift_received
    assert _texts(cy.messages_from_giftee) == [f"{DEE} to santa"]
    assert cy.gift_sent
    # and Dee, whose Santa and giftee are unchanged, keeps everything
    assert _texts(dee.messages_from_santa) == [f"{CY} to giftee"]
    assert _texts(dee.messages_from_giftee) == [f"{ANN} to santa"]
    assert dee.gift_sent
    assert dee.gift_received
    # and messages after the splice arrive from the new Santa and giftee
    _say(run, ANN, "giftee")
    _say(run, CY, "santa")
    state = project(p.SantaMemberViewsProjection(), run.log)
    cy_after = p.member_view(state, GUILD, CY)
    ann_after = p.member_view(state, GUILD, ANN)
    assert cy_after is not None
    assert ann_after is not None
    assert _texts(cy_after.messages_from_santa) == [f"{ANN} to giftee"]
    assert _texts(ann_after.messages_from_giftee) == [f"{CY} to santa"]


def test_member_views_forget_the_old_santa_and_giftee_after_a_splice_in() -> None:
    # Given the same chatty ring
    run = _chatty_ring()
    before = msgspec.json.encode(project(p.SantaMemberViewsProjection(), run.log).guilds[GUILD])
    old = msgspec.json.decode(before, type=p.MemberSeason).members
    # When Eve joins late, between A and B
    (spliced,) = of_type(run.do(cmd(s.JoinSeason, EVE, display_name="Eve")), s.ParticipantSplicedIn)
    a = next(g for g, r in spliced.reassigned.items() if r == EVE)
    b = spliced.reassigned[EVE]
    state = project(p.SantaMemberViewsProjection(), run.log)
    views = {m: p.member_view(state, GUILD, m) for m in (*RING, EVE)}
    # Then A (new giftee Eve) and B (new Santa Eve) forget the broken pair's messages and marks
    view_a, view_b = views[a], views[b]
    assert view_a is not None
    assert view_b is not None
    assert (view_a.messages_from_giftee, view_a.gift_sent) == ([], False)
    assert (view_b.messages_from_santa, view_b.gift_received) == ([], False)
    assert view_a.messages_from_santa == old[a].messages_from_santa
    assert view_b.messages_from_giftee == old[b].messages_from_giftee
    # and nobody else's view changed except for who A gives to
    for member in set(RING) - {a, b}:
        assert views[member] == old[member]


# --- history and the organiser agree --------------------------------------------------------------


def _history_record(run: Scenario) -> h.YearRecord:
    return project(h.SantaHistoryProjection(), run.log).guilds[GUILD].years[2026]


def test_history_clears_the_same_marks_as_the_rules() -> None:
    # Given a marked ring in which Bob leaves and Eve joins
    run = _all_marked(_ring(seed=2))
    run.do(cmd(s.LeaveSeason, BOB))
    run.do(cmd(s.JoinSeason, EVE, display_name="Eve"))
    run.do(cmd(s.MarkGiftSent, ANN))
    # When the season closes
    run.do(cmd(s.CloseSeason))
    # Then history holds exactly the marks the rules hold, for exactly the pairs of the final draw
    record = _history_record(run)
    season = run.state.seasons[2026]
    assert record.pairs == season.assignments
    assert set(record.gifts_sent) == season.gifts_sent
    assert set(record.gifts_received) == season.gifts_received
    for member in season.assignments:
        (row,) = h.member_history(project(h.SantaHistoryProjection(), run.log), GUILD, member)
        assert row.sent == (member in season.gifts_sent)
        assert row.received == (member in season.gifts_received)
    (summary,) = h.guild_table(project(h.SantaHistoryProjection(), run.log), GUILD)
    assert (summary.gifts_sent, summary.gifts_received) == (
        len(season.gifts_sent),
        len(season.gifts_received),
    )


def _views_others_get(run: Scenario) -> tuple[bytes, tuple[h.YearSummary, ...]]:
    organiser = msgspec.json.encode(project(p.SantaOrganiserProjection(), run.log))
    table = tuple(h.guild_table(project(h.SantaHistoryProjection(), run.log), GUILD))
    return organiser, table


def test_counts_others_see_do_not_move_with_whose_marks_a_splice_cleared() -> None:
    # Given rings of four drawn at random, in which only Ann has marked her gifts
    seen: dict[str, set[Any]] = {"after leave": set(), "after re-marking": set()}
    ann_was_bobs_santa: set[bool] = set()
    for seed in range(12):
        run = Scenario(seed=seed).given(*season_with(ANN, BOB, CY, DEE, single_loop=True))
        run.do(cmd(s.DrawAssignments))
        ann_was_bobs_santa.add(run.state.seasons[2026].assignments[ANN] == BOB)
        run.do(cmd(s.MarkGiftSent, ANN))
        run.do(cmd(s.MarkGiftReceived, ANN))
        # When Bob leaves (Ann's marks are cleared only if Bob was her giftee or her Santa)
        run.do(cmd(s.LeaveSeason, BOB))
        seen["after leave"].add(_views_others_get(run))
        # and Ann marks again whenever she may
        for mark in (s.MarkGiftSent, s.MarkGiftReceived):
            with contextlib.suppress(e.AlreadyMarked):
                run.do(cmd(mark, ANN))
        seen["after re-marking"].add(_views_others_get(run))
    assert ann_was_bobs_santa == {True, False}, "the seeds must cover both cases"
    # Then the organiser's counts and the public history table are the same whoever gave to Bob
    assert len(seen["after leave"]) == 1
    assert len(seen["after re-marking"]) == 1
    ((organiser, table),) = seen["after re-marking"]
    view = msgspec.json.decode(organiser, type=p.OrganiserState).guilds[GUILD]
    assert (view.gifts_sent, view.gifts_received) == (1, 1)  # Ann, counted once
    assert (table[0].gifts_sent, table[0].gifts_received) == (1, 1)


def test_a_running_year_restored_from_an_older_snapshot_keeps_its_counts() -> None:
    # Given a history snapshot written before `ever_sent` / `ever_received` existed
    old = (
        b'{"guilds":{"4242":{"years":{"2026":{"year":2026,"status":"drawn",'
        b'"pairs":{"2":3,"3":2},"gifts_sent":[2],"gifts_received":[3]}}}}}'
    )
    state = msgspec.json.decode(old, type=h.HistoryState)
    # When the table is read, then the marks it held still count
    (row,) = h.guild_table(state, GUILD)
    assert (row.gifts_sent, row.gifts_received, row.completion_rate) == (1, 1, 0.5)
