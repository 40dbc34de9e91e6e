"""Fixtures for the application tests: the sandbox's fake Bot API on a real aiohttp server (with a fault
injector in front of it), a database URL (SQLite file; PostgreSQL too when BDHVS_TEST_DATABASE_URL is set),
and a factory that builds and starts the real application with a tiny test router."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import BotApplication, build_application
from bot.clock import Clock
from bot.config import Config, FloodLimits, RateLimits
from bot.messages import Button
from bot.sandbox.fake_telegram import FakeTelegram
from handlers.base import Turn
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import BACKENDS, PG_URL, reset_postgres
from tests.helpers import ServedApi, ShiftedClock, free_port, served  # noqa: F401  # the tests import them from here

FAST_LIMITS = RateLimits(
    global_per_second=1000.0, private_chat_per_second=1000.0, private_chat_burst=20, group_per_minute=60000.0
)
# Scripted people type faster than anyone: the flood limit is lifted here and tested on its own
# (tests/reliability/test_flood.py; a test that wants it passes `flood=FloodLimits()`).
UNLIMITED_FLOOD = FloodLimits(per_minute=1e9, burst=1_000_000)


# -- a tiny router: what the tests need from "the bot" ---------------------------------------------


def echo_router(turn: Turn) -> None:
    """Echo text with a button; answer presses; `boom` crashes; `long N` sends N lines."""
    incoming = turn.incoming
    if incoming.payload is not None:
        turn.toast = f"ok {incoming.payload}"
        turn.say(f"pressed: {incoming.payload}")
        return
    text = turn.text
    if text == "boom":
        raise RuntimeError("the test router crashed on purpose")
    if text.startswith("long "):
        lines = [f"line {i:04d} " + "x" * 40 for i in range(int(text.split()[1]))]
        turn.say("\n".join(lines), buttons=[[Button("More", "more")]])
        return
    if text.startswith("twice "):
        turn.say(f"first: {text}")
        turn.say(f"second: {text}")
        return
    if incoming.photo_file_id:
        turn.say(f"photo: {incoming.photo_file_id} {text}".strip())
        return
    turn.say(f"echo: {text}", buttons=[[Button("Again", "again")]])


# -- the fake Bot API behind a fault injector (tests/helpers.py) ----------------------------------

FakeApi = ServedApi[FakeTelegram]


@pytest.fixture
def fake_options() -> dict[str, Any]:
    """FakeTelegram keyword arguments; a test overrides it with `@pytest.mark.parametrize("fake_options", ...)`."""
    return {}


@pytest.fixture
async def fake_api(fake_options: dict[str, Any]) -> AsyncIterator[FakeApi]:
    """The fake Bot API served on 127.0.0.1 behind a fault injector."""
    async with served(FakeTelegram(**fake_options), client_max_size=50 * 1024**2) as api:
        yield api


# -- databases -------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database for the app to migrate: a SQLite file, or the PostgreSQL test database emptied."""
    if request.param == "postgresql":
        assert PG_URL
        reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite:///{tmp_path / 'bot.db'}"


# -- the application -------------------------------------------------------------------------------


AppFactory = Callable[..., Awaitable[BotApplication]]


def app_config(database_url: str, **platform: Any) -> Config:
    """A test deployment's settings: this database, a platform's fake (`telegram_token=`, `..._api_base_url=`,
    or Zalo's), the web server on a free port, no demo data, fast rate limits and no flood limit."""
    return Config(
        database_url=database_url,
        web_port=0,
        demo_data=False,
        rate_limits=FAST_LIMITS,
        flood=UNLIMITED_FLOOD,
        **platform,
    )


@contextlib.asynccontextmanager
async def started_apps() -> AsyncIterator[Callable[[BotApplication], Awaitable[BotApplication]]]:
    """What a factory fixture starts its applications with (`await start(app)`); all are stopped at the end,
    the last started first."""
    apps: list[BotApplication] = []

    async def start(app: BotApplication) -> BotApplication:
        apps.append(app)
        await app.start()
        return app

    try:
        yield start
    finally:
        for app in reversed(apps):
            await app.stop()


@pytest.fixture
async def make_app(db_url: str, fake_api: FakeApi) -> AsyncIterator[AppFactory]:
    """Build and start the real application against the fake Bot API; stopped at the end of the test."""
    apps: list[BotApplication] = []

    async def factory(
        *,
        clock: Clock | None = None,
        router: Any = echo_router,
        start: bool = True,
        sender_options: dict[str, Any] | None = None,
        drain_on_stop: float = 2.0,
        **overrides: Any,
    ) -> BotApplication:
        platform = {"telegram_token": fake_api.fake.token, "telegram_api_base_url": fake_api.base_url}
        config = replace(app_config(db_url, **platform), **overrides)
        options = {"base_backoff": 0.02, **(sender_options or {})}
        app = build_application(config, clock, router, sender_options=options, drain_on_stop=drain_on_stop)
        apps.append(app)
        if start:
            await app.start()
        return app

    yield factory
    for app in reversed(apps):
        await app.stop()


# -- helpers ---------------------------------------------------------------------------------------


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll a (database) condition without sleeping long."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(predicate)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


def enqueue_to(
    app: BotApplication, channel: str, chat_id: str, kind: str, payload: dict[str, Any], key: str | None = None
) -> int:
    """Write one item to the app's outbox as its own commit and wake the sender; the item's id."""
    with app.database.session() as session:
        item = outbox.enqueue(
            session,
            channel=channel,
            chat_id=chat_id,
            kind=kind,
            payload=payload,
            now=app.clock.now(),
            idempotency_key=key,
        )
        assert item is not None
        item_id = item.id
    app.sender.notify()
    return item_id


def status_of(app: BotApplication, item_id: int) -> OutboxMessage:
    """An outbox row as it is now."""
    with app.database.session() as session:
        item = session.get(OutboxMessage, item_id)
        assert item is not None
        return item


def outbox_rows(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))  # type: ignore[arg-type]
