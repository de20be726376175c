"""Yulelog admin tooling: verify, stats, audit, rebuild, state, restore, history, backup.

Thin entry point (the logic lives in `app.replaytool`); runbooks call `python scripts/replay.py
...`.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.replaytool.cli import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
