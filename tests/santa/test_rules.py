"""Given/when/then: one test per rule members and organisers rely on."""

from __future__ import annotations

import msgspec
import pytest

from app.domain import errors as e
from app.domain import santa as s
from app.domain.draw import is_single_loop, is_valid_assignment
from app.events import app_registry

from .helpers import (
    ADMIN,
    GUILD,
    ORGANISER,
    OUTSIDER,
    Scenario,
    cmd,
    drawn,
    excluded,
    joined,
    of_type,
    open_cmd,
    opened,
    season_with,
    when,
)
from .oracle import all_draws

ANN, BOB, CY, DEE, EVE, FAY = 2, 3, 4, 5, 6, 7


# --- seasons --------------------------------------------------------------------------------------


def test_opening_a_season_records_its_settings() -> None:
    events = when([], open_cmd(2026, single_loop=True, avoid_past_years=2))
    assert events == [
        s.SeasonOpened(
            guild_id=GUILD,
            year=2026,
            organiser_id=ORGANISER,
            organiser_name="Org",
            budget="20 EUR",
            signup_deadline=opened().signup_deadline,
            gift_deadline=opened().gift_deadline,
            single_loop=True,
            avoid_past_years=2,
        )
    ]


def test_only_one_open_season_per_server() -> None:
    with pytest.raises(e.SeasonAlreadyOpen, match="2026 season is still open"):
        when([opened(2026)], open_cmd(2027))


def test_a_closed_season_makes_room_for_the_next_one() -> None:
    closed = s.SeasonClosed(guild_id=GUILD, year=2026, closed_by=ORGANISER)
    assert len(when([opened(2026), closed], open_cmd(2027))) == 1


def test_one_season_per_year() -> None:
    closed = s.SeasonClosed(guild_id=GUILD, year=2026, closed_by=ORGANISER)
    with pytest.raises(e.SeasonExists, match="already had a 2026 season"):
        when([opened(2026), closed], open_cmd(2026))


@pytest.mark.parametrize("year", [1999, 2101])
def test_year_is_between_2000_and_2100(year: int) -> None:
    with pytest.raises(e.InvalidInput, match=f"between 2000 and 2100; got {year}"):
        when([], open_cmd(year))


def test_past_years_can_be_recorded() -> None:
    assert when([], open_cmd(2003))[0].year == 2003  # type: ignore[union-attr]


def test_budget_length_is_limited() -> None:
    with pytest.raises(e.TooLong, match=f"101 characters long; the limit is {s.BUDGET_MAX_CHARS}"):
        when([], open_cmd(budget="x" * 101))


def test_gift_deadline_not_before_signup_deadline() -> None:
    c = open_cmd(gift_deadline=opened().signup_deadline.replace(day=1, month=11))
    with pytest.raises(e.InvalidInput, match="gift deadline"):
        when([], c)


def test_past_years_to_avoid_is_bounded() -> None:
    with pytest.raises(e.InvalidInput, match=f"between 0 and {s.AVOID_PAST_YEARS_MAX}; got 11"):
        when([], open_cmd(avoid_past_years=11))


def test_commands_for_another_server_are_refused() -> None:
    c = s.JoinSeason(guild_id=GUILD + 1, actor_id=ANN, display_name="Ann")
    with pytest.raises(e.NotAllowed, match="different server"):
        when([opened()], c)


# --- joining, leaving, wishlists ------------------------------------------------------------------


def test_joining_records_name_and_wishlist() -> None:
    events = when([opened()], cmd(s.JoinSeason, ANN, display_name=" Ann ", wishlist=" socks "))
    assert events == [joined(ANN, wishlist="socks")]


def test_no_joining_twice() -> None:
    with pytest.raises(e.AlreadyJoined, match="already joined the 2026"):
        when(season_with(ANN), cmd(s.JoinSeason, ANN, display_name="Ann"))


def test_no_joining_without_an_open_season() -> None:
    with pytest.raises(e.NoOpenSeason):
        when([], cmd(s.JoinSeason, ANN, display_name="Ann"))


def test_wishlist_length_is_limited_with_a_clear_error() -> None:
    too_long = "x" * (s.WISHLIST_MAX_CHARS + 1)
    message = f"{s.WISHLIST_MAX_CHARS + 1} characters long; the limit is {s.WISHLIST_MAX_CHARS}"
    with pytest.raises(e.TooLong, match=message):
        when([opened()], cmd(s.JoinSeason, ANN, display_name="Ann", wishlist=too_long))
    with pytest.raises(e.TooLong, match=message) as caught:
        when(season_with(ANN), cmd(s.UpdateWishlist, ANN, wishlist=too_long))
    assert caught.value.message.startswith("Your wishlist is")


def test_wishlist_of_exactly_the_limit_is_fine() -> None:
    ok = "x" * s.WISHLIST_MAX_CHARS
    assert len(when(season_with(ANN), cmd(s.UpdateWishlist, ANN, wishlist=ok))) == 1


def test_display_name_length_is_limited() -> None:
    with pytest.raises(e.TooLong, match="display name"):
        when([opened()], cmd(s.JoinSeason, ANN, display_name="n" * 101))


def test_wishlist_change_before_the_draw_sends_nothing() -> None:
    events = when(season_with(ANN, BOB), cmd(s.UpdateWishlist, ANN, wishlist="books"))
    assert events == [s.WishlistUpdated(guild_id=GUILD, year=2026, member_id=ANN, wishlist="books")]


def test_wishlist_change_after_the_draw_notifies_the_giver_only() -> None:
    given = [*season_with(ANN, BOB, CY), drawn({ANN: BOB, BOB: CY, CY: ANN})]
    events = when(given, cmd(s.UpdateWishlist, BOB, wishlist="a red scarf"))
    (due,) = of_type(events, s.DirectMessageDue)
    assert due.recipient_id == ANN
    assert due.kind == "wishlist_changed"
    assert "Bob updated their wishlist" in due.text
    assert "a red scarf" in due.text


def test_leaving_before_the_draw() -> None:
    events = when(season_with(ANN, BOB), cmd(s.LeaveSeason, ANN))
    assert events == [s.ParticipantLeft(guild_id=GUILD, year=2026, member_id=ANN, removed_by=ANN)]


