"""The interaction id on every log line written while an interaction is handled.

A client-wide hook stores the id in a context variable at the start of the pipeline; everything
that runs for that interaction (hooks, the command, the service, tasks it starts) inherits it.
`InteractionIdFilter` copies it onto each record, so a formatter can print `%(interaction_id)s`
whichever module logged the line.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Final

NO_INTERACTION: Final = "-"

current_interaction: ContextVar[str] = ContextVar("current_interaction", default=NO_INTERACTION)


class InteractionIdFilter(logging.Filter):
    """Adds `interaction_id` to every record (or "-" outside an interaction); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "interaction_id"):
            record.interaction_id = current_interaction.get()
        return True
