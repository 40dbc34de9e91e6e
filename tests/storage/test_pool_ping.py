"""PostgreSQL's pooled connections: pinged before reuse only when they may have gone stale (storage/db.py), and a
connection the server ended while it sat in the pool is never handed out."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage import db as storage_db
from storage.db import Database
from tests.conftest import PG_URL, migrated_database

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL's pool only (BDHVS_TEST_DATABASE_URL)")


def _postgres(tmp_path: Path) -> Database:
    return migrated_database("postgresql", tmp_path)


def _backend_pid(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_ended_in_the_pool_is_replaced_unseen(tmp_path: Path) -> None:
    database = _postgres(tmp_path)
    ended = _backend_pid(database)
    other = create_engine(database.url)
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": ended})  # until it ended
        connection.commit()
    other.dispose()
    assert _backend_pid(database) != ended  # no error: the ended one was found at checkout, before any statement
    database.dispose()


def test_a_connection_back_a_moment_ago_is_not_pinged_and_one_idle_longer_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _postgres(tmp_path)
    pid = _backend_pid(database)
    pings = 0
    ping = database.engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        nonlocal pings
        pings += 1
        return ping(dbapi_connection)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counted)
    assert _backend_pid(database) == pid and pings == 0
    monkeypatch.setattr(storage_db, "PING_AFTER_IDLE", 0.0)
    assert _backend_pid(database) == pid and pings == 1
    database.dispose()