def test_only_participants_can_leave() -> None:
    with pytest.raises(e.NotParticipant):
        when(season_with(ANN), cmd(s.LeaveSeason, BOB))


def test_only_the_organiser_or_an_admin_removes_someone() -> None:
    with pytest.raises(e.NotAllowed, match="organiser or a server admin"):
        when(season_with(ANN, BOB), cmd(s.RemoveParticipant, BOB, member_id=ANN))
    assert len(when(season_with(ANN, BOB), cmd(s.RemoveParticipant, ADMIN, member_id=ANN))) == 1


def test_season_size_is_limited() -> None:
    given: list[s.SantaEvent] = [
        opened(),
        *(joined(m) for m in range(1000, 1000 + s.MAX_PARTICIPANTS)),
    ]
    with pytest.raises(e.TooManyParticipants, match=f"the limit is {s.MAX_PARTICIPANTS}"):
        when(given, cmd(s.JoinSeason, ANN, display_name="Ann"))


def test_exclusions_per_season_are_limited() -> None:
    members = list(range(1000, 1101))
    exclusions = [excluded(g, r) for g in members[:100] for r in members[:51] if g != r]
    del exclusions[s.MAX_EXCLUSIONS :]
    assert len(exclusions) == s.MAX_EXCLUSIONS
    given: list[s.SantaEvent] = [opened(), *(joined(m) for m in members), *exclusions]
    with pytest.raises(e.InvalidInput, match=f"at most {s.MAX_EXCLUSIONS} exclusions; it has"):
        when(given, cmd(s.AddExclusion, giver_id=members[100], receiver_id=members[0]))


# --- exclusions -----------------------------------------------------------------------------------


def test_no_self_exclusion() -> None:
    with pytest.raises(e.SelfExclusion):
        when(season_with(ANN), cmd(s.AddExclusion, ORGANISER, giver_id=ANN, receiver_id=ANN))


def test_the_organiser_or_an_admin_adds_and_removes_exclusions() -> None:
    # Given a season with Ann and Bob
    for actor in (ORGANISER, ADMIN):
        # When the organiser or an admin excludes Ann→Bob both ways, then it is recorded
        add = cmd(s.AddExclusion, actor, giver_id=ANN, receiver_id=BOB, two_way=True)
        assert when(season_with(ANN, BOB), add) == [excluded(ANN, BOB, two_way=True)]
        # and they can remove it again
        given = [*season_with(ANN, BOB), excluded(ANN, BOB, two_way=True)]
        remove = cmd(s.RemoveExclusion, actor, giver_id=ANN, receiver_id=BOB, two_way=True)
        assert len(when(given, remove)) == 1


def test_a_member_may_not_change_an_exclusion_even_one_naming_them() -> None:
    # Exclusions are an organiser command (/santa exclude needs Manage Server); the domain agrees.
    # Changed: members named in the pair used to be allowed.
    given = [*season_with(ANN, BOB, CY), excluded(ANN, BOB, two_way=True)]
    for actor in (ANN, BOB, CY):
        with pytest.raises(e.NotAllowed, match="Only the organiser or a server admin can change"):
            when(
                season_with(ANN, BOB, CY), cmd(s.AddExclusion, actor, giver_id=ANN, receiver_id=BOB)
            )
        with pytest.raises(e.NotAllowed, match="organiser or a server admin"):
            when(given, cmd(s.RemoveExclusion, actor, giver_id=ANN, receiver_id=BOB, two_way=True))


def test_others_may_not_exclude_a_pair() -> None:
    with pytest.raises(e.NotAllowed):
        when(season_with(ANN, BOB, CY), cmd(s.AddExclusion, CY, giver_id=ANN, receiver_id=BOB))


def test_exclusions_name_participants() -> None:
    with pytest.raises(e.NotParticipant, match=f"Member {OUTSIDER}"):
        when(season_with(ANN), cmd(s.AddExclusion, giver_id=ANN, receiver_id=OUTSIDER))


def test_duplicate_and_unknown_exclusions_are_refused() -> None:
    given = [*season_with(ANN, BOB), excluded(ANN, BOB, two_way=True)]
    with pytest.raises(e.DuplicateExclusion):
        when(given, cmd(s.AddExclusion, giver_id=BOB, receiver_id=ANN))
    with pytest.raises(e.UnknownExclusion):
        when(season_with(ANN, BOB), cmd(s.RemoveExclusion, giver_id=ANN, receiver_id=BOB))


def test_removing_a_two_way_exclusion_frees_both_directions() -> None:
    given = [*season_with(ANN, BOB), excluded(ANN, BOB, two_way=True)]
    events = when(given, cmd(s.RemoveExclusion, giver_id=BOB, receiver_id=ANN, two_way=True))
    state = s.fold([*given, *events])
    assert state.open_season is not None
    assert state.open_season.exclusions == set()


def test_no_new_exclusions_after_the_draw() -> None:
    given = [*season_with(ANN, BOB, CY), drawn({ANN: BOB, BOB: CY, CY: ANN})]
    with pytest.raises(e.WrongPhase, match="before the draw"):
        when(given, cmd(s.AddExclusion, giver_id=ANN, receiver_id=CY))


# --- the draw -------------------------------------------------------------------------------------


def test_draw_needs_two_participants() -> None:
    with pytest.raises(e.NotEnoughParticipants, match="at least 2 participants; the season has 1"):
        when(season_with(ANN), cmd(s.DrawAssignments))


def test_only_the_organiser_or_an_admin_may_draw() -> None:
    with pytest.raises(e.NotAllowed):
        when(season_with(ANN, BOB), cmd(s.DrawAssignments, ANN))
    assert of_type(when(season_with(ANN, BOB), cmd(s.DrawAssignments, ADMIN)), s.AssignmentsDrawn)


