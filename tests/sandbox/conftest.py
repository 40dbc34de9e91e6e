"""Fixtures for the sandbox tests: a FakeTelegram served on 127.0.0.1 and a PTB Bot pointed at it; the whole
sandbox (the application with its demo people, its page and its fake bots) on SQLite and on PostgreSQL when set."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import telegram

from bot.app import BotApplication, build_application
from bot.clock import FixedClock
from bot.config import Config
from bot.sandbox import FakeTelegram
from tests.app.conftest import db_url  # noqa: F401  # the fixture of tests/app: SQLite, and PostgreSQL when set

FROZEN_AT = dt.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))  # the sandbox's Wednesday


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sandbox(db_url: str) -> AsyncIterator[tuple[BotApplication, aiohttp.ClientSession]]:  # noqa: F811
    """The sandbox as `make run` starts it with no token, its clock frozen on a Wednesday; and a client of its page."""
    config = Config(web_port=0, database_url=db_url, demo_data=True)
    app = build_application(config, clock=FixedClock(FROZEN_AT))
    await app.start()
    try:
        async with aiohttp.ClientSession(app.web_url) as client:
            yield app, client
    finally:
        await app.stop()
