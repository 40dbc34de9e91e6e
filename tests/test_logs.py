"""BDHVS_LOG_FORMAT=json: one JSON object a line (time, level, logger, message, exception); text by default."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.config import ConfigError, load_config
from bot.logs import TEXT_FORMAT, JsonFormatter, root_log_format, setup_logging

PROGRAM = """
import logging
from bot.logs import setup_logging
setup_logging({fmt!r})
log = logging.getLogger("bot.engine")
log.info("handled %s update %s", "telegram", 42)
try:
    raise RuntimeError("the database is down")
except RuntimeError:
    log.exception("handler failed on telegram update 43")
logging.getLogger("bot.sender").warning("chữ Việt: đã gửi")
"""


def run(fmt: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(fmt=fmt)], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stderr.splitlines()


def test_json_lines_carry_time_level_logger_message_and_exception() -> None:
    lines = run("json")
    assert len(lines) == 3  # a traceback stays inside its line
    entries = [json.loads(line) for line in lines]
    assert [(e["level"], e["logger"], e["message"]) for e in entries] == [
        ("INFO", "bot.engine", "handled telegram update 42"),
        ("ERROR", "bot.engine", "handler failed on telegram update 43"),
        ("WARNING", "bot.sender", "chữ Việt: đã gửi"),
    ]
    assert "exception" not in entries[0] and "exception" not in entries[2]
    assert (
        entries[1]["exception"].startswith("Traceback")
        and "RuntimeError: the database is down" in (entries[1]["exception"])
    )
    when = dt.datetime.fromisoformat(entries[0]["time"])
    assert when.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 60
    assert set(entries[0]) == {"time", "level", "logger", "message"}


def test_text_is_the_default() -> None:
    lines = run("text")
    assert lines[0].endswith("INFO bot.engine: handled telegram update 42")
    assert any(line.startswith("Traceback") for line in lines)


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_engine_process_is_told_the_format(restored_logging: None) -> None:
    setup_logging("json")
    assert root_log_format() == "json" and isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)
    setup_logging("text")
    assert root_log_format() == TEXT_FORMAT


def test_the_format_is_configured_and_checked() -> None:
    assert load_config(env={}).log_format == "text"
    assert load_config(env={"BDHVS_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ConfigError, match="BDHVS_LOG_FORMAT"):
        load_config(env={"BDHVS_LOG_FORMAT": "xml"})