def test_draw_records_the_map_and_tells_each_giver_only_their_giftee() -> None:
    given: list[s.SantaEvent] = [
        opened(),
        joined(ANN, wishlist="tea"),
        joined(BOB, wishlist="jam"),
        joined(CY),
    ]
    events = when(given, cmd(s.DrawAssignments), seed=7)
    (result,) = of_type(events, s.AssignmentsDrawn)
    assert is_valid_assignment(result.assignments, [ANN, BOB, CY])
    notices = of_type(events, s.DirectMessageDue)
    assert {n.recipient_id for n in notices} == {ANN, BOB, CY}
    names = {ANN: "Ann", BOB: "Bob", CY: "Cy"}
    for notice in notices:
        giftee = result.assignments[notice.recipient_id]
        assert notice.kind == "draw_notice"
        assert f"Secret Santa of {names[giftee]}." in notice.text
        others = set(names.values()) - {names[giftee], names[notice.recipient_id]}
        assert not any(f"of {other}" in notice.text for other in others)
    assert "tea" in next(n.text for n in notices if result.assignments[n.recipient_id] == ANN)
    assert len({n.message_id for n in notices}) == 3


def test_draw_is_deterministic_for_a_seed_and_replay_never_redraws() -> None:
    given = season_with(ANN, BOB, CY, DEE, EVE)
    first = when(given, cmd(s.DrawAssignments), seed=3)
    assert first == when(given, cmd(s.DrawAssignments), seed=3)
    state = s.fold([*given, *first])
    (result,) = of_type(first, s.AssignmentsDrawn)
    assert state.open_season is not None
    assert state.open_season.assignments == result.assignments


def test_no_second_draw() -> None:
    given = [*season_with(ANN, BOB), drawn({ANN: BOB, BOB: ANN})]
    with pytest.raises(e.AlreadyDrawn, match="already been drawn"):
        when(given, cmd(s.DrawAssignments))


def test_draw_respects_exclusions() -> None:
    given = [*season_with(ANN, BOB, CY), excluded(ANN, BOB)]
    for seed in range(20):
        (result,) = of_type(when(given, cmd(s.DrawAssignments), seed=seed), s.AssignmentsDrawn)
        assert result.assignments[ANN] != BOB


def test_impossible_draw_names_the_over_constrained_group() -> None:
    given = [
        *season_with(ANN, BOB, CY, DEE, EVE),
        excluded(ANN, BOB, two_way=True),
        excluded(ANN, CY, two_way=True),
        excluded(BOB, CY, two_way=True),
    ]
    with pytest.raises(e.NoValidDrawError) as caught:
        when(given, cmd(s.DrawAssignments))
    assert "Ann, Bob and Cy can only give to Dee and Eve" in caught.value.message


def test_impossible_draw_can_name_a_receiver_nobody_may_give_to() -> None:
    given = [
        *season_with(ANN, BOB, CY, DEE),
        excluded(ANN, BOB),
        excluded(CY, BOB),
        excluded(DEE, BOB),
    ]
    with pytest.raises(e.NoValidDrawError, match="nobody may give to Bob"):
        when(given, cmd(s.DrawAssignments))


def test_single_loop_draw_is_one_ring() -> None:
    given = season_with(ANN, BOB, CY, DEE, EVE, single_loop=True)
    for seed in range(10):
        (result,) = of_type(when(given, cmd(s.DrawAssignments), seed=seed), s.AssignmentsDrawn)
        assert result.single_loop
        assert is_single_loop(result.assignments)


def test_when_no_single_loop_exists_the_organiser_is_offered_any_valid_draw() -> None:
    given = [
        *season_with(ANN, BOB, CY, DEE, single_loop=True),
        excluded(ANN, CY, two_way=True),
        excluded(ANN, DEE, two_way=True),
        excluded(BOB, CY, two_way=True),
        excluded(BOB, DEE, two_way=True),
    ]
    with pytest.raises(e.SingleLoopNotFound, match="any-valid-draw mode") as caught:
        when(given, cmd(s.DrawAssignments))
    assert caught.value.proven
    assert "may only give among themselves" in caught.value.message
    (result,) = of_type(when(given, cmd(s.DrawAssignments, any_valid=True)), s.AssignmentsDrawn)
    assert result.assignments == {ANN: BOB, BOB: ANN, CY: DEE, DEE: CY}
    assert not result.single_loop


def test_no_single_loop_names_the_member_a_loop_would_pass_twice() -> None:
    given = [
        *season_with(ANN, BOB, CY, DEE, EVE, single_loop=True),
        excluded(ANN, CY, two_way=True),
        excluded(ANN, DEE, two_way=True),
        excluded(BOB, CY, two_way=True),
        excluded(BOB, DEE, two_way=True),
    ]
    with pytest.raises(e.SingleLoopNotFound, match="only Eve connects") as caught:
        when(given, cmd(s.DrawAssignments))
    assert "would pass Eve twice" in caught.value.message
    (result,) = of_type(when(given, cmd(s.DrawAssignments, any_valid=True)), s.AssignmentsDrawn)
    assert is_valid_assignment(result.assignments, [ANN, BOB, CY, DEE, EVE])


def test_no_single_loop_names_links_forced_into_a_loop_of_their_own() -> None:
    # Given Ann may give only to Bob, only Bob may give to Cy, and Cy may give only to Ann
    given = [
        *season_with(ANN, BOB, CY, DEE, EVE, single_loop=True),
        *(excluded(ANN, other) for other in (CY, DEE, EVE)),
        *(excluded(other, CY) for other in (DEE, EVE)),
        *(excluded(CY, other) for other in (BOB, DEE, EVE)),
    ]
    # When drawing, then the refusal names the loop the exclusions force
    with pytest.raises(e.SingleLoopNotFound) as caught:
        when(given, cmd(s.DrawAssignments))
    assert caught.value.proven
    assert caught.value.message == (
        "No single loop through everyone is possible: the exclusions force Ann → Bob → Cy → Ann "
        "(at each step the giver may give to nobody else or nobody else may give to the next), "
        "so it would close before reaching the others; draw again with the any-valid-draw mode "
        "(mutual pairs and several loops allowed)."
    )
    (result,) = of_type(when(given, cmd(s.DrawAssignments, any_valid=True)), s.AssignmentsDrawn)
    assert result.assignments == {ANN: BOB, BOB: CY, CY: ANN, DEE: EVE, EVE: DEE}


def test_two_participants_single_loop_is_a_to_b_to_a() -> None:
    events = when(season_with(ANN, BOB, single_loop=True), cmd(s.DrawAssignments))
    (result,) = of_type(events, s.AssignmentsDrawn)
    assert result.assignments == {ANN: BOB, BOB: ANN}


