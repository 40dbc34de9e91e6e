"""Several instances starting at once on one empty database: the migrations, the reference data and the
start-up writes (the bot's username) must not make any of them fail. PostgreSQL only: on SQLite one instance
runs at a time."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from storage.db import Database
from storage.migrate import upgrade
from storage.models import BotSetting, Commune
from storage.settings import get_setting, set_setting
from tests.conftest import PG_URL, reset_postgres

pytestmark = pytest.mark.skipif(PG_URL is None, reason="needs BDHVS_TEST_DATABASE_URL (PostgreSQL)")
INSTANCES = 3


def test_instances_migrating_an_empty_database_at_once_all_start() -> None:
    """Three `bdhvs db upgrade` started together on an empty PostgreSQL database: all succeed, the schema and
    the 3,321 communes are there once."""
    assert PG_URL
    reset_postgres(PG_URL)
    env = {**os.environ, "BDHVS_DATABASE_URL": PG_URL}
    env.pop("BDHVS_CONFIG", None)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "db", "upgrade"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(INSTANCES)
    ]
    results = [(run.wait(timeout=90), run.stderr.read().decode() if run.stderr else "") for run in runs]
    assert [code for code, _ in results] == [0] * INSTANCES, [err[-600:] for _, err in results]
    database = Database(PG_URL)
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(Commune)).one() == 3321
    database.dispose()


def test_instances_writing_the_same_setting_at_once_all_succeed() -> None:
    """Each instance writes the bot's username at start-up; racing on an empty table none fails, one value stays."""
    assert PG_URL
    reset_postgres(PG_URL)
    database = Database(PG_URL)
    upgrade(database)
    now = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)
    start = threading.Barrier(INSTANCES)
    errors: list[BaseException] = []

    def write(name: str) -> None:
        try:
            with database.session() as session:
                session.get(BotSetting, "telegram.username")  # each looks first, finds nothing, then writes
                start.wait(timeout=10)
                set_setting(session, "telegram.username", name, now)
        except BaseException as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=write, args=(f"bdhvs_bot_{n}",)) for n in range(INSTANCES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with database.session() as session:
        assert get_setting(session, "telegram.username") in {f"bdhvs_bot_{n}" for n in range(INSTANCES)}
        assert len(session.exec(select(BotSetting)).all()) == 1
    database.dispose()
