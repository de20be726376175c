"""One validated settings object, built on demand from the environment and an optional `.env` file.

Nothing is read at import time: an earlier bot read its config at import and died with a bare
KeyError. `load_settings` collects every problem and raises them together, so one start-up
attempt tells the operator everything that is wrong.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

import msgspec

Mode = Literal["run", "serve", "console"]

DEVELOPER_PORTAL: Final = "https://discord.com/developers/applications"
DEFAULT_DB: Final = "./data/yulelog.db"
DEFAULT_HOST: Final = "0.0.0.0"
DEFAULT_PORT: Final = 8080
DEFAULT_BACKUP_DIR: Final = "./data/backups"
DEFAULT_BACKUP_KEEP: Final = 7
DEFAULT_BACKUP_HOUR: Final = 3

_LEVELS: Final = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}
_KEY_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEX_KEY_RE: Final = re.compile(r"^[0-9a-fA-F]{64}$")


class SettingsError(Exception):
    """Every problem found in the configuration, one per line, so they can be fixed in one go."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the configuration has {len(self.problems)} problem(s):\n{lines}")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """What the bot needs to start; secrets never appear in its repr."""

    discord_token: str | None = None
    discord_public_key: str | None = None
    discord_api_url: str | None = None
    interactions_host: str = DEFAULT_HOST
    interactions_port: int = DEFAULT_PORT
    db_path: str = DEFAULT_DB
    guild_ids: tuple[int, ...] = ()
    backup_dir: str = DEFAULT_BACKUP_DIR
    backup_keep: int = DEFAULT_BACKUP_KEEP
    backup_hour_utc: int | None = DEFAULT_BACKUP_HOUR
    log_format: Literal["text", "json"] = "text"
    log_level: int = logging.INFO

    def __repr__(self) -> str:
        token = "<set>" if self.discord_token else "<unset>"
        return (
            f"Settings(discord_token={token}, discord_public_key={self.discord_public_key!r}, "
            f"discord_api_url={self.discord_api_url!r}, "
            f"interactions_host={self.interactions_host!r}, "
            f"interactions_port={self.interactions_port}, db_path={self.db_path!r}, "
            f"guild_ids={self.guild_ids!r}, backup_dir={self.backup_dir!r}, "
            f"backup_keep={self.backup_keep}, backup_hour_utc={self.backup_hour_utc}, "
            f"log_format={self.log_format!r}, log_level={self.log_level})"
        )

    __str__ = __repr__

    @property
    def token(self) -> str:
        """The token, for code run after `load_settings(mode="run"|"serve")` checked it."""
        if not self.discord_token:
            raise SettingsError([_missing_token()])
        return self.discord_token

    @property
    def public_key(self) -> str:
        """The public key, for serve mode only (checked by `load_settings(mode="serve")`)."""
        if not self.discord_public_key:
            raise SettingsError([_missing_public_key()])
        return self.discord_public_key


def parse_env_file(text: str, *, source: str = ".env") -> tuple[dict[str, str], list[str]]:
    """Parse the simple `.env` dialect: KEY=VALUE, optional `export `, `#` comments, quotes.

    Returns the values and the problems (bad lines), so a typo in one line does not hide others.
    """
    values: dict[str, str] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _KEY_RE.match(key):
            problems.append(f"{source} line {number} is not KEY=VALUE: {raw.strip()[:40]!r}")
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values, problems