# --- after the draw: splicing ---------------------------------------------------------------------


def _loop_season() -> list[s.SantaEvent]:
    return [
        *season_with(ANN, BOB, CY, DEE, single_loop=True),
        drawn({ANN: BOB, BOB: CY, CY: DEE, DEE: ANN}, loop=True),
    ]


def test_a_leaver_is_spliced_out_of_a_loop() -> None:
    events = when(_loop_season(), cmd(s.LeaveSeason, BOB))
    assert of_type(events, s.ParticipantSplicedOut) == [
        s.ParticipantSplicedOut(
            guild_id=GUILD, year=2026, member_id=BOB, reassigned={ANN: CY}, repeated_pairs=[]
        )
    ]
    assert of_type(events, s.ParticipantLeft)
    (notice,) = of_type(events, s.DirectMessageDue)
    assert notice.recipient_id == ANN
    assert notice.kind == "giftee_changed"
    assert "Secret Santa of Cy." in notice.text
    season = s.fold([*_loop_season(), *events]).open_season
    assert season is not None
    assert season.assignments == {ANN: CY, CY: DEE, DEE: ANN}


def test_a_loop_splice_moves_a_neighbour_when_the_direct_link_is_excluded() -> None:
    given = [
        *season_with(ANN, BOB, CY, DEE, EVE, single_loop=True),
        excluded(ANN, CY),
        drawn({ANN: BOB, BOB: CY, CY: DEE, DEE: EVE, EVE: ANN}, loop=True),
    ]
    events = when(given, cmd(s.RemoveParticipant, member_id=BOB))
    season = s.fold([*given, *events]).open_season
    assert season is not None
    assert is_single_loop(season.assignments)
    assert set(season.assignments) == {ANN, CY, DEE, EVE}
    assert all((g, r) not in season.exclusions for g, r in season.assignments.items())
    (spliced,) = of_type(events, s.ParticipantSplicedOut)
    assert len(spliced.reassigned) == 3
    assert {d.recipient_id for d in of_type(events, s.DirectMessageDue)} == set(spliced.reassigned)


def test_a_leaver_is_spliced_out_when_neither_neighbour_can_move() -> None:
    # Given the ring Ann→Fay→Cy→Dee→Eve→Bob→Ann, where Bob↛Fay, Bob↛Cy and Eve↛Fay: without Ann,
    # Bob may not give to Fay, and neither moving Bob (Eve would give to Fay) nor moving Fay (Bob
    # would give to Cy) elsewhere in the ring is allowed
    given = [
        *season_with(ANN, BOB, CY, DEE, EVE, FAY, single_loop=True),
        excluded(BOB, FAY),
        excluded(BOB, CY),
        excluded(EVE, FAY),
        drawn({ANN: FAY, FAY: CY, CY: DEE, DEE: EVE, EVE: BOB, BOB: ANN}, loop=True),
    ]
    # When Ann leaves
    events = when(given, cmd(s.LeaveSeason, ANN))
    # Then she is spliced out: Fay→Cy | Dee | Eve→Bob become Fay→Cy→Eve→Bob→Dee→Fay, so only Bob,
    # Cy and Dee get a new giftee, and Eve and Fay keep theirs. Changed: Ann used to stay in, and
    # the organiser was told the exclusions forbade it.
    (spliced,) = of_type(events, s.ParticipantSplicedOut)
    assert spliced.reassigned == {BOB: DEE, CY: EVE, DEE: FAY}
    assert of_type(events, s.ParticipantLeft)
    assert not of_type(events, s.SpliceRefused)
    notices = of_type(events, s.DirectMessageDue)
    assert {n.recipient_id for n in notices} == {BOB, CY, DEE}
    assert all(n.kind == "giftee_changed" for n in notices)
    season = s.fold([*given, *events]).open_season
    assert season is not None
    assert season.assignments == {FAY: CY, CY: EVE, EVE: BOB, BOB: DEE, DEE: FAY}
    assert is_single_loop(season.assignments)


def test_a_leaver_is_spliced_out_by_a_chain_when_no_swap_is_allowed() -> None:
    # Given Ann→Dee, Bob→Cy, Cy→Ann, Dee→Bob (no loop to keep) and Cy↛Dee
    given = [
        *season_with(ANN, BOB, CY, DEE),
        excluded(CY, DEE),
        drawn({ANN: DEE, BOB: CY, CY: ANN, DEE: BOB}),
    ]
    # When the organiser removes Ann (Cy↛Dee, and a swap would make Bob or Dee their own Santa)
    events = when(given, cmd(s.RemoveParticipant, member_id=ANN))
    # Then the one valid draw of the others is used
    (spliced,) = of_type(events, s.ParticipantSplicedOut)
    assert spliced.reassigned == {BOB: DEE, DEE: CY, CY: BOB}
    assert {n.recipient_id for n in of_type(events, s.DirectMessageDue)} == {BOB, CY, DEE}


def _refusals(
    members: list[int], exclusions: list[tuple[int, int]], leaver: int, *, loop: bool
) -> set[str]:
    """The refusal to remove `leaver` from every valid draw of `members` (rings when `loop`)."""
    refusals = set()
    for receivers in all_draws(members, set(exclusions), loop=loop):
        given = [
            *season_with(*members, single_loop=loop),
            *(excluded(g, r) for g, r in exclusions),
            drawn(dict(zip(members, receivers, strict=True)), loop=loop),
        ]
        with pytest.raises(e.CannotSplice) as caught:
            when(given, cmd(s.RemoveParticipant, member_id=leaver))
        assert caught.value.code == "cannot_splice"
        refusals.add(caught.value.message)
    assert refusals
    return refusals


def _reveals_no_pair(text: str) -> None:
    """Refusals may name members (who cannot be drawn with whom follows from the exclusions, which
    the organiser set), but never a Santa or giftee relation."""
    assert "Santa may not" not in text
    assert "giftee" not in text
    assert "their Santa" not in text


def _names_no_pair(text: str, *, leaver: str) -> None:
    _reveals_no_pair(text)
    for other in ("Ann", "Cy", "Dee", "Eve", "Fay"):
        if other != leaver:
            assert other not in text


