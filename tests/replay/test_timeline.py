"""Given a generated three-year log of several servers, `state`, `restore`, `history`, `audit`,
`stats` and `rebuild` show exactly what the live process had, and never touch the original."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from app.bootstrap import open_app
from app.replaytool.generate import GeneratedLog
from app.replaytool.wiring import app_projections, app_registry
from eventstore import EventStore, rebuild, state_at
from tests.replay.conftest import file_digest, run_cli

YEARS = (2024, 2025, 2026)


def normal(models: Any) -> Any:
    """JSON round trip: int dict keys become strings on both sides, so JSON output compares."""
    return msgspec.json.decode(msgspec.json.encode(models))


def year_end(year: int) -> str:
    return f"{year}-12-31T23:59:59"


def test_generated_log_spans_three_years_and_several_servers(generated: GeneratedLog) -> None:
    assert sorted(generated.year_end_positions) == list(YEARS)
    assert len(generated.guild_ids) >= 3
    assert 1500 <= generated.event_count <= 20_000
    assert {y for (_, y) in generated.draws} == set(YEARS)
    positions = [generated.year_end_positions[y] for y in YEARS]
    assert positions == sorted(positions)
    assert positions[0] > 0


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("by", ["time", "position"])
def test_state_at_year_end_equals_what_the_live_process_had(
    generated: GeneratedLog, year: int, by: str
) -> None:
    at = year_end(year) if by == "time" else str(generated.year_end_positions[year])
    run = run_cli("state", "--db", generated.path, "--at", at, "--json")
    assert run.code == 0, run.err
    doc = msgspec.json.decode(run.out)
    assert doc["position"] == generated.year_end_positions[year]
    assert doc["read_models"] == normal(generated.year_end_models[year])


def test_state_json_for_one_guild_holds_only_that_guild(generated: GeneratedLog) -> None:
    guild = generated.guild_ids[2]
    run = run_cli("state", "--db", generated.path, "--at", "2025-12-02", "--json", "--guild", guild)
    assert run.code == 0, run.err
    models = msgspec.json.decode(run.out)["read_models"]
    for name, model in models.items():
        if "guilds" in model:
            assert list(model["guilds"]) == [str(guild)], name
        for due in model.get("pending", {}).values():
            assert due["guild_id"] == guild


def test_state_human_output_lists_each_servers_seasons(generated: GeneratedLog) -> None:
    guild = generated.guild_ids[0]
    run = run_cli("state", "--db", generated.path, "--at", year_end(2025), "--guild", guild)
    assert run.code == 0, run.err
    assert "Secret Santa seasons" in run.out
    assert str(guild) in run.out
    assert "2024" in run.out
    assert "2025" in run.out
    assert "2026" not in run.out.split("seasons", 1)[1]
    assert "closed" in run.out


def test_state_from_snapshots_equals_a_full_fold_at_many_points(generated: GeneratedLog) -> None:
    async def check() -> None:
        projections = app_projections()
        async with EventStore(generated.path, registry=app_registry(), readonly=True) as store:
            head = await store.head_position()
            assert await store.snapshot_positions(projections[0].name), "generator took snapshots"
            for position in sorted({1, 299, 300, 301, head // 2, head - 1, head}):
                fast = await state_at(store, projections, position=position)
                slow = await rebuild(store, projections, until_position=position)
                assert msgspec.to_builtins(fast) == msgspec.to_builtins(slow), position

    asyncio.run(check())


async def _live_models(path: Path) -> tuple[int, dict[str, Any]]:
    """What a bot opened on `path` shows: the app's own composition root, its read models."""
    async with open_app(path, snapshot_every=None) as app:
        return await app.store.head_position(), msgspec.to_builtins(app.runner.states)


@pytest.mark.parametrize("year", YEARS[:2])
def test_restore_to_a_year_end_gives_a_verified_log_a_bot_shows_as_it_was(
    generated: GeneratedLog, tmp_path: Path, year: int
) -> None:
    before = file_digest(generated.path)
    out = tmp_path / f"restored-{year}.db"
    run = run_cli("restore", "--db", generated.path, "--at", year_end(year), "--out", out)
    assert run.code == 0, run.err
    position = generated.year_end_positions[year]
    assert f"restored {position} events" in run.out
    assert "to switch the bot to it" in run.out

    verified = run_cli("verify", "--db", out)
    assert verified.code == 0, verified.err
    assert verified.out.strip() == f"verified {position} events"

    head, models = asyncio.run(_live_models(out))
    assert head == position
    assert normal(models) == normal(generated.year_end_models[year])

    async def later_events() -> list[int]:
        async with EventStore(out, registry=app_registry(), readonly=True) as store:
            return [
                rec.position
                async for rec in store.read_all()
                if rec.recorded_at > datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC)
            ]

    assert asyncio.run(later_events()) == []
    assert file_digest(generated.path) == before


