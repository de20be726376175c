"""The console contract, driven as admins' scripts drive it: lines piped into `python -m app console`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

SEASON = """\
:name 1 Ann
:name 2 Bob
:name 3 Cy
:admin on
/santa start year:2026 budget:"20 EUR"
:admin off
/santa join wishlist:"warm socks"
:user 2
/santa join wishlist:"a book"
:user 3
/santa join
/santa join
:user 1
/santa draw
/santa whois
/santa nonsense
/santa join wishlist:"unterminated
"""


def run_console(db: Path, script: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    return subprocess.run(
        [sys.executable, "-m", "app", "console", "--db", str(db)],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_piped_season_prints_replies_and_dms(tmp_path: Path) -> None:
    proc = run_console(tmp_path / "y.db", SEASON)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "The 2026 Secret Santa is open!" in out
    assert "You have already joined the 2026 Secret Santa." in out
    dms = re.findall(r"^\[dm (\d+)\] .*you are the Secret Santa of (\w+)", out, re.M)
    refs = re.findall(r"^-# ref [0-9a-f]{10}$", out, re.M)
    assert len(refs) == out.count("[dm ") >= 3  # every printed DM ends with its reference line
    assert sorted(int(u) for u, _ in dms) == [1, 2, 3]
    givers_to = dict((int(u), name) for u, name in dms)
    assert all(givers_to[u] != {1: "Ann", 2: "Bob", 3: "Cy"}[u] for u in givers_to)
    giftee_id = re.search(r"You are the Secret Santa of \w+ \(<@(\d+)>, id (\d+)\)", out)
    assert giftee_id is not None
    assert giftee_id.group(1) == giftee_id.group(2)
    assert "Unknown command /santa nonsense." in out
    assert "check the double quotes" in out


def test_state_survives_restart_and_dms_are_not_resent(tmp_path: Path) -> None:
    db = tmp_path / "y.db"
    first = run_console(db, SEASON)
    assert first.returncode == 0, first.stderr
    second = run_console(db, ":user 2\n/santa whois\n/santa status\n")
    assert second.returncode == 0, second.stderr
    assert "[dm" not in second.stdout
    assert "You are the Secret Santa of" in second.stdout
    assert "Participants: 3." in second.stdout


def test_empty_input_exits_zero(tmp_path: Path) -> None:
    proc = run_console(tmp_path / "y.db", "")
    assert proc.returncode == 0
    assert proc.stdout == ""
