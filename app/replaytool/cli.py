"""Argument parsing and dispatch for `scripts/replay.py`.

The subcommands and flags are fixed by admins' runbooks; keep them stable. `main(argv)` is the in-
process entry tests call; it returns the exit code and never calls `sys.exit` itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console

from app.replaytool.errors import ToolError
from app.replaytool.points import LogPoint, PointError, parse_point, parse_time

Handler = Callable[[argparse.Namespace, Console], Coroutine[Any, Any, int]]

_DESCRIPTION = (
    "Yulelog admin tooling: see, prove and rewind the event log. Every subcommand opens the source"
    " database read-only and is safe while the bot runs; restore and backup write only their new "
    "file."
)
_TIME_HELP = (
    "ISO-8601 time, UTC when no offset is given (e.g. 2025-12-31 or 2025-12-31T23:59:59+01:00)"
)
_AT_HELP = "a global position (integer >= 1) or an " + _TIME_HELP


def _point_arg(text: str) -> LogPoint:
    try:
        return parse_point(text)
    except PointError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _time_arg(text: str) -> datetime:
    try:
        return parse_time(text)
    except PointError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        required=True,
        type=Path,
        metavar="PATH",
        help="the Yulelog event log (opened read-only)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full CLI; each subcommand has its own `--help`."""
    from app.replaytool import commands

    parser = argparse.ArgumentParser(prog="replay.py", description=_DESCRIPTION)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "verify",
        help="recompute the hash chain and check positions and stream versions",
        description=(
            "Recompute the hash chain and check positions and stream versions. Exits 0 with "
            "'verified N events', or 1 naming the first bad position and what is wrong."
        ),
    )
    _add_db(p)
    p.set_defaults(handler=commands.run_verify)

    p = sub.add_parser(
        "stats",
        help="events per type and stream category, times, file size, snapshots and checkpoints",
        description=(
            "Summarise the log: events per type and per stream category, first/last event times, "
            "file size, and the state of read-model snapshots and projection checkpoints."
        ),
    )
    _add_db(p)
    p.set_defaults(handler=commands.run_stats)

    p = sub.add_parser(
        "audit",
        help="list events, filtered; --json for one object per line",
        description=(
            "List events in log order. Filters combine (AND). --json prints one JSON object per "
            "line with position, stream_id, version, type, recorded_at, correlation_id, "
            "causation_id, event_id and the decoded payload."
        ),
    )
    _add_db(p)
    p.add_argument("--stream", metavar="S", help="only this stream id (e.g. santa/1234)")
    p.add_argument("--type", metavar="T", help="only this event type (e.g. santa.SeasonOpened)")
    p.add_argument(
        "--since", metavar="TIME", type=_time_arg, help="recorded at or after; " + _TIME_HELP
    )
    p.add_argument(
        "--until", metavar="TIME", type=_time_arg, help="recorded at or before; " + _TIME_HELP
    )
    p.add_argument("--correlation", metavar="ID", help="only events with this correlation id")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per line instead of a table"
    )
    p.add_argument(
        "--limit",
        metavar="N",
        type=_positive_int,
        help="stop after N matching events (table or JSON)",
    )
    p.set_defaults(handler=commands.run_audit)

    p = sub.add_parser(
        "rebuild",
        help="rebuild every projection from the log in memory; prints events/s",
        description=(
            "Fold the whole log through every projection from scratch, with a progress bar, and "
            "print the throughput. Writes nothing: it proves the read models can be rebuilt."
        ),
    )
    _add_db(p)
    p.set_defaults(handler=commands.run_rebuild)

    p = sub.add_parser(
        "state",
        help="print the read models as they were at a position or time (writes nothing)",
        description=(
            "Print the read models (each server's Secret Santa seasons) as they were at a point of"
            " the log. Uses read-model snapshots when present; writes nothing."
        ),
    )
    _add_db(p)
    p.add_argument("--at", required=True, type=_point_arg, metavar="POSITION|TIME", help=_AT_HELP)
    p.add_argument("--guild", metavar="G", type=int, help="only this server (guild id)")
    p.add_argument("--json", action="store_true", help="print the read models as JSON")
    p.set_defaults(handler=commands.run_state)

    p = sub.add_parser(
        "restore",
        help="write a NEW database holding the log up to a point, verified",
        description=(
            "Write a new database holding the log up to a position or time, verify it, and print "
            "how to switch the bot to it. The original is never touched; an existing NEW_PATH is "
            "refused."
        ),
    )
    _add_db(p)
    p.add_argument("--at", required=True, type=_point_arg, metavar="POSITION|TIME", help=_AT_HELP)
    p.add_argument("--out", required=True, type=Path, metavar="NEW_PATH", help="must not exist yet")
    p.set_defaults(handler=commands.run_restore)

    p = sub.add_parser(
        "history",
        help="year-over-year Secret Santa table for a server (shows pairs: admin only)",
        description=(
            "Per year: participants, who each member gave to and got from, gifts sent/received. "
            "This shows the secret pairs: it is an admin tool."
        ),
    )
    _add_db(p)
    p.add_argument("--guild", required=True, type=int, metavar="G", help="server (guild id)")
    p.add_argument("--member", type=int, metavar="U", help="only this member (user id)")
    p.add_argument(
        "--json", action="store_true", help="one JSON object per line (one per year/member)"
    )
    p.set_defaults(handler=commands.run_history)

    p = sub.add_parser(
        "backup",
        help="consistent online copy while the bot writes (SQLite backup API), verified",
        description=(
            "Copy the database with the SQLite online backup API (a consistent snapshot even while"
            " the bot appends), then verify the copy. An existing FILE is refused."
        ),
    )
    _add_db(p)
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="must not exist yet")
    p.set_defaults(handler=commands.run_backup)
    return parser


def make_console(stream: TextIO) -> Console:
    """Tables at a fixed width when not on a terminal so piped output and tests are stable."""
    is_tty = stream.isatty()
    return Console(
        file=stream,
        width=None if is_tty else 160,
        force_terminal=None if is_tty else False,
        highlight=False,
        soft_wrap=not is_tty,
    )


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Parse, run one subcommand, map `ToolError` to `error: ...` on stderr. Returns the code."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse already printed usage or help
        return int(exc.code) if isinstance(exc.code, int) else 2
    handler: Handler = args.handler
    console = make_console(out)
    try:
        return asyncio.run(handler(args, console))
    except ToolError as exc:
        print(f"error: {exc.message}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=err)
        return 130
