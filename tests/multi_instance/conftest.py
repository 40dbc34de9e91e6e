"""Several instances on one PostgreSQL database: the fixtures (PostgreSQL only; skipped on SQLite, where a second
instance is refused at start, tests/storage/test_instance_lock.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.app import BotApplication, build_application
from bot.delivery.shared import Leases
from bot.messages import Reply
from bot.sandbox.fake_telegram import FakeTelegram
from storage import outbox
from storage.db import Database
from storage.migrate import upgrade
from tests.app.conftest import app_config, echo_router, started_apps
from tests.conftest import PG_URL, reset_postgres
from tests.helpers import ServedApi, served

pytestmark = pytest.mark.skipif(PG_URL is None, reason="needs BDHVS_TEST_DATABASE_URL (PostgreSQL)")

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def pg_url() -> str:
    """The PostgreSQL test database, emptied and migrated."""
    if PG_URL is None:
        pytest.skip("needs BDHVS_TEST_DATABASE_URL (PostgreSQL)")
    reset_postgres(PG_URL)
    database = Database(PG_URL)
    upgrade(database)
    database.dispose()
    return PG_URL


@pytest.fixture
def pg(pg_url: str) -> Iterator[Database]:
    """A migrated PostgreSQL database."""
    database = Database(pg_url)
    yield database
    database.dispose()


def enqueue_chats(database: Database, chats: list[str], per_chat: int, *, now: dt.datetime = NOW) -> list[int]:
    """`per_chat` numbered messages to each chat, interleaved (chat after chat, like a fan-out); their ids."""
    ids = []
    with database.session() as session:
        for n in range(per_chat):
            for chat in chats:
                item = outbox.enqueue(
                    session,
                    channel="telegram",
                    chat_id=chat,
                    kind=outbox.KIND_MESSAGE,
                    payload=Reply(f"{chat} #{n:03d}").to_payload(),
                    now=now,
                )
                assert item is not None
                ids.append(item.id)
    return ids


# -- instances of the whole application against one fake Bot API -------------------------------------------


@pytest.fixture
async def fake_api() -> AsyncIterator[ServedApi[FakeTelegram]]:
    """The fake Bot API, served on 127.0.0.1, which every instance talks to."""
    async with served(FakeTelegram(), client_max_size=50 * 1024**2) as api:
        yield api


InstanceFactory = Callable[..., Awaitable[BotApplication]]


@pytest.fixture
async def make_instance(pg_url: str, fake_api: ServedApi[FakeTelegram]) -> AsyncIterator[InstanceFactory]:
    """Build and start one more instance of the real application on the shared database; all are stopped at the
    end. Leader rounds run by hand (`app.leadership.run_round()`) unless `leader_interval` is given."""
    numbers = itertools.count(1)
    async with started_apps() as start:

        async def factory(
            *, router: Any = echo_router, leader_interval: float = 3600.0, lease: float = 15.0, **overrides: Any
        ) -> BotApplication:
            number = next(numbers)
            instance_id = f"test-instance-{number}:{number}:x"
            platform = {"telegram_token": fake_api.fake.token, "telegram_api_base_url": fake_api.base_url}
            app = build_application(
                replace(app_config(pg_url, **platform), **overrides),
                None,
                router,
                sender_options={"base_backoff": 0.02, "poll_interval": 0.2, "leases": Leases(instance_id, lease)},
                leader_options={"instance_id": instance_id, "interval": leader_interval},
                drain_on_stop=1.0,
            )
            return await start(app)

        yield factory
