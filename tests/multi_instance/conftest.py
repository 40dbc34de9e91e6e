"""Several instances on one PostgreSQL database: the fixtures (PostgreSQL only; skipped on SQLite, where a second
instance is refused at start, tests/storage/test_instance_lock.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from storage import outbox
from storage.db import Database
from storage.migrate import upgrade
from tests.conftest import PG_URL, reset_postgres

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
                    payload={"text": f"{chat} #{n:03d}"},
                    now=now,
                )
                assert item is not None
                ids.append(item.id)
    return ids
