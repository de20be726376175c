"""The one error type the CLI turns into `error: <message>` and a non-zero exit."""

from __future__ import annotations


class ToolError(Exception):
    """A refusal or failure an admin can act on; `str()` is the whole user-facing sentence."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
