"""Logging, configured once per process: text for people, or one JSON object per line for machines.

Every record carries the Discord interaction id (or "-") through `InteractionIdFilter`, so a line can
be traced back to the command that caused it, whichever format is chosen.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final

import msgspec

from app.adapters.discord.logcontext import InteractionIdFilter

TEXT_FORMAT: Final = (
    "%(asctime)s %(levelname)s %(name)s [interaction %(interaction_id)s] %(message)s"
)
_ENCODER: Final = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, interaction id, message, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "interaction_id": getattr(record, "interaction_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return _ENCODER.encode(line).decode()


def configure_logging(*, json: bool = False, level: int = logging.INFO) -> None:
    """Installs Yulelog's one handler on the root logger; a second call changes nothing."""
    root = logging.getLogger()
    if any(getattr(h, "yulelog", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.yulelog = True  # type: ignore[attr-defined]
    handler.addFilter(InteractionIdFilter())
    handler.setFormatter(JsonFormatter() if json else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