def test_organiser_is_told_why_a_removal_is_impossible_without_naming_pairs() -> None:
    # Given Ann, Bob and Cy in a loop where Ann↛Cy
    # When the organiser removes Bob, from any draw there could be
    refusals = _refusals([ANN, BOB, CY], [(ANN, CY)], BOB, loop=True)
    # Then the reason is the one the draw itself would give for Ann and Cy, and so the same
    # whoever gives to whom. Changed: the reason used to say "Bob's Santa may not give to Bob's
    # giftee", which with one exclusion in place (Ann↛Cy) tells the organiser that Ann gives to Bob
    # and Bob to Cy; then it named nobody, but it was given only for some draws, not for others.
    assert refusals == {
        "Bob cannot be taken out of the draw: without Bob no valid draw of the others exists: Ann "
        "cannot give to anyone (everyone else is excluded); remove or relax an exclusion, or keep "
        "Bob in."
    }
    _reveals_no_pair(refusals.pop())


def test_a_blocked_swap_is_explained_without_naming_pairs() -> None:
    # Given Ann, Bob, Cy and Dee with no loop to keep, and Ann may give to neither Cy nor Dee
    exclusions = [(ANN, CY), (ANN, DEE)]
    # When the organiser removes Bob, from any draw there could be
    refusals = _refusals([ANN, BOB, CY, DEE], exclusions, BOB, loop=False)
    # Then the reason is the same whoever gives to whom, and says what to do
    assert refusals == {
        "Bob cannot be taken out of the draw: without Bob no valid draw of the others exists: Ann "
        "cannot give to anyone (everyone else is excluded); remove or relax an exclusion, or keep "
        "Bob in."
    }
    _reveals_no_pair(next(iter(refusals)))
    # and the same reason reaches the organiser when Bob asks to leave himself
    given = [
        *season_with(ANN, BOB, CY, DEE),
        *(excluded(g, r) for g, r in exclusions),
        drawn({ANN: BOB, BOB: ANN, CY: DEE, DEE: CY}),
    ]
    events = when(given, cmd(s.LeaveSeason, BOB))
    (refused,) = of_type(events, s.SpliceRefused)
    (alert,) = of_type(events, s.DirectMessageDue)
    assert refused.reason in alert.text
    assert refused.reason in next(iter(refusals))
    _reveals_no_pair(alert.text)


def test_a_removal_that_would_split_the_loop_names_the_closed_group() -> None:
    # Given a loop of Ann, Bob, Cy, Dee and Eve where Cy and Dee may give only to each other and
    # to Bob
    exclusions = [(CY, ANN), (CY, EVE), (DEE, ANN), (DEE, EVE)]
    # When the organiser removes Bob, from any ring there could be
    refusals = _refusals([ANN, BOB, CY, DEE, EVE], exclusions, BOB, loop=True)
    # Then the reason is the draw's own: a loop could never leave Cy and Dee
    assert refusals == {
        "Bob cannot be taken out of the draw: without Bob no single loop through the remaining "
        "participants is possible: Cy and Dee may only give among themselves, so a loop could "
        "never leave their group; remove or relax an exclusion, or keep Bob in."
    }


def test_a_removal_with_no_loop_left_says_so_when_no_group_explains_it() -> None:
    # Given a loop of Ann, Bob, Cy, Dee and Eve where, without Ann, Eve may only give to Bob and
    # only Dee may give to Cy: the others can be drawn, but never as one loop
    exclusions = [(BOB, CY), (CY, EVE), (EVE, CY), (EVE, DEE)]
    refusals = _refusals([ANN, BOB, CY, DEE, EVE], exclusions, ANN, loop=True)
    assert refusals == {
        "Ann cannot be taken out of the draw: without Ann no single loop through the remaining "
        "participants is possible with these exclusions; remove or relax an exclusion, or keep "
        "Ann in."
    }


def test_a_removal_that_would_leave_a_forced_loop_names_it() -> None:
    # Given a loop of Ann, Bob, Cy, Dee, Eve and Fay where Ann may give only to Bob or Fay, only
    # Bob or Fay may give to Cy, and Cy may give only to Ann or Fay
    exclusions = [
        *((ANN, other) for other in (CY, DEE, EVE)),
        *((other, CY) for other in (DEE, EVE)),
        *((CY, other) for other in (BOB, DEE, EVE)),
    ]
    # When the organiser removes Fay, from any ring there could be
    refusals = _refusals([ANN, BOB, CY, DEE, EVE, FAY], exclusions, FAY, loop=True)
    # Then the reason is the loop Ann → Bob → Cy → Ann that the others would be forced into
    assert refusals == {
        "Fay cannot be taken out of the draw: without Fay no single loop through the remaining "
        "participants is possible: the exclusions force Ann → Bob → Cy → Ann (at each step the "
        "giver may give to nobody else or nobody else may give to the next), so it would close "
        "before reaching the others; remove or relax an exclusion, or keep Fay in."
    }
    for text in refusals:
        _reveals_no_pair(text)


def test_a_refusal_counts_the_members_of_a_large_group_instead_of_naming_them() -> None:
    # Given a loop Ann→Cy→M10→…→M20→Bob→Ann where M10…M20 may give to neither Ann nor Cy
    group = list(range(10, 21))
    ring = [ANN, CY, *group, BOB]
    given = [
        *season_with(*ring, single_loop=True),
        *(excluded(g, r) for g in group for r in (ANN, CY)),
        drawn({g: ring[(i + 1) % len(ring)] for i, g in enumerate(ring)}, loop=True),
    ]
    # When Bob asks to leave
    events = when(given, cmd(s.LeaveSeason, BOB))
    # Then the alert counts the eleven instead of listing them, so that it fits in a DM
    (refused,) = of_type(events, s.SpliceRefused)
    assert refused.reason == (
        "without Bob no single loop through the remaining participants is possible: 11 members "
        "may only give among themselves, so a loop could never leave their group; remove or relax "
        "an exclusion, or keep Bob in"
    )
    (alert,) = of_type(events, s.DirectMessageDue)
    assert refused.reason in alert.text
    assert len(alert.text) < 2000


