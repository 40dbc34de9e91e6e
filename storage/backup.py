"""Backups of the database and their restore.

SQLite: the online backup API (`sqlite3.Connection.backup`), which copies a consistent snapshot while the bot
runs and writes (WAL: writers are not blocked), into a temporary file renamed over the target at the end.
PostgreSQL: `pg_dump --format=custom` of a snapshot exported by our own transaction, so the rows counted for
the summary are the rows in the file; restored with `pg_restore --clean --if-exists --no-owner` in one
transaction. The PostgreSQL client tools are not a dependency of the package: their absence, or a client
older than the server, is a `BackupError` with one line saying what to install.

A restore replaces the whole database: it refuses a database that holds data unless forced, and brings the
restored schema to the newest migration (a backup taken by an older release is migrated).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from storage.db import Database, in_memory_database
from storage.migrate import upgrade

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables that hold no one's work: the schema's version, the official list of units, what the bot learnt about
# itself, the reminder rules the migrations seed. A database with rows only there is empty for a restore.
REFERENCE_TABLES = frozenset({"alembic_version", "province", "commune", "botsetting", "reminderrule"})
# The tables an operator recognises, named in the refusal and in the summary's first line.
HEADLINE = {"member": "members", "trainingsession": "sessions", "helprecord": "help records", "village": "villages"}
# Where a PostgreSQL restore keeps the tables it replaces until the backup is in (dropped after, put back on failure).
HOLD_SCHEMA = "bdhvs_before_restore"
PG_TIMEOUT = 3600.0  # seconds pg_dump or pg_restore may take before it is stopped


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup or a restore did: the file, its size, the database kind and its rows per table."""

    action: str  # backup | restore
    file: str
    size: int  # bytes
    database: str  # sqlite | postgresql
    tables: dict[str, int] = field(default_factory=dict)
    migrated_from: str | None = None  # restore: the backup's schema revision when it was older than the code's

    def headline(self) -> dict[str, int]:
        """The rows of the tables an operator recognises (members, sessions, help records, villages)."""
        return {label: self.tables.get(table, 0) for table, label in HEADLINE.items()}

    def as_json(self) -> dict[str, object]:
        """The report as a JSON object (`--json`)."""
        return {
            "action": self.action,
            "file": self.file,
            "bytes": self.size,
            "database": self.database,
            "tables": dict(sorted(self.tables.items())),
            "rows": sum(self.tables.values()),
            **({"migrated_from": self.migrated_from} if self.migrated_from else {}),
        }


# -- what a database holds ------------------------------------------------------------------------


def row_counts(database: Database) -> dict[str, int]:
    """Rows per table of the database (no tables: an empty dict)."""
    with database.engine.connect() as connection:
        return _counts(connection)


def _counts(connection: Connection) -> dict[str, int]:
    names = inspect(connection).get_table_names()
    return {name: int(connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()) for name in names}


def held_data(counts: dict[str, int]) -> dict[str, int]:
    """The tables with someone's work in them (what a restore would overwrite), named as an operator would."""
    held = {HEADLINE.get(name, name): rows for name, rows in counts.items() if rows and name not in REFERENCE_TABLES}
    first = [label for label in HEADLINE.values() if label in held]
    return {label: held[label] for label in first + sorted(set(held) - set(first))}


def describe(rows: dict[str, int], limit: int = 6) -> str:
    """`members 12, sessions 40, ...`: the first few tables with rows, and how many more."""
    parts = [f"{name} {count}" for name, count in list(rows.items())[:limit]]
    if len(rows) > limit:
        parts.append(f"+{len(rows) - limit} more tables")
    return ", ".join(parts)


# -- backup ---------------------------------------------------------------------------------------


def backup(database: Database, target: Path) -> BackupReport:
    """Write a backup of the database to `target` (replaced only once the backup is complete)."""
    target = Path(target)
    if database.is_sqlite:
        return _backup_sqlite(database, target)
    return _backup_postgres(database, target)


def _sqlite_file(database: Database) -> Path:
    if in_memory_database(database.url):
        raise BackupError("an in-memory SQLite database lives only in its own process and cannot be backed up")
    return Path(make_url(database.url).database or "")


