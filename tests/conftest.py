"""Shared fixtures: a migrated database (SQLite always, PostgreSQL when BDHVS_TEST_DATABASE_URL is set),
a test config, a frozen clock, and a driver that talks to the real conversation engine."""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.clock import FixedClock
from bot.config import Config
from storage.db import Database, normalize_url
from storage.migrate import upgrade

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@functools.cache
def _server(url: str) -> Engine:
    """An engine on `url` in autocommit, kept for the test process: databases are created and dropped from it."""
    return create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")


def worker_database(url: str | None) -> str | None:
    """The PostgreSQL database this test process uses: the given one, or, when the suite runs in several workers
    (pytest-xdist), the worker's own copy beside it (``test_gw0``, ...), created when missing. Every test drops
    and re-creates the schema of its database, which two workers could not share."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    with _server(url).connect() as connection:
        found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
        if found is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = worker_database(os.environ.get("BDHVS_TEST_DATABASE_URL"))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def reset_postgres(url: str) -> None:
    """Drop everything in the test database so each test starts from an empty schema."""
    database = Database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


def make_database(backend: str, tmp_path: Path) -> Database:
    """An empty database (no schema): for tests that run the migrations themselves."""
    if backend == "postgresql":
        assert PG_URL
        reset_postgres(PG_URL)
        return Database(PG_URL)
    return Database(f"sqlite:///{tmp_path / 'bdhvs.db'}")


# Running the migrations and loading the communes for every test took most of the suite's time (about 0.3 s
# on SQLite, 0.8 s on PostgreSQL, for some three thousand tests). Each test process migrates one template per
# database once, the first time a test asks, from the migrations as they are now, and every test gets a copy:
# a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL (about 0.05 s).
_TEMPLATES: dict[str, str] = {}


def _sqlite_template() -> str:
    """This process's migrated SQLite file, its write-ahead log folded in so that the file alone is whole."""
    if "sqlite" not in _TEMPLATES:
        folder = tempfile.mkdtemp(prefix="bdhvs-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = Path(folder) / "template.db"
        template = Database(f"sqlite:///{path}")
        upgrade(template)
        raw = template.engine.raw_connection()  # outside a transaction: the driver is in autocommit
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        template.dispose()
        _TEMPLATES["sqlite"] = str(path)
    return _TEMPLATES["sqlite"]


def _postgres_from_template(url: str) -> None:
    """Make the database of `url` anew as a copy of this process's migrated template (`<name>_template`, built
    on first use). Connections still open to it (a bot a test left behind) are ended first."""
    base = make_url(url)
    name, template = base.database, f"{base.database}_template"
    # Databases are made and dropped from another one: the configured database when each test process has its
    # own copy beside it (it is never dropped), else the server's `postgres` database.
    given = os.environ.get("BDHVS_TEST_DATABASE_URL")
    if given and make_url(given).database != name:
        admin_url = given
    else:
        admin_url = base.set(database="postgres").render_as_string(hide_password=False)
    with _server(admin_url).connect() as connection:
        if "postgresql" not in _TEMPLATES:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{template}"'))
            built = Database(base.set(database=template).render_as_string(hide_password=False))
            upgrade(built)
            built.dispose()
            _TEMPLATES["postgresql"] = template
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))


def migrated_database(backend: str, tmp_path: Path) -> Database:
    """A database as `upgrade` leaves it (the schema at its head, the provinces and communes), copied from this
    process's template."""
    if backend == "postgresql":
        assert PG_URL
        _postgres_from_template(PG_URL)
        return Database(PG_URL)
    path = tmp_path / "bdhvs.db"
    shutil.copyfile(_sqlite_template(), path)
    return Database(f"sqlite:///{path}")


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    db = migrated_database(request.param, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 25/11/2026, 10:00 in Vietnam."""
    return FixedClock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN))


@pytest.fixture
def config(database: Database) -> Config:
    return Config(database_url=database.url, demo_data=False)


# The reliability suite prints its own figures (cases tried, kills survived, lost, doubled); pytest keeps a
# passing test's output to itself, so the figures are gathered here and shown at the end of every run.
RELIABILITY_FIGURES: list[str] = []


# Folders a test wrote artefacts to (its `user_properties` ("artifacts", path)): named at the end of the run.
ARTIFACT_FOLDERS: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Keep what a reliability test printed, once it has run, and where tests wrote artefacts."""
    ARTIFACT_FOLDERS.update(str(value) for key, value in report.user_properties if key == "artifacts")
    if report.when == "call" and "tests/reliability/" in report.nodeid:
        lines = [line for line in report.capstdout.splitlines() if line.strip()]
        if lines:
            RELIABILITY_FIGURES.append(f"{report.nodeid.split('::', 1)[-1]}")
            RELIABILITY_FIGURES.extend(f"    {line}" for line in lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the reliability suite's figures and the artefacts' folders after the test results."""
    for folder in sorted(ARTIFACT_FOLDERS):
        terminalreporter.write_line(f"test artefacts (screenshots): {folder}")
    if RELIABILITY_FIGURES:
        terminalreporter.section("reliability figures")
        for line in RELIABILITY_FIGURES:
            terminalreporter.write_line(line)