def test_a_member_whose_leave_cannot_be_spliced_stays_in_and_the_organiser_is_alerted() -> None:
    given = [
        *season_with(ANN, BOB, CY, single_loop=True),
        excluded(ANN, CY),
        drawn({ANN: BOB, BOB: CY, CY: ANN}, loop=True),
    ]
    events = when(given, cmd(s.LeaveSeason, BOB))
    assert not of_type(events, s.ParticipantLeft)
    (refused,) = of_type(events, s.SpliceRefused)
    (alert,) = of_type(events, s.DirectMessageDue)
    assert alert.recipient_id == ORGANISER
    assert alert.kind == "organiser_alert"
    assert "Bob asked to leave" in alert.text
    assert refused.reason in alert.text
    assert refused.reason == (
        "without Bob no valid draw of the others exists: Ann cannot give to anyone (everyone else "
        "is excluded); remove or relax an exclusion, or keep Bob in"
    )
    _reveals_no_pair(alert.text)


def test_one_remaining_participant_cannot_be_a_draw() -> None:
    given = [*season_with(ANN, BOB), drawn({ANN: BOB, BOB: ANN})]
    with pytest.raises(e.CannotSplice, match="only one participant would remain") as caught:
        when(given, cmd(s.RemoveParticipant, member_id=ANN))
    assert "keep Ann in" in caught.value.message
    _names_no_pair(caught.value.message, leaver="Ann")


def test_a_leave_that_would_leave_one_participant_alerts_without_exclusion_advice() -> None:
    # Given Ann and Bob are the only two drawn
    given = [*season_with(ANN, BOB), drawn({ANN: BOB, BOB: ANN})]
    # When Ann asks to leave
    events = when(given, cmd(s.LeaveSeason, ANN))
    # Then she stays in and the organiser is told why and what can be done, with no pair named
    assert not of_type(events, s.ParticipantLeft)
    (alert,) = of_type(events, s.DirectMessageDue)
    assert "only one participant would remain" in alert.text
    assert "keep Ann in, or close the season" in alert.text
    assert "exclusion" not in alert.text
    _names_no_pair(alert.text, leaver="Ann")


def test_a_leaver_of_a_mutual_pair_is_repaired_by_one_swap() -> None:
    given = [*season_with(ANN, BOB, CY, DEE), drawn({ANN: BOB, BOB: ANN, CY: DEE, DEE: CY})]
    events = when(given, cmd(s.RemoveParticipant, member_id=BOB))
    (spliced,) = of_type(events, s.ParticipantSplicedOut)
    assert ANN in spliced.reassigned
    assert len(spliced.reassigned) == 2
    season = s.fold([*given, *events]).open_season
    assert season is not None
    assert is_valid_assignment(season.assignments, [ANN, CY, DEE])


def test_a_late_joiner_is_spliced_in_between_a_santa_and_their_giftee() -> None:
    events = when(_loop_season(), cmd(s.JoinSeason, EVE, display_name="Eve", wishlist="plants"))
    assert of_type(events, s.ParticipantJoined)
    (spliced,) = of_type(events, s.ParticipantSplicedIn)
    santa = next(g for g, r in spliced.reassigned.items() if r == EVE)
    giftee = spliced.reassigned[EVE]
    assert dict(_loop_season()[-1].assignments)[santa] == giftee  # type: ignore[union-attr]
    dms = {d.recipient_id: d for d in of_type(events, s.DirectMessageDue)}
    assert set(dms) == {santa, EVE}
    assert dms[santa].kind == "giftee_changed"
    assert "Secret Santa of Eve." in dms[santa].text
    assert "plants" in dms[santa].text
    assert dms[EVE].kind == "draw_notice"
    season = s.fold([*_loop_season(), *events]).open_season
    assert season is not None
    assert is_single_loop(season.assignments)


def test_a_late_joiner_who_cannot_be_placed_is_refused_with_the_reason() -> None:
    # Eve left before the draw after excluding herself from everyone; rejoining cannot be placed.
    given = [
        *season_with(ANN, BOB, EVE),
        excluded(EVE, ANN, two_way=True),
        excluded(EVE, BOB, two_way=True),
        s.ParticipantLeft(guild_id=GUILD, year=2026, member_id=EVE, removed_by=EVE),
        drawn({ANN: BOB, BOB: ANN}),
    ]
    with pytest.raises(e.CannotSplice, match="Eve cannot join after the draw"):
        when(given, cmd(s.JoinSeason, EVE, display_name="Eve"))


# --- messages and gifts ---------------------------------------------------------------------------


def _drawn_season() -> list[s.SantaEvent]:
    return [*season_with(ANN, BOB, CY), drawn({ANN: BOB, BOB: CY, CY: ANN})]


def test_anonymous_message_to_my_giftee_goes_to_my_giftee() -> None:
    events = when(_drawn_season(), cmd(s.SendAnonymousMessage, ANN, to="giftee", text="Size?"))
    sent, due = events
    assert isinstance(sent, s.AnonymousMessageSent)
    assert isinstance(due, s.DirectMessageDue)
    assert (sent.recipient_id, due.recipient_id, sent.direction) == (BOB, BOB, "to_giftee")
    assert due.text == "📨 A message from your Secret Santa:\nSize?"
    assert "Ann" not in due.text


def test_anonymous_message_to_my_santa_goes_to_my_santa() -> None:
    events = when(_drawn_season(), cmd(s.SendAnonymousMessage, ANN, to="santa", text="M please"))
    (due,) = of_type(events, s.DirectMessageDue)
    assert due.recipient_id == CY
    assert "from your giftee Ann" in due.text


def test_anonymous_messages_only_between_drawn_participants() -> None:
    with pytest.raises(e.NotParticipant):
        when(_drawn_season(), cmd(s.SendAnonymousMessage, OUTSIDER, to="giftee", text="hi"))
    with pytest.raises(e.WrongPhase):
        when(season_with(ANN, BOB), cmd(s.SendAnonymousMessage, ANN, to="giftee", text="hi"))


def test_anonymous_message_length_is_limited() -> None:
    long = "x" * (s.MESSAGE_MAX_CHARS + 1)
    with pytest.raises(e.TooLong, match=f"the limit is {s.MESSAGE_MAX_CHARS}"):
        when(_drawn_season(), cmd(s.SendAnonymousMessage, ANN, to="giftee", text=long))
    with pytest.raises(e.InvalidInput, match="empty"):
        when(_drawn_season(), cmd(s.SendAnonymousMessage, ANN, to="giftee", text="  "))


