#!/usr/bin/env bash
# The README's test command: install from the lock file into .venv (reused if present) and run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --require-hashes -r requirements-dev.lock
.venv/bin/python -m pip install -q --no-deps -e .
exec .venv/bin/python -m pytest "$@"
