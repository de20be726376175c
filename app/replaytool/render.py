"""Human output: rich tables and progress bars, consistent across subcommands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import msgspec
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

_PAYLOAD_CHARS = 80


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat().replace("+00:00", "Z")


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def short_payload(payload: Any) -> str:
    text = msgspec.json.encode(payload).decode()
    return text if len(text) <= _PAYLOAD_CHARS else text[: _PAYLOAD_CHARS - 1] + "…"


def table(title: str | None, *columns: str, right: tuple[str, ...] = ()) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        t.add_column(column, justify="right" if column in right else "left", overflow="fold")
    return t


@contextmanager
def progress(console: Console, description: str, total: int) -> Iterator[Progress]:
    """A progress bar on a terminal; silent when piped (tests, cron) so logs stay clean."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with bar:
        bar.add_task(description, total=total)
        yield bar