def test_gifts_are_marked_by_the_right_person_once() -> None:
    given = _drawn_season()
    assert when(given, cmd(s.MarkGiftSent, ANN)) == [
        s.GiftSent(guild_id=GUILD, year=2026, giver_id=ANN)
    ]
    assert when(given, cmd(s.MarkGiftReceived, BOB)) == [
        s.GiftReceived(guild_id=GUILD, year=2026, receiver_id=BOB)
    ]
    with pytest.raises(e.NotParticipant):
        when(given, cmd(s.MarkGiftSent, OUTSIDER))
    with pytest.raises(e.NotParticipant):
        when(given, cmd(s.MarkGiftReceived, OUTSIDER))
    with pytest.raises(e.AlreadyMarked):
        when(
            [*given, s.GiftSent(guild_id=GUILD, year=2026, giver_id=ANN)], cmd(s.MarkGiftSent, ANN)
        )
    with pytest.raises(e.WrongPhase):
        when(season_with(ANN, BOB), cmd(s.MarkGiftSent, ANN))


# --- closing --------------------------------------------------------------------------------------


def test_closing_archives_the_season() -> None:
    given = _drawn_season()
    events = when(given, cmd(s.CloseSeason))
    assert events == [s.SeasonClosed(guild_id=GUILD, year=2026, closed_by=ORGANISER)]
    state = s.fold([*given, *events])
    assert state.open_season is None
    assert state.seasons[2026].status == s.CLOSED
    assert state.seasons[2026].assignments == {ANN: BOB, BOB: CY, CY: ANN}
    with pytest.raises(e.NoOpenSeason):
        when([*given, *events], cmd(s.MarkGiftSent, ANN))


def test_only_the_organiser_or_an_admin_closes() -> None:
    with pytest.raises(e.NotAllowed):
        when(_drawn_season(), cmd(s.CloseSeason, ANN))
    assert when(_drawn_season(), cmd(s.CloseSeason, ADMIN))


# --- direct messages as events --------------------------------------------------------------------


def _with_notices() -> tuple[Scenario, list[s.DirectMessageDue]]:
    run = Scenario(seed=5).given(*season_with(ANN, BOB, CY))
    notices = of_type(run.do(cmd(s.DrawAssignments)), s.DirectMessageDue)
    return run, notices


def test_message_ids_are_deterministic_per_season_counter() -> None:
    run, notices = _with_notices()
    assert [n.message_id for n in notices] == [f"santa:{GUILD}:2026:dm{k}" for k in (1, 2, 3)]
    (later,) = of_type(run.do(cmd(s.UpdateWishlist, ANN, wishlist="x")), s.DirectMessageDue)
    assert later.message_id == f"santa:{GUILD}:2026:dm4"


def test_delivery_is_recorded_once() -> None:
    run, notices = _with_notices()
    outcome = cmd(s.RecordDeliveryOutcome, 0, message_id=notices[0].message_id, delivered=True)
    assert run.do(outcome) == [
        s.DirectMessageDelivered(guild_id=GUILD, message_id=notices[0].message_id)
    ]
    assert run.do(outcome) == []  # a dispatcher retrying after a crash records nothing twice


def test_delivery_keeps_the_discord_message_id() -> None:
    run, notices = _with_notices()
    outcome = cmd(
        s.RecordDeliveryOutcome,
        0,
        message_id=notices[0].message_id,
        delivered=True,
        discord_message_id=1234567890123,
    )
    assert run.do(outcome) == [
        s.DirectMessageDelivered(
            guild_id=GUILD, message_id=notices[0].message_id, discord_message_id=1234567890123
        )
    ]


def test_deliveries_recorded_before_the_discord_id_was_kept_still_decode() -> None:
    old = msgspec.json.encode({"guild_id": GUILD, "message_id": "santa:1:2026:dm1"})
    event = app_registry().decoder("santa.DirectMessageDelivered", 1)(old)
    assert event == s.DirectMessageDelivered(guild_id=GUILD, message_id="santa:1:2026:dm1")
    assert event.discord_message_id is None


def test_failed_draw_notice_alerts_the_organiser_without_naming_the_giftee() -> None:
    run, notices = _with_notices()
    notice = next(n for n in notices if n.recipient_id == ANN)
    giftee = {BOB: "Bob", CY: "Cy"}[run.state.seasons[2026].assignments[ANN]]
    events = run.do(
        cmd(
            s.RecordDeliveryOutcome,
            0,
            message_id=notice.message_id,
            delivered=False,
            reason="DMs closed",
        )
    )
    failed, alert = events
    assert failed == s.DirectMessageFailed(
        guild_id=GUILD, message_id=notice.message_id, reason="DMs closed"
    )
    assert isinstance(alert, s.DirectMessageDue)
    assert alert.recipient_id == ORGANISER
    assert alert.kind == "organiser_alert"
    assert "could not send the draw notice to Ann (DMs closed)" in alert.text
    assert giftee not in alert.text
    again = cmd(
        s.RecordDeliveryOutcome, 0, message_id=notice.message_id, delivered=False, reason="x"
    )
    assert run.do(again) == []


def _fail(run: Scenario, due: s.DirectMessageDue, reason: str) -> list[s.SantaEvent]:
    return run.do(
        cmd(s.RecordDeliveryOutcome, 0, message_id=due.message_id, delivered=False, reason=reason)
    )


