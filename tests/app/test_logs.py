"""Logging: configured once, JSON on request, the interaction id on every line."""

from __future__ import annotations

import io
import logging

import msgspec
import pytest

from app.adapters.discord.logcontext import InteractionIdFilter, current_interaction
from app.logs import JsonFormatter
from app.settings import SettingsError, load_settings


def test_json_lines_carry_the_interaction_id_and_the_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(InteractionIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("yulelog.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    token = current_interaction.set("1234567890")
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("the draw failed")
    finally:
        current_interaction.reset(token)
        logger.removeHandler(handler)
    line = msgspec.json.decode(stream.getvalue().strip())
    assert line["interaction_id"] == "1234567890"
    assert line["message"] == "the draw failed"
    assert line["level"] == "ERROR"
    assert "ValueError: boom" in line["traceback"]
    assert line["time"].endswith("+00:00")


def test_log_settings_are_validated() -> None:
    settings = load_settings({"LOG_FORMAT": "JSON", "LOG_LEVEL": "debug"}, None, mode="console")
    assert settings.log_format == "json"
    assert settings.log_level == logging.DEBUG
    with pytest.raises(SettingsError) as caught:
        load_settings({"LOG_FORMAT": "xml", "LOG_LEVEL": "loud"}, None, mode="console")
    assert len(caught.value.problems) == 2