def test_restore_refuses_an_existing_output_and_leaves_it_alone(
    generated: GeneratedLog, tmp_path: Path
) -> None:
    out = tmp_path / "taken.db"
    out.write_bytes(b"precious")
    run = run_cli("restore", "--db", generated.path, "--at", "10", "--out", out)
    assert run.code == 1
    assert "already exists" in run.err
    assert out.read_bytes() == b"precious"


def test_no_subcommand_changes_the_original_bytes(generated: GeneratedLog, tmp_path: Path) -> None:
    before = file_digest(generated.path)
    guild = generated.guild_ids[1]
    for argv in (
        ("verify",),
        ("stats",),
        ("audit", "--json", "--limit", "50"),
        ("rebuild",),
        ("state", "--at", "500"),
        ("history", "--guild", guild),
        ("backup", "--out", tmp_path / "b.db"),
        ("restore", "--at", "400", "--out", tmp_path / "r.db"),
    ):
        run = run_cli(argv[0], "--db", generated.path, *argv[1:])
        assert run.code == 0, (argv, run.err)
    assert file_digest(generated.path) == before


def _member_in_every_year(generated: GeneratedLog) -> tuple[int, int]:
    for guild in generated.guild_ids:
        common = set.intersection(*(generated.participants[(guild, y)] for y in YEARS))
        for member in sorted(common):
            if all(member in generated.draws[(guild, y)] for y in YEARS):
                return guild, member
    raise AssertionError("the generator should give some member three seasons")


def test_history_of_a_member_across_three_years_matches_the_draws(
    generated: GeneratedLog,
) -> None:
    guild, member = _member_in_every_year(generated)
    run = run_cli("history", "--db", generated.path, "--guild", guild, "--member", member, "--json")
    assert run.code == 0, run.err
    rows = [msgspec.json.decode(line) for line in run.out.splitlines()]
    assert [r["year"] for r in rows] == list(YEARS)
    for row in rows:
        key = (guild, row["year"])
        pairs = generated.draws[key]
        santa_of = {receiver: giver for giver, receiver in pairs.items()}
        assert row["member_id"] == member
        assert row["gave_to"] == pairs[member]
        assert row["got_from"] == santa_of.get(member)
        assert row["gift_sent"] == (member in generated.gifts_sent[key])
        assert row["gift_received"] == (member in generated.gifts_received[key])
        assert row["participants"] == len(generated.participants[key])

    table = run_cli("history", "--db", generated.path, "--guild", guild)
    assert table.code == 0, table.err
    assert "shows pairs" in table.out
    for year in YEARS:
        assert str(year) in table.out


def test_history_refuses_an_unknown_guild_or_member(generated: GeneratedLog) -> None:
    run = run_cli("history", "--db", generated.path, "--guild", "12345")
    assert run.code == 1
    assert "no Secret Santa season recorded for guild 12345" in run.err
    guild = generated.guild_ids[0]
    run = run_cli("history", "--db", generated.path, "--guild", guild, "--member", "1")
    assert run.code == 1
    assert "member 1 took part in no Secret Santa season" in run.err