def load_settings(
    environ: Mapping[str, str], env_file: Path | None = None, *, mode: Mode = "console"
) -> Settings:
    """Build settings from `environ` over `env_file` (environment wins) and check them for `mode`.

    A missing `env_file` is fine (it is optional); an unreadable one is a problem like any other.
    Raises SettingsError listing every problem.
    """
    problems: list[str] = []
    merged: dict[str, str] = {}
    if env_file is not None and env_file.exists():
        try:
            text = env_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{env_file} cannot be read: {exc}")
        else:
            file_values, file_problems = parse_env_file(text, source=str(env_file))
            merged.update(file_values)
            problems.extend(file_problems)
    merged.update(environ)

    def get(name: str) -> str | None:
        value = merged.get(name, "").strip()
        return value or None

    token = get("DISCORD_TOKEN")
    if token is None:
        if mode in ("run", "serve"):
            problems.append(_missing_token())
    else:
        problems.extend(_check_token(token))

    public_key = get("DISCORD_PUBLIC_KEY")
    if public_key is None:
        if mode == "serve":
            problems.append(_missing_public_key())
    elif not _HEX_KEY_RE.match(public_key):
        problems.append(
            "DISCORD_PUBLIC_KEY must be 64 hexadecimal characters (General Information → "
            f"Public Key at {DEVELOPER_PORTAL})"
        )

    api_url = get("DISCORD_API_URL")
    if api_url is not None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(
                "DISCORD_API_URL must be an http(s) URL such as http://127.0.0.1:8000/api/v10"
            )
        api_url = api_url.rstrip("/")

    host = get("INTERACTIONS_HOST") or DEFAULT_HOST
    port = DEFAULT_PORT
    raw_port = get("INTERACTIONS_PORT")
    if raw_port is not None:
        if raw_port.isdigit() and 0 <= int(raw_port) <= 65535:
            port = int(raw_port)
        else:
            problems.append(f"INTERACTIONS_PORT must be a port number 0-65535, not {raw_port!r}")

    db_path = get("YULELOG_DB") or DEFAULT_DB

    guild_ids: list[int] = []
    raw_guilds = get("DISCORD_GUILD_IDS")
    if raw_guilds is not None:
        for item in re.split(r"[,\s]+", raw_guilds):
            if not item:
                continue
            if item.isdigit() and int(item) > 0:
                guild_ids.append(int(item))
            else:
                problems.append(
                    f"DISCORD_GUILD_IDS must be server ids separated by commas; {item!r} is not one"
                )

    backup_dir = get("BACKUP_DIR") or DEFAULT_BACKUP_DIR
    backup_keep = DEFAULT_BACKUP_KEEP
    raw_keep = get("BACKUP_KEEP")
    if raw_keep is not None:
        if raw_keep.isdigit() and 1 <= int(raw_keep) <= 1000:
            backup_keep = int(raw_keep)
        else:
            problems.append(f"BACKUP_KEEP must be a whole number from 1 to 1000, not {raw_keep!r}")
    backup_hour: int | None = DEFAULT_BACKUP_HOUR
    raw_hour = get("BACKUP_HOUR_UTC")
    if raw_hour is not None:
        if raw_hour.lower() == "off":
            backup_hour = None
        elif raw_hour.isdigit() and 0 <= int(raw_hour) <= 23:
            backup_hour = int(raw_hour)
        else:
            problems.append(f"BACKUP_HOUR_UTC must be an hour 0-23 or off, not {raw_hour!r}")

    log_format: Literal["text", "json"] = "text"
    raw_format = get("LOG_FORMAT")
    if raw_format is not None:
        if raw_format.lower() in ("text", "json"):
            log_format = "json" if raw_format.lower() == "json" else "text"
        else:
            problems.append(f"LOG_FORMAT must be text or json, not {raw_format!r}")
    log_level = logging.INFO
    raw_level = get("LOG_LEVEL")
    if raw_level is not None:
        if raw_level.upper() in _LEVELS:
            log_level = _LEVELS[raw_level.upper()]
        else:
            problems.append(f"LOG_LEVEL must be one of {', '.join(_LEVELS)}, not {raw_level!r}")

    if problems:
        raise SettingsError(problems)
    return Settings(
        discord_token=token,
        discord_public_key=public_key.lower() if public_key else None,
        discord_api_url=api_url,
        interactions_host=host,
        interactions_port=port,
        db_path=db_path,
        guild_ids=tuple(dict.fromkeys(guild_ids)),
        backup_dir=backup_dir,
        backup_keep=backup_keep,
        backup_hour_utc=backup_hour,
        log_format=log_format,
        log_level=log_level,
    )


def _missing_token() -> str:
    return (
        "DISCORD_TOKEN is not set: copy the bot token from the Discord developer console "
        f"({DEVELOPER_PORTAL} → your application → Bot → Reset Token) into the environment or .env; "
        "to try the bot without Discord, run the offline console: python -m app console"
    )


def _missing_public_key() -> str:
    return (
        "DISCORD_PUBLIC_KEY is not set (needed by `serve`): copy it from the Discord developer "
        f"console ({DEVELOPER_PORTAL} → your application → General Information → Public Key)"
    )


def _check_token(token: str) -> list[str]:
    """A bot token is `base64(bot id).timestamp.hmac`; hikari derives the bot id from it.

    Checking the shape catches the usual paste mistakes (client secret, public key, quotes).
    """
    bad = (
        "DISCORD_TOKEN does not look like a bot token (three dot-separated parts, the first the "
        f"base64 of the bot's id); copy it again from {DEVELOPER_PORTAL} → Bot"
    )
    if token.lower().startswith("bot "):
        return ["DISCORD_TOKEN must be the bare token, without the 'Bot ' prefix"]
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or any(ch.isspace() for ch in token):
        return [bad]
    first = parts[0] + "=" * (-len(parts[0]) % 4)
    try:
        decoded = base64.b64decode(first.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return [bad]
    if not decoded.isdigit():
        return [bad]
    return []
