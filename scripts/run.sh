#!/usr/bin/env bash
# The README's first command: install from the lock file into .venv and run the bot's main job.
# With DISCORD_TOKEN set it connects to Discord; without it the offline console runs on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --require-hashes -r requirements.lock
.venv/bin/python -m pip install -q --no-deps -e .
if [ -n "${DISCORD_TOKEN:-}" ]; then exec .venv/bin/python -m app run "$@"; fi
exec .venv/bin/python -m app console "$@"
