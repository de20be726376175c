"""The offline console: the bot's commands from stdin, with no Discord connection.

It runs the very same handlers, command path and read models as the Discord adapter; only the
transport differs. Direct messages the log says are due are "delivered" by printing them as
`[dm USER_ID] text`, ending with the same reference line the Discord dispatcher adds
(`-# ref 3f9a0c51e2`, see `app.reference`), and recording the delivery, exactly as the Discord
dispatcher would, so a season run here leaves the same log a Discord season would.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from app.adapters.console_parse import MetaCommand, ParsedCommand, parse_line
from app.bootstrap import App, open_app
from app.commands.registry import all_specs
from app.commands.run import invoke
from app.commands.spec import CommandSpec, Invocation, OptionError
from app.delivery import record_delivery
from app.domain import santa as s
from app.projections import santa as views
from app.reference import with_reference
from app.settings import SettingsError, load_settings

HELP = (
    "Type a command like /santa status, or a meta line: :user ID, :guild ID, :admin on|off, "
    ":name ID NAME, :deliver (send this server's DMs still due), :help, :quit."
)
#: Lines longer than this are refused before parsing: nothing legitimate comes close.
LINE_MAX_CHARS = 20_000


@dataclass(slots=True)
class Session:
    """Who the console is acting as; changed by meta lines."""

    user_id: int = 1
    guild_id: int = 1
    channel_id: int = 1
    admin: bool = False
    names: dict[int, str] = field(default_factory=dict)

    def invocation(self) -> Invocation:
        return Invocation(
            guild_id=self.guild_id,
            channel_id=self.channel_id,
            user_id=self.user_id,
            user_name=self.names.get(self.user_id, f"user{self.user_id}"),
            is_admin=self.admin,
            interaction_id=f"console-{uuid.uuid4()}",
        )


class Console:
    def __init__(self, app: App, out: TextIO) -> None:
        self.app = app
        self.out = out
        self.session = Session()
        self.specs: Sequence[CommandSpec] = all_specs(app)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def handle(self, line: str) -> bool:
        """Runs one line; returns False when the console should stop."""
        if len(line) > LINE_MAX_CHARS:
            self.say(f"That line is {len(line)} characters long; the limit is {LINE_MAX_CHARS}.")
            return True
        try:
            parsed = parse_line(line, self.specs)
        except OptionError as exc:
            self.say(exc.message)
            return True
        if parsed is None:
            return True
        if isinstance(parsed, MetaCommand):
            if parsed.name == "deliver":
                await self.deliver_due(after=0, guild_id=self.session.guild_id)
            return self.meta(parsed)
        await self.command(parsed)
        return True

    async def command(self, parsed: ParsedCommand) -> None:
        before = await self.app.store.head_position()
        reply = await invoke(parsed.spec, self.session.invocation(), parsed.values)
        self.say(reply.text)
        await self.deliver_due(after=before, guild_id=self.session.guild_id)

    async def deliver_due(self, *, after: int, guild_id: int) -> None:
        """Prints the DMs this console's own command made due, and records them as delivered.

        Only DMs that became due after `after` in the session's server are touched: pointed at a
        live bot's log, the console must neither read out other servers' secret draw notices nor
        mark them delivered (the bot would then never send them). Alerts caused by recording are
        followed too, which is why this loops.
        """
        for _round in range(100):
            await self.app.runner.wait_for(await self.app.store.head_position())
            pending = [
                (message_id, dm)
                for message_id, dm in views.pending_messages(
                    self.app.view(views.SantaOutboxProjection)
                )
                if dm.due_position > after and dm.guild_id == guild_id
            ]
            if not pending:
                return
            for message_id, dm in pending:
                self.say(f"[dm {dm.recipient_id}] {with_reference(dm.text, message_id)}")
                await record_delivery(
                    self.app, guild_id=dm.guild_id, message_id=message_id, delivered=True
                )

    def meta(self, cmd: MetaCommand) -> bool:
        if cmd.name in ("quit", "exit"):
            return False
        if cmd.name == "deliver":
            return True  # handled in `handle`, which can await
        if cmd.name == "help":
            self.say(HELP)
            self.say("Commands: " + ", ".join("/" + spec.name for spec in self.specs))
            return True
        try:
            if cmd.name in ("user", "guild", "channel"):
                value = _id(cmd.args[0] if cmd.args else "", cmd.name)
                setattr(self.session, f"{cmd.name}_id", value)
                self.say(f"Now acting as {cmd.name} {value}.")
            elif cmd.name == "admin":
                flag = (cmd.args[0] if cmd.args else "").lower()
                if flag not in ("on", "off"):
                    raise OptionError(":admin takes on or off.")
                self.session.admin = flag == "on"
                self.say(f"Manage Server is {flag}.")
            elif cmd.name == "name":
                if len(cmd.args) < 2:
                    raise OptionError(":name takes an id and a name, like :name 2 Ann.")
                member = _id(cmd.args[0], "user")
                name = " ".join(cmd.args[1:]).strip()
                if len(name) > s.DISPLAY_NAME_MAX_CHARS:
                    raise OptionError(
                        f"A name may have at most {s.DISPLAY_NAME_MAX_CHARS} characters."
                    )
                self.session.names[member] = name
                self.say(f"User {member} is called {name}.")
            else:
                raise OptionError(f"Unknown meta command :{cmd.name}. {HELP}")
        except OptionError as exc:
            self.say(exc.message)
        return True


def _id(raw: str, what: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 2**64:
        raise OptionError(f":{what} takes a numeric id, like :{what} 42.")
    return int(raw)


async def run_console(
    db_path: str | Path,
    stdin: TextIO,
    out: TextIO,
    *,
    backup_dir: str | Path | None = None,
    backup_keep: int = 7,
) -> int:
    """Reads lines until end of input; returns the process exit code (0 at end of input)."""
    interactive = stdin.isatty()
    async with open_app(db_path, backup_dir=backup_dir, backup_keep=backup_keep) as app:
        console = Console(app, out)
        if interactive:
            _enable_line_editing(console.specs)
            console.say(f"Yulelog console on {db_path}. {HELP}")
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                try:
                    line = await loop.run_in_executor(None, input, "> ")
                except EOFError:
                    break
            else:
                line = await loop.run_in_executor(None, stdin.readline)
                if not line:
                    break
            if not await console.handle(line):
                break
    return 0


def _enable_line_editing(specs: Sequence[CommandSpec]) -> None:
    """History and tab completion in a terminal (readline is absent on some platforms)."""
    try:
        import readline
    except ImportError:
        return
    # Python's readline appends nothing after a completion, so whole words carry their own space.
    meta = [":user ", ":guild ", ":channel ", ":admin ", ":name ", ":deliver", ":help", ":quit"]

    def candidates(buffer: str) -> list[str]:
        tokens = buffer.split()
        if buffer.endswith(" ") or not tokens:
            tokens.append("")
        if len(tokens) == 1:
            return sorted({f"/{spec.path[0]} " for spec in specs}) + meta
        if len(tokens) == 2:
            return sorted({f"{sp.path[1]} " for sp in specs if "/" + sp.path[0] == tokens[0]})
        path = (tokens[0].lstrip("/"), tokens[1])
        return [f"{o.name}:" for sp in specs if sp.path == path for o in sp.options]

    def complete(text: str, state: int) -> str | None:
        matches = [w for w in candidates(readline.get_line_buffer()) if w.startswith(text)]
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" ")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


def main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m app console", description=HELP)
    parser.add_argument(
        "--db", default=None, help="event log file (default: YULELOG_DB or ./data/yulelog.db)"
    )
    args = parser.parse_args(list(argv))
    values = dict(os.environ)
    if args.db:
        values["YULELOG_DB"] = args.db
    try:
        settings = load_settings(values, Path(".env"), mode="console")
    except SettingsError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(
        run_console(
            settings.db_path,
            sys.stdin,
            sys.stdout,
            backup_dir=settings.backup_dir,
            backup_keep=settings.backup_keep,
        )
    )
