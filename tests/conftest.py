"""Shared fixtures: a migrated database (SQLite always, PostgreSQL when BDHVS_TEST_DATABASE_URL is set),
a test config, a frozen clock, and a driver that talks to the real conversation engine."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.clock import FixedClock
from bot.config import Config
from storage.db import Database
from storage.migrate import upgrade

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PG_URL = os.environ.get("BDHVS_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def reset_postgres(url: str) -> None:
    """Drop everything in the test database so each test starts from an empty schema."""
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


def make_database(backend: str, tmp_path: Path) -> Database:
    if backend == "postgresql":
        assert PG_URL
        reset_postgres(PG_URL)
        return Database(PG_URL)
    return Database(f"sqlite:///{tmp_path / 'bdhvs.db'}")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    db = make_database(request.param, tmp_path)
    upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 25/11/2026, 10:00 in Vietnam."""
    return FixedClock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN))


@pytest.fixture
def config(database: Database) -> Config:
    return Config(database_url=database.url, demo_data=False)