def test_a_draw_notice_to_closed_dms_asks_the_organiser_to_get_them_opened() -> None:
    # Given the draw notices are due
    run, notices = _with_notices()
    notice = next(n for n in notices if n.recipient_id == ANN)
    # When Ann's notice fails because her DMs are closed
    events = _fail(run, notice, "recipient_unreachable: Cannot send messages to this user")
    # Then the failure is recorded with the dispatcher's reason, and the organiser is asked to get
    # Ann to open her DMs
    failed, alert = events
    assert isinstance(failed, s.DirectMessageFailed)
    assert failed.reason.startswith("recipient_unreachable")
    assert isinstance(alert, s.DirectMessageDue)
    assert (alert.recipient_id, alert.kind) == (ORGANISER, "organiser_alert")
    assert "could not send the draw notice to Ann (their direct messages are closed)" in alert.text
    assert "allow direct messages" in alert.text
    assert "recipient_unreachable" not in alert.text


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("discord_unavailable: 503 Service Unavailable", "Discord was unavailable for too long"),
        ("forbidden", "Discord did not allow the bot to message them"),
        ("not_found: Unknown User", "their Discord account could not be found"),
        ("rejected: Invalid Form Body", "Discord rejected the message"),
    ],
)
def test_a_draw_notice_failing_for_another_reason_says_why_in_plain_words(
    reason: str, words: str
) -> None:
    # Given the draw notices are due
    run, notices = _with_notices()
    notice = next(n for n in notices if n.recipient_id == ANN)
    # When Ann's notice fails for a reason that is not her DM setting
    (_, alert) = _fail(run, notice, reason)
    # Then the organiser hears that it could not be delivered and why, without blaming Ann's DMs
    assert isinstance(alert, s.DirectMessageDue)
    assert f"could not send the draw notice to Ann ({words})" in alert.text
    assert "allow direct messages" not in alert.text
    assert "could not be delivered" in alert.text


def test_a_draw_notice_failure_given_in_plain_words_is_passed_on_as_is() -> None:
    # Given the draw notices are due
    run, notices = _with_notices()
    ann, bob = (next(n for n in notices if n.recipient_id == m) for m in (ANN, BOB))
    # When the dispatcher words the reason itself: closed DMs, then something else
    (_, closed) = _fail(run, ann, "their direct messages are closed")
    (_, other) = _fail(run, bob, "something odd happened")
    # Then closed DMs still ask for DMs to be opened, and an unknown reason claims no cause
    assert isinstance(closed, s.DirectMessageDue)
    assert isinstance(other, s.DirectMessageDue)
    assert "to Ann (their direct messages are closed)" in closed.text
    assert "allow direct messages" in closed.text
    assert "to Bob (something odd happened). The message could not be delivered;" in other.text
    assert "allow direct messages" not in other.text
    assert "DM settings" not in other.text


def test_failed_messages_that_would_hint_at_a_pair_alert_nobody() -> None:
    # Given a drawn season: Ann→Bob→Cy→Ann
    run = Scenario(seed=3).given(*_drawn_season())
    # When Bob updates his wishlist (the notice goes to his Santa, Ann), Ann messages her Santa
    # (Cy), Cy messages her giftee (Ann), and Dee joins late (Ann's or someone's giftee changes)
    dues = [
        *of_type(run.do(cmd(s.UpdateWishlist, BOB, wishlist="scarf")), s.DirectMessageDue),
        *of_type(
            run.do(cmd(s.SendAnonymousMessage, ANN, to="santa", text="hi")), s.DirectMessageDue
        ),
        *of_type(
            run.do(cmd(s.SendAnonymousMessage, CY, to="giftee", text="hey")), s.DirectMessageDue
        ),
    ]
    joined_late = of_type(run.do(cmd(s.JoinSeason, DEE, display_name="Dee")), s.DirectMessageDue)
    dues += [d for d in joined_late if d.kind == "giftee_changed"]
    assert {d.kind for d in dues} == {"wishlist_changed", "anonymous_message", "giftee_changed"}
    # and every one of those DMs fails because the recipient's DMs are closed
    for due in dues:
        events = _fail(run, due, "recipient_unreachable: closed")
        # Then each failure is recorded, and the organiser is not told whose DM failed
        assert events == [
            s.DirectMessageFailed(
                guild_id=GUILD, message_id=due.message_id, reason="recipient_unreachable: closed"
            )
        ]


def test_a_failed_organiser_alert_does_not_alert_again() -> None:
    run, notices = _with_notices()
    events = run.do(
        cmd(
            s.RecordDeliveryOutcome,
            0,
            message_id=notices[0].message_id,
            delivered=False,
            reason="r",
        )
    )
    alert = of_type(events, s.DirectMessageDue)[0]
    again = run.do(
        cmd(s.RecordDeliveryOutcome, 0, message_id=alert.message_id, delivered=False, reason="r")
    )
    assert [type(x) for x in again] == [s.DirectMessageFailed]


def test_unknown_message_ids_are_refused() -> None:
    with pytest.raises(e.UnknownMessage):
        when(_drawn_season(), cmd(s.RecordDeliveryOutcome, 0, message_id="nope", delivered=True))


def test_events_roundtrip_through_msgspec_json() -> None:
    run = Scenario(seed=1).given(*season_with(ANN, BOB, CY, DEE))
    run.do(cmd(s.DrawAssignments))
    run.do(cmd(s.LeaveSeason, BOB))
    run.do(cmd(s.JoinSeason, EVE, display_name="Eve"))
    run.do(cmd(s.SendAnonymousMessage, ANN, to="santa", text="hi"))
    for event in run.log:
        data = msgspec.json.encode(event)
        assert msgspec.json.decode(data, type=type(event)) == event
    assert {cls for cls, _ in s.EVENT_TYPES} >= {type(x) for x in run.log}


def test_refusal_sentences_count_names_beyond_the_limit() -> None:
    many = [f"M{i}" for i in range(12)]
    # the giver side: twelve givers with eleven receivers between them
    assert e.hall_detail(many, many[:11], max_names=10) == (
        "12 members can only give to 11, so at least one of them would have nobody to give to"
    )
    # the receiver side, when it is the shorter one
    assert e.hall_detail(many, many[:11], many[:6], many[:5], max_names=10) == (
        "6 members may only receive from 5, so someone there would get no gift"
    )
    # within the limit, the names themselves (as the draw refusal has always said)
    assert e.hall_detail(["Ann"], [], max_names=10) == (
        "Ann cannot give to anyone (everyone else is excluded)"
    )
    assert e.loop_detail(many, None, max_names=10) == (
        "12 members may only give among themselves, so a loop could never leave their group"
    )
    assert e.loop_detail([], "Dee", max_names=10) == (
        "the exclusions split the others into groups that only Dee connects, so a loop would pass "
        "Dee twice"
    )
