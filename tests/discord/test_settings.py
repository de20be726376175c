"""Settings: all problems at once, a clear pointer for a missing token, no secrets shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import DEFAULT_DB, Settings, SettingsError, load_settings, parse_env_file
from tests.fakes.discord import fake_token

TOKEN = fake_token(775799577604522054)
KEY = "ab" * 32
REPO = Path(__file__).resolve().parents[2]


def test_defaults_need_nothing_in_console_mode() -> None:
    settings = load_settings({}, None)

    assert settings == Settings()
    assert settings.db_path == DEFAULT_DB
    assert (settings.interactions_host, settings.interactions_port) == ("0.0.0.0", 8080)


def test_every_setting_is_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_PUBLIC_KEY": KEY.upper(),
            "DISCORD_API_URL": "http://127.0.0.1:9999/api/v10/",
            "INTERACTIONS_HOST": "127.0.0.1",
            "INTERACTIONS_PORT": "9000",
            "YULELOG_DB": "/data/y.db",
            "DISCORD_GUILD_IDS": "111, 222,111",
        },
        None,
        mode="serve",
    )

    assert settings == Settings(
        discord_token=TOKEN,
        discord_public_key=KEY,
        discord_api_url="http://127.0.0.1:9999/api/v10",
        interactions_host="127.0.0.1",
        interactions_port=9000,
        db_path="/data/y.db",
        guild_ids=(111, 222),
    )


def test_a_missing_token_names_the_variable_and_the_console() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({}, None, mode="run")

    [problem] = caught.value.problems
    assert problem.startswith("DISCORD_TOKEN is not set")
    assert "https://discord.com/developers/applications" in problem
    assert "python -m app console" in problem


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "DISCORD_PUBLIC_KEY": "not-hex",
                "DISCORD_API_URL": "ftp://x",
                "INTERACTIONS_PORT": "eighty",
                "DISCORD_GUILD_IDS": "123,abc",
            },
            None,
            mode="serve",
        )

    names = [p.split()[0] for p in caught.value.problems]
    assert names == [
        "DISCORD_TOKEN",
        "DISCORD_PUBLIC_KEY",
        "DISCORD_API_URL",
        "INTERACTIONS_PORT",
        "DISCORD_GUILD_IDS",
    ]
    assert str(caught.value).startswith("the configuration has 5 problem(s):")


def test_serve_mode_also_needs_the_public_key() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": TOKEN}, None, mode="serve")

    [problem] = caught.value.problems
    assert problem.startswith("DISCORD_PUBLIC_KEY is not set")


@pytest.mark.parametrize(
    "token",
    [f"Bot {TOKEN}", "abc", "a.b", "bm90LWRpZ2l0cw.x.y", KEY, f"{TOKEN} extra"],
)
def test_a_token_of_the_wrong_shape_is_refused(token: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": token}, None, mode="run")

    assert caught.value.problems[0].startswith("DISCORD_TOKEN")


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n"
        f"export DISCORD_TOKEN='{TOKEN}'\n"
        "YULELOG_DB=from-file.db  # trailing comment\n"
        'INTERACTIONS_HOST="127.0.0.1"\n'
        "\n",
        encoding="utf-8",
    )

    settings = load_settings({"YULELOG_DB": "from-env.db"}, env_file, mode="run")

    assert settings.discord_token == TOKEN
    assert settings.db_path == "from-env.db"
    assert settings.interactions_host == "127.0.0.1"


def test_a_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path / "absent.env") == Settings()


def test_bad_env_file_lines_are_reported_with_their_line_number(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GOOD=1\nthis is not a setting\n9BAD=2\n", encoding="utf-8")

    with pytest.raises(SettingsError) as caught:
        load_settings({}, env_file)

    assert [p.split(" line ")[1][:1] for p in caught.value.problems] == ["2", "3"]


def test_parse_env_file_handles_the_simple_dialect() -> None:
    values, problems = parse_env_file("A=1\nB = 'two words'\nexport C=\"3\"\nD=\n")

    assert values == {"A": "1", "B": "two words", "C": "3", "D": ""}
    assert problems == []


def test_the_token_never_appears_in_repr_or_str() -> None:
    settings = load_settings({"DISCORD_TOKEN": TOKEN}, None, mode="run")

    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)
    assert "discord_token=<set>" in repr(settings)


def test_env_example_documents_every_setting() -> None:
    source = (REPO / "app" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'get\("([A-Z_]+)"\)', source))
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))

    assert read
    assert read <= documented, read - documented


def test_the_env_example_itself_parses(tmp_path: Path) -> None:
    values, problems = parse_env_file((REPO / ".env.example").read_text(encoding="utf-8"))

    assert problems == []
    assert "DISCORD_TOKEN" in values
