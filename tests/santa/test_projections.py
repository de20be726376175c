"""Read models: what each audience sees, and that none sees who gives to whom unless it should."""

from __future__ import annotations

import msgspec

from app.domain import santa as s
from app.projections import santa as p

from .helpers import (
    GUILD,
    ORGANISER,
    Rec,
    Scenario,
    cmd,
    joined,
    of_type,
    opened,
    project,
    season_with,
)

ANN, BOB, CY, DEE, EVE = 2, 3, 4, 5, 6


def _drawn_run(seed: int) -> Scenario:
    run = Scenario(seed=seed).given(
        opened(), *(joined(m, wishlist=f"wish {m}") for m in (ANN, BOB, CY, DEE))
    )
    run.do(cmd(s.DrawAssignments))
    return run


def test_current_season_lists_participants_and_status() -> None:
    run = _drawn_run(1)
    state = project(p.SantaSeasonsProjection(), run.log)
    view = p.current_season(state, GUILD)
    assert view is not None
    assert view.year == 2026
    assert view.status == s.DRAWN
    assert view.participants == {ANN: "Ann", BOB: "Bob", CY: "Cy", DEE: "Dee"}
    run.do(cmd(s.CloseSeason))
    assert p.current_season(project(p.SantaSeasonsProjection(), run.log), GUILD) is None


def test_member_view_shows_my_giftee_their_wishlist_and_messages_from_my_santa() -> None:
    run = _drawn_run(2)
    pairs = run.state.seasons[2026].assignments
    santa_of_ann = next(g for g, r in pairs.items() if r == ANN)
    run.do(cmd(s.SendAnonymousMessage, santa_of_ann, to="giftee", text="Any allergies?"))
    run.do(cmd(s.UpdateWishlist, pairs[ANN], wishlist="new wish"))
    state = project(p.SantaMemberViewsProjection(), run.log)
    mine = p.member_view(state, GUILD, ANN)
    assert mine is not None
    assert mine.giftee_id == pairs[ANN]
    assert mine.giftee_wishlist == "new wish"
    assert [m.text for m in mine.messages_from_santa] == ["Any allergies?"]
    theirs = p.member_view(state, GUILD, santa_of_ann)
    assert theirs is not None
    assert theirs.messages_from_santa == []
    assert set(msgspec.structs.asdict(mine)) == {
        "giftee_id",
        "giftee_name",
        "giftee_wishlist",
        "messages_from_santa",
        "messages_from_giftee",
        "gift_sent",
        "gift_received",
    }  # no field names the member's own Santa


def test_member_views_follow_splices() -> None:
    run = _drawn_run(3)
    run.do(cmd(s.LeaveSeason, BOB))
    run.do(cmd(s.JoinSeason, EVE, display_name="Eve", wishlist="wool"))
    state = project(p.SantaMemberViewsProjection(), run.log)
    pairs = run.state.seasons[2026].assignments
    for member, giftee in pairs.items():
        view = p.member_view(state, GUILD, member)
        assert view is not None
        assert view.giftee_id == giftee
    assert p.member_view(state, GUILD, BOB) is None
    eve_santa = next(g for g, r in pairs.items() if r == EVE)
    santa_view = p.member_view(state, GUILD, eve_santa)
    assert santa_view is not None
    assert santa_view.giftee_wishlist == "wool"


def _busy_season(seed: int) -> list[s.SantaEvent]:
    run = _drawn_run(seed)
    notices = of_type(run.log, s.DirectMessageDue)
    run.do(cmd(s.RecordDeliveryOutcome, 0, message_id=notices[0].message_id, delivered=True))
    run.do(
        cmd(
            s.RecordDeliveryOutcome,
            0,
            message_id=notices[1].message_id,
            delivered=False,
            reason="closed",
        )
    )
    run.do(cmd(s.UpdateWishlist, ANN, wishlist="changed"))
    run.do(cmd(s.SendAnonymousMessage, BOB, to="santa", text="hello"))
    run.do(cmd(s.MarkGiftSent, CY))
    run.do(cmd(s.MarkGiftReceived, DEE))
    for due in of_type(run.log, s.DirectMessageDue)[4:]:
        run.do(
            cmd(s.RecordDeliveryOutcome, 0, message_id=due.message_id, delivered=False, reason="x")
        )
    return run.log


