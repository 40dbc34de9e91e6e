"""Shared fixtures of the onboarding tests: the engine over the test database, and `bdhvs` on that database."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage.db import Database
from tests.chat import ChatDriver


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


class Shell:
    """`bdhvs` run in-process against the test database (SQLite or PostgreSQL), as an operator would."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def shell(database: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Shell:
    monkeypatch.setenv("BDHVS_DATABASE_URL", database.url)
    monkeypatch.delenv("BDHVS_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)
    return Shell(capsys)
