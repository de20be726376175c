"""The reference line every sent message ends with: stable, small, and never pushing a message
over Discord's limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.reference import (
    CONTENT_MAX_CHARS,
    carries_reference,
    reference_for,
    reference_line,
    with_reference,
)


def test_the_reference_is_pinned_across_versions() -> None:
    # A DM sent by one version must be found by the next: the derivation must never change.
    assert reference_for("santa:1:2026:dm1") == "ab00a08ae2"
    assert reference_line("santa:1:2026:dm1") == "-# ref ab00a08ae2"


def test_a_text_gets_its_reference_as_a_final_subtext_line() -> None:
    shown = with_reference("🎅 The names are drawn", "santa:1:2026:dm1")

    assert shown == "🎅 The names are drawn\n-# ref ab00a08ae2"
    assert carries_reference(shown, "santa:1:2026:dm1")
    assert not carries_reference(shown, "santa:1:2026:dm2")
    assert not carries_reference("🎅 The names are drawn", "santa:1:2026:dm1")


def test_a_text_quoting_a_reference_elsewhere_does_not_carry_it() -> None:
    quoted = f"{reference_line('m')}\nthanks!"

    assert not carries_reference(quoted, "m")


def test_a_text_at_discords_limit_is_shortened_to_make_room() -> None:
    shown = with_reference("x" * CONTENT_MAX_CHARS, "m")

    assert len(shown) == CONTENT_MAX_CHARS
    assert shown.endswith("x…\n" + reference_line("m"))


def test_a_text_already_over_the_limit_is_left_for_discord_to_refuse() -> None:
    text = "x" * (CONTENT_MAX_CHARS + 1)

    assert with_reference(text, "m") == f"{text}\n{reference_line('m')}"


@given(text=st.text(max_size=CONTENT_MAX_CHARS), message_id=st.text(min_size=1, max_size=60))
def test_any_text_that_fit_still_fits_and_carries_its_reference(text: str, message_id: str) -> None:
    shown = with_reference(text, message_id)

    assert len(shown) <= CONTENT_MAX_CHARS
    assert carries_reference(shown, message_id)
    assert shown.startswith(text) or shown.endswith("…\n" + reference_line(message_id))
