"""Three seasons on one server: later draws avoid earlier pairs; history returns the right table."""

from __future__ import annotations

import random

from app.domain import santa as s
from app.projections import santa_history as h

from .helpers import GUILD, NOW, ORGANISER, Scenario, cmd, name, of_type, open_cmd, project

MEMBERS = [2, 3, 4, 5, 6, 7]


def _season(run: Scenario, year: int, members: list[int], *, gifts: int) -> s.AssignmentsDrawn:
    run.do(open_cmd(year))
    for member in members:
        run.do(cmd(s.JoinSeason, member, display_name=name(member), wishlist=f"{year} wish"))
    result = of_type(run.do(cmd(s.DrawAssignments)), s.AssignmentsDrawn)[0]
    assert isinstance(result, s.AssignmentsDrawn)
    for giver in sorted(result.assignments)[:gifts]:
        run.do(cmd(s.MarkGiftSent, giver))
        run.do(cmd(s.MarkGiftReceived, result.assignments[giver]))
    run.do(cmd(s.CloseSeason))
    return result


def test_three_years_avoid_earlier_pairs_and_history_returns_the_table() -> None:
    run = Scenario(seed=2024)
    first = _season(run, 2024, MEMBERS, gifts=6)
    second = _season(run, 2025, MEMBERS, gifts=3)
    third = _season(run, 2026, MEMBERS, gifts=0)

    pairs = {
        year: set(r.assignments.items())
        for year, r in ((2024, first), (2025, second), (2026, third))
    }
    assert not pairs[2025] & pairs[2024]
    assert not pairs[2026] & (pairs[2024] | pairs[2025])
    assert second.relaxed_years == third.relaxed_years == []

    state = project(h.SantaHistoryProjection(), run.log)
    assert h.guild_table(state, GUILD) == [
        h.YearSummary(
            year=2024, status=s.CLOSED, participants=6, drawn=True, gifts_sent=6, gifts_received=6,
            completion_rate=1.0,
        ),
        h.YearSummary(
            year=2025, status=s.CLOSED, participants=6, drawn=True, gifts_sent=3, gifts_received=3,
            completion_rate=0.5,
        ),
        h.YearSummary(
            year=2026, status=s.CLOSED, participants=6, drawn=True, gifts_sent=0, gifts_received=0,
            completion_rate=0.0,
        ),
    ]  # fmt: skip

    for member in MEMBERS:
        rows = h.member_history(state, GUILD, member)
        assert [row.year for row in rows] == [2024, 2025, 2026]
        for row, result in zip(rows, (first, second, third), strict=True):
            santa = next(g for g, r in result.assignments.items() if r == member)
            assert (row.gave_to, row.got_from) == (result.assignments[member], santa)
            assert row.gave_to_name == name(result.assignments[member])
            assert row.got_from_name == name(santa)
    gave_2024 = h.member_history(state, GUILD, MEMBERS[0])[0]
    assert gave_2024.sent
    assert gave_2024.received

    for giver in MEMBERS:
        for receiver in MEMBERS:
            expected = [y for y in (2024, 2025, 2026) if (giver, receiver) in pairs[y]]
            assert h.has_ever_drawn(state, GUILD, giver, receiver) == expected
    assert h.audit_pairs(state, GUILD, 2025) == second.assignments


def test_running_season_is_left_out_of_member_history() -> None:
    run = Scenario(seed=1)
    _season(run, 2024, MEMBERS, gifts=0)
    run.do(open_cmd(2025))
    for member in MEMBERS:
        run.do(cmd(s.JoinSeason, member, display_name=name(member)))
    run.do(cmd(s.DrawAssignments))
    state = project(h.SantaHistoryProjection(), run.log)
    assert [r.year for r in h.member_history(state, GUILD, MEMBERS[0])] == [2024]
    assert [r.year for r in h.member_history(state, GUILD, MEMBERS[0], include_running=True)] == [
        2024,
        2025,
    ]


def test_three_people_must_relax_the_oldest_year_in_year_three() -> None:
    # Three people have only two possible draws (the two rings); year 3 must repeat one, and the
    # relaxation must drop the oldest year first and list every repeated pair.
    trio = [2, 3, 4]
    run = Scenario(seed=9)
    first = _season(run, 2024, trio, gifts=0)
    second = _season(run, 2025, trio, gifts=0)
    third = _season(run, 2026, trio, gifts=0)
    assert not set(second.assignments.items()) & set(first.assignments.items())
    assert third.relaxed_years == [2024]
    assert third.assignments == first.assignments
    assert {(p.giver_id, p.receiver_id, p.year) for p in third.repeated_pairs} == {
        (g, r, 2024) for g, r in first.assignments.items()
    }


def test_history_window_is_the_organisers_choice() -> None:
    trio = [2, 3, 4]
    run = Scenario(seed=9)
    first = _season(run, 2024, trio, gifts=0)
    run.do(open_cmd(2025, avoid_past_years=0))
    for member in trio:
        run.do(cmd(s.JoinSeason, member, display_name=name(member)))
    seen: set[tuple[tuple[int, int], ...]] = set()
    for seed in range(30):
        events = s.decide(cmd(s.DrawAssignments), run.state, now=NOW, rng=random.Random(seed))
        (result,) = of_type(events, s.AssignmentsDrawn)
        assert result.relaxed_years == []
        seen.add(tuple(sorted(result.assignments.items())))
    assert tuple(sorted(first.assignments.items())) in seen  # nothing avoided: repeats allowed
    assert run.state.seasons[2025].organiser_id == ORGANISER