def test_audit_json_has_the_promised_fields_and_filters_combine(generated: GeneratedLog) -> None:
    run = run_cli("audit", "--db", generated.path, "--json")
    assert run.code == 0, run.err
    everything = [msgspec.json.decode(line) for line in run.out.splitlines()]
    assert len(everything) == generated.event_count
    assert [e["position"] for e in everything] == list(range(1, generated.event_count + 1))
    first = everything[0]
    for key in ("position", "stream_id", "version", "type", "recorded_at", "correlation_id"):
        assert key in first
    assert first["type"] == "santa.SeasonOpened"
    assert first["payload"]["year"] == 2024

    guild = generated.guild_ids[2]
    stream = f"santa/{guild}"
    since, until = "2025-11-15", "2025-12-31T23:59:59Z"
    run = run_cli(
        "audit", "--db", generated.path, "--json", "--stream", stream,
        "--type", "santa.GiftSent", "--since", since, "--until", until,
    )  # fmt: skip
    assert run.code == 0, run.err
    got = [msgspec.json.decode(line)["position"] for line in run.out.splitlines()]
    want = [
        e["position"]
        for e in everything
        if e["stream_id"] == stream
        and e["type"] == "santa.GiftSent"
        and "2025-11-15" <= e["recorded_at"] <= "2025-12-31T23:59:59Z"
    ]
    assert got == want
    assert want

    correlation = everything[100]["correlation_id"]
    run = run_cli("audit", "--db", generated.path, "--json", "--correlation", correlation)
    got = [msgspec.json.decode(line)["position"] for line in run.out.splitlines()]
    assert got == [e["position"] for e in everything if e["correlation_id"] == correlation]

    table = run_cli("audit", "--db", generated.path, "--type", "santa.SeasonClosed")
    assert table.code == 0
    assert f"{len(generated.draws)} events" in table.out


def test_stats_counts_types_and_categories(generated: GeneratedLog) -> None:
    run = run_cli("stats", "--db", generated.path)
    assert run.code == 0, run.err
    assert "santa.SeasonOpened" in run.out
    assert str(generated.event_count) in run.out
    assert "events per stream category" in run.out
    assert "santa.history.v2" in run.out  # snapshot and checkpoint state
    assert "2024-11-01" in run.out


def test_rebuild_prints_throughput_and_matches_the_stores_rebuild(generated: GeneratedLog) -> None:
    run = run_cli("rebuild", "--db", generated.path)
    assert run.code == 0, run.err
    assert f"from {generated.event_count} events" in run.out
    assert "events/s" in run.out

    async def full() -> Any:
        async with EventStore(generated.path, registry=app_registry(), readonly=True) as store:
            return msgspec.to_builtins(await rebuild(store, app_projections()))

    assert normal(asyncio.run(full())) == normal(generated.year_end_models[2026])


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.84, 0.86, 1.0])  # PAGE_COPY_FROM = 0.85
def test_restore_copy_holds_the_same_rows_as_the_stores_copy_until(
    generated: GeneratedLog, tmp_path: Path, fraction: float
) -> None:
    """Both copy methods (insert for early points, page copy + trim for late ones) give exactly
    the events, schema and metadata the store's own `copy_until` gives, no checkpoints, and of the
    snapshots each projection's newest at or before the point."""
    position = max(1, int(generated.event_count * fraction))
    mine, theirs = tmp_path / "mine.db", tmp_path / "theirs.db"
    assert run_cli("restore", "--db", generated.path, "--at", position, "--out", mine).code == 0

    async def reference() -> None:
        async with EventStore(generated.path, registry=app_registry(), readonly=True) as store:
            await store.copy_until(theirs, position)

    asyncio.run(reference())

    def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    for sql in (
        "SELECT * FROM events ORDER BY position",
        "SELECT * FROM checkpoints",
        "SELECT * FROM meta ORDER BY key",
        "SELECT name, sql FROM sqlite_master ORDER BY name",
        "PRAGMA application_id",
    ):
        assert rows(mine, sql) == rows(theirs, sql), sql
    assert len(rows(mine, "SELECT position FROM events")) == position
    snapshots = "SELECT name, position, data FROM snapshots ORDER BY name, position"
    newest = {}
    for name, at, data in rows(theirs, snapshots):
        newest[name] = (name, at, data)
    assert rows(mine, snapshots) == sorted(newest.values())


def test_a_long_audit_listing_streams_as_pages(generated: GeneratedLog) -> None:
    from app.replaytool.commands import AUDIT_PAGE

    run = run_cli("audit", "--db", generated.path)
    assert run.code == 0, run.err
    pages = -(-generated.event_count // AUDIT_PAGE)
    assert pages >= 2
    assert len(re.findall(r"^\W*position\W+recorded at", run.out, re.MULTILINE)) == pages
    assert run.out.rstrip().endswith(f"{generated.event_count} events")


def test_rebuild_on_a_terminal_shows_a_progress_bar(generated: GeneratedLog) -> None:
    import argparse
    import io

    from rich.console import Console

    from app.replaytool.commands import run_rebuild

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100, highlight=False)
    code = asyncio.run(run_rebuild(argparse.Namespace(db=generated.path), console))
    assert code == 0
    assert "rebuilding" in screen.getvalue()
    assert f"from {generated.event_count} events" in screen.getvalue()
