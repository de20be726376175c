"""The console's line syntax is a contract for admins' scripts: these tests pin it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.console_parse import MetaCommand, ParsedCommand, parse_line
from app.commands.spec import (
    CommandSpec,
    Invocation,
    OptionError,
    OptionKind,
    OptionSpec,
    Reply,
    validate,
)


async def _noop(inv: Invocation, opts: Mapping[str, Any]) -> Reply:
    return Reply("ok")


SPECS = [
    CommandSpec(
        ("santa", "join"),
        "join",
        _noop,
        (OptionSpec("wishlist", OptionKind.STRING, "what you'd like", max_length=20),),
    ),
    CommandSpec(
        ("santa", "exclude"),
        "exclude",
        _noop,
        (
            OptionSpec("giver", OptionKind.USER, "giver", required=True),
            OptionSpec("receiver", OptionKind.USER, "receiver", required=True),
            OptionSpec("both_ways", OptionKind.BOOLEAN, "both ways"),
        ),
        manage_server=True,
    ),
    CommandSpec(
        ("santa", "start"),
        "start",
        _noop,
        (
            OptionSpec(
                "year", OptionKind.INTEGER, "year", required=True, min_value=2000, max_value=2100
            ),
        ),
    ),
    CommandSpec(
        ("feed", "add"), "add", _noop, (OptionSpec("channel", OptionKind.CHANNEL, "where"),)
    ),
]


def parse(line: str) -> ParsedCommand:
    out = parse_line(line, SPECS)
    assert isinstance(out, ParsedCommand)
    return out


def test_quoted_string_option() -> None:
    cmd = parse('/santa join wishlist:"warm socks"')
    assert cmd.spec.path == ("santa", "join")
    assert cmd.values == {"wishlist": "warm socks"}


def test_apostrophes_are_letters_and_escaped_quotes_work() -> None:
    assert parse("/santa join wishlist:don't-care").values == {"wishlist": "don't-care"}
    assert parse('/santa join wishlist:"say \\"hi\\" #1"').values == {"wishlist": 'say "hi" #1'}


def test_user_mentions_bare_ids_and_booleans() -> None:
    cmd = parse("/santa exclude giver:<@12> receiver:<@!34> both_ways:true")
    assert cmd.values == {"giver": 12, "receiver": 34, "both_ways": True}
    assert parse("/santa exclude giver:12 receiver:34").values == {"giver": 12, "receiver": 34}


def test_channel_and_integer() -> None:
    assert parse("/feed add channel:<#99>").values == {"channel": 99}
    assert parse("/santa start year:2026").values == {"year": 2026}


def test_meta_lines_and_comments() -> None:
    assert parse_line(":user 42", SPECS) == MetaCommand("user", ("42",))
    assert parse_line(":name 42 Ann Lee", SPECS) == MetaCommand("name", ("42", "Ann Lee"))
    assert parse_line("   ", SPECS) is None
    assert parse_line("# comment", SPECS) is None


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("/santa jion", "Unknown command /santa jion"),
        ("/santa join colour:red", "has no option 'colour'"),
        ('/santa join wishlist:"unterminated', "double quotes"),
        ("/santa start year:soon", "whole number"),
        ("/santa exclude giver:bob receiver:1", "like <@123>"),
        ("/santa exclude giver:1 receiver:2 both_ways:maybe", "true or false"),
        ("santa join", "start with /"),
        ("/santa join wishlist:a wishlist:b", "given twice"),
    ],
)
def test_bad_lines_get_clear_errors(line: str, fragment: str) -> None:
    with pytest.raises(OptionError) as err:
        parse_line(line, SPECS)
    assert fragment in err.value.message


def test_validate_names_the_limit() -> None:
    spec = SPECS[0]
    with pytest.raises(OptionError) as err:
        validate(spec, {"wishlist": "x" * 21})
    assert err.value.message == "wishlist is 21 characters long; the limit is 20."
    with pytest.raises(OptionError, match="needs the option giver"):
        validate(SPECS[1], {"receiver": 3})
    with pytest.raises(OptionError, match="at least 2000"):
        validate(SPECS[2], {"year": 1999})


@given(st.text(max_size=200))
def test_any_line_parses_or_fails_clearly(line: str) -> None:
    """Random input never escapes as anything but an OptionError with a message."""
    message = ""
    try:
        out = parse_line(line, SPECS)
        if isinstance(out, ParsedCommand):
            validate(out.spec, out.values)
    except OptionError as exc:
        message = exc.message
        assert message.endswith((".", "!", ")")), message
