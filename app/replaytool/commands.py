"""One async handler per subcommand: open read-only, do the work, render. Each returns the exit
code; refusals raise `ToolError` (turned into `error: ...` and exit 1 by `cli.main`).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console

from app.projections.santa import SantaOutboxProjection
from app.projections.santa_history import HistoryState
from app.replaytool import render
from app.replaytool.backup import backup_to
from app.replaytool.errors import ToolError
from app.replaytool.history import HISTORY_PROJECTION, history_rows
from app.replaytool.logaccess import VerifyReport, open_log, resolve_point, verify_database
from app.replaytool.prefixcopy import copy_prefix
from app.replaytool.readmodels import as_json, print_read_models
from app.replaytool.replaying import fold_all, paused_gc
from app.replaytool.sqlitefile import check_new_file, publish_new, remove_quietly
from app.replaytool.stats import collect_stats
from app.replaytool.wiring import app_projections
from eventstore import EventStore, RecordedEvent, state_at

_json = msgspec.json.Encoder()


# ----------------------------------------------------------------------------------------- verify


async def run_verify(args: argparse.Namespace, console: Console) -> int:
    async with open_log(args.db) as store:
        with console.status("verifying the hash chain…"):
            report = VerifyReport.of(await store.verify())
    if not report.ok:
        raise ToolError(
            f"verification failed at position {report.bad_position}: {report.problem} "
            f"({report.event_count} events before it verified)"
        )
    # The chain cannot show events cut from the end; the live runner's checkpoints can. Head and
    # checkpoints come from one read transaction, so a bot appending meanwhile is no false alarm.
    stats = await asyncio.to_thread(collect_stats, args.db)
    beyond = [c for c in stats.checkpoints if c.position > stats.head_position]
    if beyond:
        c = beyond[0]
        raise ToolError(
            f"verification failed at position {stats.head_position + 1}: the log ends at position "
            f"{stats.head_position} but projection {c.name!r} had already processed position "
            f"{c.position} (events were removed from the end)"
        )
    console.print(f"verified {report.event_count} events")
    return 0


# ------------------------------------------------------------------------------------------ stats


async def run_stats(args: argparse.Namespace, console: Console) -> int:
    async with open_log(args.db):  # format check; the counts come from SQL aggregates
        with console.status("counting…"):
            stats = await asyncio.to_thread(collect_stats, args.db)
    summary = render.table(f"{args.db}", "what", "value")
    summary.add_row("events", str(stats.event_count))
    summary.add_row("last position", str(stats.head_position))
    summary.add_row("first event", render.when(stats.first_at))
    summary.add_row("last event", render.when(stats.last_at))
    summary.add_row("file size", render.human_bytes(stats.file_bytes))
    summary.add_row("WAL size", render.human_bytes(stats.wal_bytes))
    render.emit(console, summary)

    by_type = render.table("events per type", "type", "events", right=("events",))
    for name, n in stats.by_type:
        by_type.add_row(name, str(n))
    render.emit(console, by_type)

    by_cat = render.table(
        "events per stream category", "category", "events", "streams", right=("events", "streams")
    )
    for category, n, streams in stats.by_category:
        by_cat.add_row(category, str(n), str(streams))
    render.emit(console, by_cat)

    snaps = render.table(
        "read-model snapshots (disposable cache)",
        "projection",
        "snapshots",
        "newest at",
        "behind head",
        "bytes",
        right=("snapshots", "newest at", "behind head", "bytes"),
    )
    for s in stats.snapshots:
        snaps.add_row(
            s.name,
            str(s.count),
            str(s.newest_position),
            str(stats.head_position - s.newest_position),
            render.human_bytes(s.total_bytes),
        )
    if not stats.snapshots:
        snaps.add_row("(none)", "0", "-", "-", "-")
    render.emit(console, snaps)

    checks = render.table(
        "projection checkpoints",
        "projection",
        "position",
        "behind head",
        "updated",
        right=("position", "behind head"),
    )
    for c in stats.checkpoints:
        checks.add_row(
            c.name,
            str(c.position),
            str(stats.head_position - c.position),
            render.when(c.updated_at),
        )
    if not stats.checkpoints:
        checks.add_row("(none)", "-", "-", "-")
    render.emit(console, checks)
    return 0


# ------------------------------------------------------------------------------------------ audit


def audit_object(rec: RecordedEvent) -> dict[str, Any]:
    """The `--json` line: stable keys; payload decoded (upcast) if its type is known, else raw."""
    payload: Any = rec.event if rec.event is not None else msgspec.json.decode(rec.data)
    return {
        "position": rec.position,
        "stream_id": rec.stream_id,
        "version": rec.version,
        "type": rec.type,
        "schema_version": rec.schema_version,
        "event_id": str(rec.event_id),
        "recorded_at": rec.recorded_at,
        "causation_id": rec.causation_id,
        "correlation_id": rec.correlation_id,
        "payload": payload,
    }


async def _audit_source(store: EventStore, args: argparse.Namespace) -> Any:
    if args.stream is not None:
        async for rec in store.read_stream(args.stream):
            yield rec
        return
    start = 1
    if args.since is not None:
        # recorded_at never decreases along positions: skip straight to the first event at/after
        # --since.
        start = await store.position_at(args.since - timedelta(microseconds=1)) + 1
    async for chunk in store.read_all_batches(start, None, args.until):
        for rec in chunk:
            yield rec


def _matches(rec: RecordedEvent, args: argparse.Namespace) -> bool:
    if args.type is not None and rec.type != args.type:
        return False
    if args.correlation is not None and rec.correlation_id != args.correlation:
        return False
    if args.since is not None and rec.recorded_at < args.since:
        return False
    return not (args.until is not None and rec.recorded_at > args.until)


AUDIT_PAGE = 1000
"""Rows per printed table: a million-event listing streams instead of building one huge table."""


def _audit_table() -> render.Grid:
    return render.table(
        None,
        "position",
        "recorded at",
        "stream",
        "ver",
        "type",
        "correlation",
        "payload",
        right=("position", "ver"),
    )


async def run_audit(args: argparse.Namespace, console: Console) -> int:
    if args.since is not None and args.until is not None and args.since > args.until:
        raise ToolError("--since is after --until: nothing can match")
    limit: int | None = args.limit
    shown = 0
    async with open_log(args.db) as store:
        if args.json:
            out = console.file
            async for rec in _audit_source(store, args):
                if _matches(rec, args):
                    out.write(_json.encode(audit_object(rec)).decode() + "\n")
                    shown += 1
                    if limit is not None and shown >= limit:
                        break
            out.flush()
            return 0
        page = _audit_table()
        async for rec in _audit_source(store, args):
            if _matches(rec, args):
                payload = rec.event if rec.event is not None else msgspec.json.decode(rec.data)
                page.add_row(
                    str(rec.position),
                    render.when(rec.recorded_at),
                    rec.stream_id,
                    str(rec.version),
                    rec.type,
                    rec.correlation_id or "",
                    render.short_payload(payload),
                )
                shown += 1
                if page.row_count >= AUDIT_PAGE:  # stream long listings page by page
                    render.emit(console, page)
                    page = _audit_table()
                if limit is not None and shown >= limit:
                    break
    if page.row_count or not shown:
        render.emit(console, page)
    console.print(f"{shown} events")
    return 0


# ---------------------------------------------------------------------------------------- rebuild


async def run_rebuild(args: argparse.Namespace, console: Console) -> int:
    projections = app_projections()
    async with open_log(args.db) as store:
        head = await store.head_position()
        started = time.perf_counter()
        with render.progress(console, "rebuilding", head) as bar:
            states = await fold_all(
                store, projections, head, lambda n: bar.advance(bar.task_ids[0], n)
            )
        elapsed = time.perf_counter() - started
    rate = head / elapsed if elapsed > 0 else float("inf")
    t = render.table("rebuilt read models", "projection", "state size", right=("state size",))
    for name, state in states.items():
        t.add_row(name, render.human_bytes(len(msgspec.msgpack.encode(state))))
    render.emit(console, t)
    console.print(
        f"rebuilt {len(states)} projections from {head} events in {elapsed:.2f} s: "
        f"{rate:,.0f} events/s"
    )
    return 0


# ------------------------------------------------------------------------------------------ state


async def run_state(args: argparse.Namespace, console: Console) -> int:
    projections = app_projections()
    async with open_log(args.db) as store:
        position = await resolve_point(store, args.at)
        with console.status(f"folding the read models up to position {position}…"):
            with paused_gc():
                states = await state_at(store, projections, position=position)
            at = await anext(aiter(store.read_all(position, position)))
            snaps = {
                p.name: max(
                    (q for q in await store.snapshot_positions(p.name) if q <= position),
                    default=None,
                )
                for p in projections
            }
    if args.json:
        doc = {
            "position": position,
            "recorded_at": at.recorded_at,
            "read_models": {name: as_json(s, args.guild) for name, s in states.items()},
        }
        console.file.write(_json.encode(doc).decode() + "\n")
        return 0
    console.print(
        f"read models at position {position} (recorded {render.when(at.recorded_at)}); "
        + _snapshot_note(snaps, position)
    )
    print_read_models(console, states, guild=args.guild)
    return 0


def _snapshot_note(snaps: dict[str, int | None], position: int) -> str:
    used = sorted({snap for snap in snaps.values() if snap is not None})
    cold = sorted(name for name, snap in snaps.items() if snap is None)
    parts = []
    if used:
        where = ", ".join(str(p) for p in used)
        parts.append(f"started from snapshots at {where}, folded the events after them")
    if cold:
        parts.append(f"no snapshot at or before {position} for {', '.join(cold)}: folded from 1")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------- restore


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


async def run_restore(args: argparse.Namespace, console: Console) -> int:
    out: Path = args.out
    check_new_file(out)
    if await asyncio.to_thread(_same_file, out, args.db):
        raise ToolError("--out must be a new file, not the source database")
    async with open_log(args.db) as store:
        position = await resolve_point(store, args.at)
        head = await store.head_position()
        last = await anext(aiter(store.read_all(position, position)))
        outbox = SantaOutboxProjection()
        unsettled = len((await state_at(store, [outbox], position=position))[outbox.name].pending)
    partial = out.with_name(f".{out.name}.partial")
    remove_quietly(partial)
    try:
        with console.status(f"copying events 1..{position}…"):
            started = time.perf_counter()
            method = await asyncio.to_thread(copy_prefix, args.db, partial, position, head)
            copied_s = time.perf_counter() - started
        with console.status(f"verifying the {position} copied events…"):
            started = time.perf_counter()
            report = await verify_database(partial)
            verify_s = time.perf_counter() - started
            if not report.ok:
                raise ToolError(f"the restored copy did not verify: {report.describe()}")
            if report.event_count != position:
                raise ToolError(
                    f"the restored copy holds {report.event_count} events, expected {position}"
                )
            # The copy must end in the very hash the source has at that position: the same
            # prefix, not a lookalike.
            async with open_log(partial) as copy:
                copied_last = await anext(aiter(copy.read_all(position, position)))
            if copied_last.hash != last.hash:
                raise ToolError(f"the copy's hash at position {position} differs from the source")
        await asyncio.to_thread(publish_new, partial, out)
    finally:
        remove_quietly(partial)
    db = args.db
    console.print(
        f"restored {position} events (through position {position}, "
        f"recorded {render.when(last.recorded_at)}) to {out}: verified "
        f"(copy {copied_s:.2f} s by {method}, verify {verify_s:.2f} s)"
    )
    if head > position:
        left_out = f"{head - position} later events (positions {position + 1}..{head})"
    else:
        left_out = "nothing (that point is the end of the log)"
    console.print(f"left out: {left_out}; {db} is unchanged")
    if unsettled:
        console.print(
            f"note: {unsettled} direct message(s) were due and not yet settled at that point; a bot "
            "started on this copy sends them, except any it finds already sent among the newest "
            "100 messages of their channel (it looks there first, by each message's reference line)"
        )
    console.print("to switch the bot to it:")
    console.print("  1. stop the bot (anything it records after the restore point is dropped)")
    console.print(
        f"  2. keep the current log: mv {db} {db}.before-restore "
        "(move its -wal/-shm files too, if any)"
    )
    console.print(f"  3. mv {out} {db}   (or start the bot with YULELOG_DB={out})")
    console.print(
        "  4. start the bot; read models load their snapshots up to the restore point and catch up"
    )
    return 0


# ---------------------------------------------------------------------------------------- history


async def run_history(args: argparse.Namespace, console: Console) -> int:
    projections = [p for p in app_projections() if p.name == HISTORY_PROJECTION]
    async with open_log(args.db) as store:
        with paused_gc():
            states = await state_at(store, projections)
    state = states[HISTORY_PROJECTION]
    assert isinstance(state, HistoryState)
    if args.guild not in state.guilds:
        known = ", ".join(str(g) for g in sorted(state.guilds)) or "none"
        raise ToolError(
            f"no Secret Santa season recorded for guild {args.guild} (guilds with seasons: {known})"
        )
    rows = history_rows(state, args.guild, args.member)
    if args.member is not None and not rows:
        raise ToolError(
            f"member {args.member} took part in no Secret Santa season of guild {args.guild}"
        )
    if args.json:
        for row in rows:
            console.file.write(_json.encode(row).decode() + "\n")
        return 0
    guild = state.guilds[args.guild]
    years = render.table(
        f"Secret Santa history of guild {args.guild} (shows pairs: admin only)",
        "year",
        "status",
        "participants",
        "gifts sent",
        "gifts received",
        right=("participants", "gifts sent", "gifts received"),
    )
    for year in sorted(guild.years):
        record = guild.years[year]
        years.add_row(
            str(year),
            record.status,
            str(len(record.participants)),
            str(len(record.gifts_sent)),
            str(len(record.gifts_received)),
        )
    render.emit(console, years)
    pairs = render.table(
        None if args.member is None else f"member {args.member}",
        "year",
        "member",
        "gave to",
        "got from",
        "sent",
        "received",
    )
    for row in rows:
        pairs.add_row(
            str(row.year),
            f"{row.member_name} ({row.member_id})",
            "-" if row.gave_to is None else f"{row.gave_to_name} ({row.gave_to})",
            "-" if row.got_from is None else f"{row.got_from_name} ({row.got_from})",
            "yes" if row.gift_sent else "no",
            "yes" if row.gift_received else "no",
        )
    render.emit(console, pairs)
    return 0


# ----------------------------------------------------------------------------------------- backup


async def run_backup(args: argparse.Namespace, console: Console) -> int:
    with console.status(f"copying {args.db} with the SQLite backup API and verifying…"):
        size, report = await backup_to(args.db, args.out)
    console.print(
        f"backup written to {args.out} ({render.human_bytes(size)}): "
        f"verified {report.event_count} events"
    )
    return 0