@contextlib.contextmanager
def _staged(target: Path, suffix: str) -> Iterator[Path]:
    """A temporary file beside `target`, renamed over it when the block ends without error, removed otherwise."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    staged = Path(name)
    try:
        yield staged
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)


def _backup_sqlite(database: Database, target: Path) -> BackupReport:
    path = _sqlite_file(database)
    if not path.is_file():
        raise BackupError(f"no database file at {path}")
    if _same_file(path, target):
        raise BackupError(f"{target} is the database itself: write the backup to another file")
    with _staged(target, ".partial") as staged:
        source = sqlite3.connect(path, timeout=30)
        copy = sqlite3.connect(staged)
        try:
            # One step: the whole copy is read in one read transaction, a snapshot that writers do not disturb.
            source.backup(copy)
            # The copy stands alone: one file, no write-ahead log beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            tables = _sqlite_counts(copy)
        finally:
            copy.close()
            source.close()
    return BackupReport("backup", str(target), target.stat().st_size, "sqlite", tables)


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def _pg_tool(name: str) -> str:
    """The path of a PostgreSQL client tool; `BackupError` when it is not installed."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            f"(e.g. the postgresql-client package) of the server's version or newer"
        )
    return found


def _check_version(tool: str, server_major: int) -> None:
    """`BackupError` when a client tool is older than the server (pg_dump refuses a newer server)."""
    major = tool_major(tool)
    if major is not None and major < server_major:
        raise BackupError(
            f"{Path(tool).name} {major} cannot dump a PostgreSQL {server_major} server: "
            f"install the PostgreSQL {server_major} client tools (or newer)"
        )


def tool_major(path: str) -> int | None:
    """The major version a PostgreSQL client tool reports (`pg_dump (PostgreSQL) 15.20` -> 15)."""
    try:
        answer = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", answer.stdout)
    return int(found.group(1)) if found else None


