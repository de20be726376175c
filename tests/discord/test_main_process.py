"""The bot as an operator runs it: a real process against the fake Discord, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from app.adapters.discord.main import main
from tests.fakes.discord import MANAGE_GUILD, FakeDiscord, slash_command

REPO = Path(__file__).resolve().parents[2]


def test_missing_settings_end_in_one_message_and_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main("serve", [], environ={"INTERACTIONS_PORT": "x"}, env_file=None)

    err = capsys.readouterr().err
    assert status == 2
    assert "DISCORD_TOKEN is not set" in err
    assert "DISCORD_PUBLIC_KEY is not set" in err
    assert "INTERACTIONS_PORT" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("mode", ["run", "serve"])
async def test_the_bot_process_serves_then_stops_cleanly_on_sigterm(
    fake: FakeDiscord, tmp_path: Path, mode: str
) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_PUBLIC_KEY": fake.public_key_hex,
        "DISCORD_API_URL": fake.api_url,
        "INTERACTIONS_HOST": "127.0.0.1",
        "INTERACTIONS_PORT": "0",
        "YULELOG_DB": str(tmp_path / "yulelog.db"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.adapters.discord.main",
        mode,
        env=env,
        cwd=tmp_path,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: None in fake.commands, within=30)
        if mode == "run":
            await fake.wait_for(lambda: any(c.identify for c in fake.connections))
            payload = slash_command(
                "admin health", application_id=fake.application_id, permissions=MANAGE_GUILD
            )
            await fake.dispatch_interaction(payload)
            await fake.wait_for(lambda: payload["id"] in fake.callbacks)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert (tmp_path / "yulelog.db").exists()