def test_organiser_view_counts_everything() -> None:
    state = project(p.SantaOrganiserProjection(), _busy_season(4))
    view = p.organiser_view(state, GUILD)
    assert view is not None
    assert (view.joined, view.drawn, view.gifts_sent, view.gifts_received) == (4, True, 1, 1)
    assert view.dms_delivered == 1
    assert view.dms_failed >= 2
    assert view.dms_due >= 7  # 4 notices, an alert, a wishlist notice, a message
    assert view.unreachable_members == [
        of_type(_busy_season(4), s.DirectMessageDue)[1].recipient_id
    ]


def test_unreachable_members_lists_only_members_whose_draw_notice_failed() -> None:
    # Given a drawn season whose draw notices all arrived
    run = _drawn_run(9)
    for notice in of_type(run.log, s.DirectMessageDue):
        run.do(cmd(s.RecordDeliveryOutcome, 0, message_id=notice.message_id, delivered=True))
    # When a wishlist notice and an anonymous message fail (their recipients would reveal pairs)
    later = [
        *of_type(run.do(cmd(s.UpdateWishlist, ANN, wishlist="tea")), s.DirectMessageDue),
        *of_type(
            run.do(cmd(s.SendAnonymousMessage, BOB, to="santa", text="hi")), s.DirectMessageDue
        ),
    ]
    for due in later:
        run.do(
            cmd(s.RecordDeliveryOutcome, 0, message_id=due.message_id, delivered=False, reason="x")
        )
    # Then the organiser sees two failures but no member named
    view = p.organiser_view(project(p.SantaOrganiserProjection(), run.log), GUILD)
    assert view is not None
    assert view.dms_failed == 2
    assert view.unreachable_members == []
    assert not of_type(run.log[-2:], s.DirectMessageDue)  # and no alert was sent


def test_organiser_view_never_depends_on_who_gives_to_whom() -> None:
    logs = [_busy_season(seed) for seed in (4, 5, 6, 7)]
    maps = {tuple(sorted(of_type(log, s.AssignmentsDrawn)[0].assignments.items())) for log in logs}
    assert len(maps) > 1, "the seeds must produce different draws for this test to mean anything"
    states = {msgspec.json.encode(project(p.SantaOrganiserProjection(), log)) for log in logs}
    assert len(states) == 1


def test_outbox_lists_due_messages_until_an_outcome_is_recorded() -> None:
    run = _drawn_run(8)
    state = project(p.SantaOutboxProjection(), run.log)
    pending = p.pending_messages(state)
    assert [mid for mid, _ in pending] == [f"santa:{GUILD}:2026:dm{k}" for k in (1, 2, 3, 4)]
    run.do(cmd(s.RecordDeliveryOutcome, 0, message_id=pending[0][0], delivered=True))
    state = project(p.SantaOutboxProjection(), run.log)
    assert [mid for mid, _ in p.pending_messages(state)] == [mid for mid, _ in pending[1:]]


def test_projections_ignore_other_capabilities_and_older_seasons() -> None:
    class Other(msgspec.Struct):
        guild_id: int = GUILD
        year: int = 2026

    stale = s.ParticipantJoined(
        guild_id=GUILD, year=1999, member_id=9, display_name="x", wishlist=""
    )
    events = [*season_with(ANN), Other(), None, stale]
    for projection in (
        p.SantaSeasonsProjection(),
        p.SantaMemberViewsProjection(),
        p.SantaOrganiserProjection(),
        p.SantaOutboxProjection(),
    ):
        state = project(projection, events)
        assert msgspec.json.encode(state) == msgspec.json.encode(
            project(projection, season_with(ANN))
        )


def test_record_struct_matches_what_projections_read() -> None:
    rec = Rec(position=1, stream_id="santa/1", recorded_at=opened().gift_deadline, event=opened())
    state = p.SantaSeasonsProjection().apply(p.SeasonsState(), rec)
    assert p.current_season(state, GUILD) is not None
    assert state.guilds[GUILD].organiser_id == ORGANISER
