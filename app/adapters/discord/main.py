"""`python -m app run|serve`: settings, logging, the App and the bot, with clear failures.

The entry point calls `main(mode, argv)`; every problem an operator can fix (missing or refused
token, bad settings) ends as one readable message on stderr and exit status 2 (settings) or 1
(Discord refused), never as a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from app.adapters.discord.runner import StartupError
from app.adapters.discord.wiring import run_discord
from app.adapters.scheduler import build_scheduler
from app.bootstrap import open_app
from app.logs import configure_logging
from app.settings import Settings, SettingsError, load_settings


async def serve(mode: Literal["run", "serve"], settings: Settings) -> None:
    """Open the log and run the bot until SIGTERM/SIGINT."""
    async with open_app(
        settings.db_path, backup_dir=settings.backup_dir, backup_keep=settings.backup_keep
    ) as app:
        scheduler = build_scheduler(app, settings.backup_hour_utc)
        scheduler.start()
        try:
            await run_discord(mode, settings, app)
        finally:
            scheduler.shutdown(wait=False)


def main(
    mode: Literal["run", "serve"],
    argv: Sequence[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m app {mode}")
    parser.add_argument("--db", default=None, help="event log file (default: YULELOG_DB)")
    args = parser.parse_args(list(argv))
    values = dict(os.environ if environ is None else environ)
    if args.db:
        values["YULELOG_DB"] = args.db
    try:
        settings = load_settings(values, env_file, mode=mode)
    except SettingsError as exc:
        print(f"{mode}: {exc}", file=sys.stderr)
        return 2
    configure_logging(json=settings.log_format == "json", level=settings.log_level)
    try:
        asyncio.run(serve(mode, settings))
    except StartupError as exc:
        print(f"{mode}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "serve"):
        print("usage: python -m app.adapters.discord.main run|serve [--db PATH]", file=sys.stderr)
        raise SystemExit(2)
    mode_arg: Literal["run", "serve"] = "run" if sys.argv[1] == "run" else "serve"
    raise SystemExit(main(mode_arg, sys.argv[2:]))
