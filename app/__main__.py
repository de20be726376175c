"""Entry point: `python -m app run|serve|console`. Thin on purpose: parsing here, wiring in bootstrap."""

from __future__ import annotations

import sys

SUBCOMMANDS = {
    "run": "connect to Discord over the gateway (needs DISCORD_TOKEN)",
    "serve": "answer Discord HTTP interactions (needs DISCORD_TOKEN and DISCORD_PUBLIC_KEY)",
    "console": "offline console: the same commands from stdin, no Discord needed",
}


def usage() -> str:
    lines = ["usage: python -m app <subcommand>", ""]
    lines += [f"  {name:<8} {text}" for name, text in SUBCOMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SUBCOMMANDS:
        print(usage())
        return 0 if not argv else 2
    if argv[0] == "console":
        from app.adapters.console import main as console_main

        return console_main(argv[1:])
    from app.adapters.discord.main import main as discord_main

    return discord_main("run" if argv[0] == "run" else "serve", argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