def _server_major(connection: Connection) -> int:
    return int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _libpq(database: Database) -> tuple[str, dict[str, str]]:
    """The database as the client tools take it: a libpq URL without the password, and an environment that
    carries the password (never on a command line, where other users of the machine could read it)."""
    url = make_url(database.url)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_tool(command: list[str], env: dict[str, str]) -> None:
    """Run a client tool; its first error line becomes a `BackupError`."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=PG_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(command[0]).name} did not finish in {PG_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[0] if lines else f"exit code {done.returncode}"
        raise BackupError(f"{Path(command[0]).name} failed: {reason}")


def _backup_postgres(database: Database, target: Path) -> BackupReport:
    dbname, env = _libpq(database)
    pg_dump = _pg_tool("pg_dump")
    with database.engine.connect() as connection:
        _check_version(pg_dump, _server_major(connection))
        connection.commit()
        # A snapshot of our own: the rows counted here are the rows pg_dump writes, however busy the bot is.
        connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables = _counts(connection)
            with _staged(target, ".partial") as staged:
                _run_tool(
                    [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={staged}", f"--dbname={dbname}"],
                    env,
                )
    return BackupReport("backup", str(target), target.stat().st_size, "postgresql", tables)


# -- restore --------------------------------------------------------------------------------------


def backup_kind(source: Path) -> str:
    """Which database a backup file is of ("sqlite" or "postgresql"); `BackupError` when it is neither."""
    try:
        with open(source, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read {source}: {error.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{source} is not a backup made by `bdhvs backup` (neither SQLite nor pg_dump custom format)")


def restore(database: Database, source: Path, force: bool = False) -> BackupReport:
    """Replace the database with a backup, then migrate it to the newest schema.

    Refuses (`BackupError`) a database that already holds someone's work unless `force`, and a backup of
    the other kind of database."""
    source = Path(source)
    kind = backup_kind(source)
    mine = "sqlite" if database.is_sqlite else "postgresql"
    if kind != mine:
        raise BackupError(f"{source} is a {kind} backup; the configured database is {mine}")
    pg_restore = _pg_tool("pg_restore") if kind == "postgresql" else ""
    if not force:
        held = held_data(row_counts(database))
        if held:
            raise BackupError(
                f"the database already holds data ({describe(held)}); "
                "add --force to replace it with the backup (stop the bot first)"
            )
    if kind == "sqlite":
        migrated_from = _restore_sqlite(database, source)
    else:
        migrated_from = _restore_postgres(database, source, pg_restore)
    upgrade(database)
    after = _revision(database)
    return BackupReport(
        "restore",
        str(source),
        source.stat().st_size,
        kind,
        row_counts(database),
        migrated_from if migrated_from != after else None,
    )


def _revision(database: Database) -> str | None:
    """The schema revision a database is at (None when it has none)."""
    with database.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _same_file(path: Path, other: Path) -> bool:
    """Whether two paths name one file (or would: the target need not exist yet)."""
    return path.resolve() == other.resolve()


def _restore_sqlite(database: Database, source: Path) -> str | None:
    path = _sqlite_file(database)
    if _same_file(path, source):
        raise BackupError(f"{source} is the configured database itself, not a backup of it")
    backup_copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            check = backup_copy.execute("PRAGMA quick_check").fetchone()[0]
            names = {row[0] for row in backup_copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} cannot be read as a database: {error}") from None
        if check != "ok":
            raise BackupError(f"{source} is damaged: {check}")
        if "alembic_version" not in names:
            raise BackupError(f"{source} is an SQLite file but not a bdhvs database")
        revision = backup_copy.execute("SELECT version_num FROM alembic_version").fetchone()
        database.dispose()  # our own pooled connections must not hold the file while it is replaced
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path, timeout=30)
        try:
            backup_copy.backup(target)
        finally:
            target.close()
    finally:
        backup_copy.close()
    return revision[0] if revision else None


# The functions of our own a schema holds (the triggers' of migration 0018), each by its full signature.
_OUR_FUNCTIONS = (
    "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname = :schema AND p.proname LIKE 'bdhvs\\_%'"
)


def _restore_postgres(database: Database, source: Path, pg_restore: str) -> str | None:
    """Replace every table with the backup's, keeping the old ones until the backup is in.

    The whole database is replaced: tables the backup does not have (a newer release's) would stand in the way
    of the migrations that follow. So the current tables are first moved aside into `HOLD_SCHEMA` (one
    transaction), the backup is restored in one transaction, and only then are the old tables dropped; a restore
    that fails puts them back, so a bad or truncated backup file never leaves the database empty."""
    dbname, env = _libpq(database)
    with database.engine.begin() as connection:
        if HOLD_SCHEMA in inspect(connection).get_schema_names():
            raise BackupError(
                f"schema {HOLD_SCHEMA} exists: an earlier restore was interrupted and it holds the tables from "
                "before it; look at them and drop that schema before restoring again"
            )
        connection.execute(text(f'CREATE SCHEMA "{HOLD_SCHEMA}"'))
        for name in inspect(connection).get_table_names():
            connection.execute(text(f'ALTER TABLE "{name}" SET SCHEMA "{HOLD_SCHEMA}"'))
        # The triggers' functions go with the tables whose triggers use them (the restore replaces them too).
        for function in connection.execute(text(_OUR_FUNCTIONS), {"schema": "public"}).scalars():
            connection.execute(text(f'ALTER FUNCTION {function} SET SCHEMA "{HOLD_SCHEMA}"'))
    database.dispose()
    try:
        _run_tool(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={dbname}",
                str(source),
            ],
            env,
        )
    except BackupError:
        _put_back(database)
        raise
    with database.engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{HOLD_SCHEMA}" CASCADE'))
    return _revision(database)


def _put_back(database: Database) -> None:
    """After a failed restore (rolled back whole by `--single-transaction`): the tables moved aside go back."""
    with database.engine.begin() as connection:
        held = inspect(connection).get_table_names(schema=HOLD_SCHEMA)
        for name in held:
            connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
            connection.execute(text(f'ALTER TABLE "{HOLD_SCHEMA}"."{name}" SET SCHEMA public'))
        for function in connection.execute(text(_OUR_FUNCTIONS), {"schema": HOLD_SCHEMA}).scalars():
            connection.execute(text(f"ALTER FUNCTION {function} SET SCHEMA public"))
        connection.execute(text(f'DROP SCHEMA "{HOLD_SCHEMA}"'))
