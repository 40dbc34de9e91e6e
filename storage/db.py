"""The database engine and units of work, for SQLite (default, WAL mode) and PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import select
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

# Keys of `Session.info`: whether the unit of work is read-only, and the writes it left for after it.
_READONLY, _LATER = "bdhvs_readonly", "bdhvs_write_later"


def is_readonly(session: Session) -> bool:
    """Whether the unit of work was opened read-only (`Database.session(readonly=True)`)."""
    return bool(session.info.get(_READONLY))


def write_soon(session: Session, work: Callable[[Session], None]) -> None:
    """Run `work` (a write the caller may do without, such as keeping a computed result) in this unit of work,
    or, when it is read-only, in a transaction of its own right after it: on SQLite a read-only transaction
    cannot write (it would have to take the write lock after reading)."""
    if is_readonly(session):
        session.info.setdefault(_LATER, []).append(work)
    else:
        work(session)


def conflict_insert(dialect: str, table: Any) -> Any:
    """INSERT INTO table, in the dialect's own form, which has ON CONFLICT (SQLite and PostgreSQL alike)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def normalize_url(url: str) -> str:
    """Pick the driver we ship for a plain PostgreSQL URL (psycopg 3)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# PostgreSQL connections kept open, and opened beyond them when all are busy: the update lanes, the sender, the
# web pages, the scheduler and the leader roles share them (bot/settings.py:MAX_ENGINE_LANES stays below).
POOL_SIZE = 10
POOL_OVERFLOW = 10


def in_memory_database(url: str) -> bool:
    """An SQLite database that lives in one process only (`sqlite://`, `sqlite:///:memory:`)."""
    parsed = make_url(normalize_url(url))
    return parsed.get_backend_name() == "sqlite" and (parsed.database or "") in ("", ":memory:")


# A PostgreSQL connection back in the pool for longer than this is pinged before it is handed out again.
PING_AFTER_IDLE = 1.0
_IDLE_SINCE = "bdhvs.idle_since"  # the connection record's info: when it was last put back (time.monotonic)


def _ping_when_stale(engine: Engine) -> None:
    """Ping a pooled PostgreSQL connection before handing it out only when it may have gone stale.

    SQLAlchemy's `pool_pre_ping` pings at every checkout: a round trip before each transaction, the same as one
    statement of an update's (the server's CPU, two context switches on a small machine). A connection put
    back less than `PING_AFTER_IDLE` ago and with nothing waiting on its socket is handed out as it is: a server
    that stops or ends the session (a restart, `pg_terminate_backend`) tells every idle connection so and closes
    it, which makes the socket readable, and then the ping runs and the pool is renewed as before. What a ping
    at every checkout found beyond that (a peer that vanished in the last second) a ping would wait for too."""

    @event.listens_for(engine, "checkin")
    def _put_back(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None:  # just opened
            return
        if time.monotonic() - idle_since < PING_AFTER_IDLE and not _has_news(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:  # as `pool_pre_ping` does: it and the older ones go
            raise exc.InvalidatePoolError() from error


def _has_news(dbapi_connection: Any) -> bool:
    """Whether an idle connection is closed or the server sent it something (it says so before it ends one)."""
    try:
        if dbapi_connection.closed:
            return True
        poll = select.poll()
        poll.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poll.poll(0))
    except (OSError, ValueError):
        return True


@contextlib.contextmanager
def driver_cursor(connection: Connection, sql: str) -> Iterator[psycopg.Cursor[Any]]:
    """A psycopg cursor on a PostgreSQL connection's driver connection, in its transaction (if any), for a hot
    statement written as SQL (`sql`, for the error) and sent without SQLAlchemy's Core around it: that costs
    about as much client CPU again as the driver's own call. A driver error is raised as SQLAlchemy's
    (`DBAPIError`), as from any statement, and a connection the error broke is dropped from the pool."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor() as cursor:
            yield cursor
    except psycopg.Error as error:
        if driver.closed or driver.broken:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(sql, None, error, psycopg.Error) from error


def _make_engine(url: str) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        postgres = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        _ping_when_stale(postgres)
        return postgres
    database = parsed.database or ""
    in_memory = in_memory_database(url)
    if not in_memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=StaticPool if in_memory else None,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level: transactions are begun by the "begin" listener below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Writers take the write lock at BEGIN, so two writers queue instead of failing on upgrade from read;
    # read-only units of work begin deferred and never wait for a writer (WAL).
    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("bdhvs_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


class Database:
    """Owns the engine; hands out one session per unit of work."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = _make_engine(self.url)
        self._readonly_engine = self.engine.execution_options(bdhvs_readonly=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises.

        `readonly=True` is for units of work that only read (on SQLite they do not take the write lock).
        """
        engine = self._readonly_engine if readonly else self.engine
        with Session(engine, expire_on_commit=False) as session:
            session.info[_READONLY] = readonly
            with session.begin():
                yield session
            later: list[Callable[[Session], None]] = session.info.get(_LATER, [])
        if later:
            self._write_later(later)

    def _write_later(self, works: list[Callable[[Session], None]]) -> None:
        """What a read-only unit of work left to write (`write_soon`), in a transaction of its own: only what the
        read may do without (a cache), so a failure is logged and the read's answer stands."""
        try:
            with self.session() as session:
                for work in works:
                    work(session)
        except SQLAlchemyError:
            log.warning("a write left by a read failed; it will be made again by a later read", exc_info=True)

    @contextlib.contextmanager
    def autocommit(self) -> Iterator[Connection | Session]:
        """One statement that is a unit of work by itself, committed as it runs: on PostgreSQL a connection in
        autocommit (no BEGIN and COMMIT round trips around it); on SQLite a session as `session()` gives."""
        if self.is_sqlite:
            with self.session() as session:
                yield session
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()
