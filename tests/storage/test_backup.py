"""`bdhvs backup` and `bdhvs restore`: a backup taken while people log is a consistent snapshot, restored into
a fresh database its `bdhvs export` equals the export at backup time; a database with data is not overwritten
without --force; an older backup is migrated; a missing or old pg_dump is one clear line."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage.backup import HOLD_SCHEMA, held_data, row_counts
from storage.db import Database, normalize_url
from storage.migrate import alembic_config, upgrade
from tests.chat import ChatDriver
from tests.conftest import PG_URL, reset_postgres
from tests.handlers.test_flows import MEMBER, SON_KIM_1, setup_commune
from tests.helpers import free_port


def restore_url(source: Database, tmp_path: Path) -> str:
    """An empty database of the same kind as `source` to restore into (PostgreSQL: `<test database>_restore`)."""
    if source.is_sqlite:
        return f"sqlite:///{tmp_path / 'restored' / 'bdhvs.db'}"
    assert PG_URL
    base = make_url(PG_URL)
    name = f"{base.database}_restore"
    server = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        if connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    reset_postgres(url)
    return url


def bdhvs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, *argv: str
) -> tuple[int, str, str]:
    """Run the `bdhvs` command against the database at `url`."""
    monkeypatch.setenv("BDHVS_DATABASE_URL", url)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def export(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str) -> dict[str, Any]:
    code, out, err = bdhvs(monkeypatch, capsys, url, "export", "--commune", str(SON_KIM_1))
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    if not database.is_sqlite and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore (the PostgreSQL client tools) are not on PATH: no PostgreSQL backup to try")
    chat = ChatDriver(ConversationEngine(database, config, clock, route), database)
    setup_commune(chat, database, clock)
    return chat


def log_sessions(chat: ChatDriver, days: range, stop: threading.Event | None = None, saved: Any = None) -> None:
    """The member logs one session a day in one line and confirms it (`saved` released after each)."""
    for day in days:
        if stop is not None and stop.is_set():
            break
        replies = chat.say(MEMBER, f"ngày {day}/10/2026 học VNeID {10 + day} người, giúp {day} người kích hoạt mức 2")
        replies = chat.press(MEMBER, replies[-1], "Đúng")
        assert "Đã lưu" in replies[-1].text, replies[-1].text
        if saved is not None:
            saved.release()


def prefix_of(snapshot: dict[str, Any], later: dict[str, Any]) -> bool:
    """Whether `snapshot` is `later` as it stood at some earlier commit (records only added since, never changed)."""
    for key in ("sessions", "help_records"):
        ids = {row["id"] for row in snapshot[key]}
        if snapshot[key] != [row for row in later[key] if row["id"] in ids]:
            return False
        if ids and any(row["id"] < max(ids) and row["id"] not in ids for row in later[key]):
            return False
    return True


def test_backup_while_people_log_restores_to_the_export_at_backup_time(
    chat: ChatDriver,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log_sessions(chat, range(1, 4))
    before = export(monkeypatch, capsys, database.url)
    assert len(before["sessions"]) == 3

    # The member keeps logging in another thread while the backup is taken.
    failures: list[BaseException] = []
    stop, saved = threading.Event(), threading.Semaphore(0)

    def keep_logging() -> None:
        try:
            log_sessions(chat, range(4, 25), stop, saved)
        except BaseException as error:  # reported by the test below
            failures.append(error)
        finally:
            saved.release()

    logger = threading.Thread(target=keep_logging)
    logger.start()
    try:
        for _ in range(2):  # the backup starts once the member is well under way
            assert saved.acquire(timeout=30)
        backup_file = tmp_path / "during.backup"
        code, out, err = bdhvs(monkeypatch, capsys, database.url, "backup", "-o", str(backup_file), "--json")
        assert code == 0, err
        after = export(monkeypatch, capsys, database.url)
    finally:
        stop.set()
        logger.join(60)
    assert not failures, failures
    report = json.loads(out)
    assert report["action"] == "backup" and report["bytes"] == backup_file.stat().st_size > 0
    assert report["database"] == ("sqlite" if database.is_sqlite else "postgresql")

    target = restore_url(database, tmp_path)
    code, out, err = bdhvs(monkeypatch, capsys, target, "restore", str(backup_file), "--json")
    assert code == 0, err
    restored_report = json.loads(out)
    restored = export(monkeypatch, capsys, target)
    # The backup is the database at one commit between the two exports around it: nothing torn, nothing lost
    # of what was there before it began, and the rows it counted are the rows restored.
    assert prefix_of(before, restored) and prefix_of(restored, after)
    assert len(before["sessions"]) < len(restored["sessions"])
    assert report["tables"]["trainingsession"] == len(restored["sessions"])
    assert restored_report["tables"]["trainingsession"] == len(restored["sessions"])

    # Quiet again: the export at backup time is exactly the restored one's.
    log_sessions(chat, range(25, 27))
    at_backup = export(monkeypatch, capsys, database.url)
    code, _, err = bdhvs(monkeypatch, capsys, database.url, "backup", "-o", str(backup_file))
    assert code == 0, err
    code, out, err = bdhvs(monkeypatch, capsys, target, "restore", str(backup_file), "--force")
    assert code == 0, err
    assert "Restored / đã khôi phục" in out and "members 2" in out
    assert export(monkeypatch, capsys, target) == at_backup
    assert at_backup["sessions"] and at_backup["help_records"]


def test_restore_refuses_a_database_with_data_without_force(
    chat: ChatDriver,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log_sessions(chat, range(1, 3))
    backup_file = tmp_path / "one.backup"
    code, out, err = bdhvs(monkeypatch, capsys, database.url, "backup", "-o", str(backup_file))
    assert code == 0, err
    assert out.startswith(f"Backup written / đã sao lưu: {backup_file}") and "sessions 2" in out

    log_sessions(chat, range(3, 5))
    code, out, err = bdhvs(monkeypatch, capsys, database.url, "restore", str(backup_file))
    assert code == 1 and out == ""
    assert err.startswith("Refused / không khôi phục: the database already holds data (members 2, sessions 4")
    assert "--force" in err and len(err.strip().splitlines()) == 1
    assert len(export(monkeypatch, capsys, database.url)["sessions"]) == 4  # untouched

    database.dispose()
    code, out, err = bdhvs(monkeypatch, capsys, database.url, "restore", str(backup_file), "--force")
    assert code == 0, err
    assert len(export(monkeypatch, capsys, database.url)["sessions"]) == 2


def test_a_failed_forced_restore_keeps_the_data(
    chat: ChatDriver,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A backup cut short (a copy that stopped half-way) fails to restore, and the database keeps what it held."""
    log_sessions(chat, range(1, 4))
    backup_file = tmp_path / "whole.backup"
    code, _, err = bdhvs(monkeypatch, capsys, database.url, "backup", "-o", str(backup_file))
    assert code == 0, err
    cut = tmp_path / "cut.backup"
    cut.write_bytes(backup_file.read_bytes()[: backup_file.stat().st_size // 2])
    before = export(monkeypatch, capsys, database.url)

    database.dispose()
    code, out, err = bdhvs(monkeypatch, capsys, database.url, "restore", str(cut), "--force")
    assert code == 1 and out == ""
    reason = "pg_restore failed" if not database.is_sqlite else "cannot be read as a database"
    assert err.startswith("Refused / không khôi phục:") and reason in err, err
    assert len(err.strip().splitlines()) == 1
    assert export(monkeypatch, capsys, database.url) == before
    assert len(before["sessions"]) == 3

    code, _, err = bdhvs(monkeypatch, capsys, database.url, "restore", str(backup_file), "--force")
    assert code == 0, err  # nothing was left half-done in the way of the next restore
    assert export(monkeypatch, capsys, database.url) == before

    if not database.is_sqlite:  # a restore killed half-way left the old tables aside: the next one waits for a look
        with database.engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{HOLD_SCHEMA}"'))
        code, _, err = bdhvs(monkeypatch, capsys, database.url, "restore", str(backup_file), "--force")
        assert code == 1 and f"schema {HOLD_SCHEMA} exists" in err
        with database.engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{HOLD_SCHEMA}"'))


def test_an_older_backup_is_migrated_to_the_newest_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = Database(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(old)
    with old.engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0007_groups")
        connection.commit()
    old.dispose()
    backup_file = tmp_path / "old.backup"
    code, _, err = bdhvs(monkeypatch, capsys, old.url, "backup", "-o", str(backup_file))
    assert code == 0, err

    target = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, err = bdhvs(monkeypatch, capsys, target, "restore", str(backup_file), "--json")
    assert code == 0, err
    assert json.loads(out)["migrated_from"] == "0007_groups"
    head = ScriptDirectory.from_config(alembic_config(old)).get_current_head()
    with sqlite3.connect(tmp_path / "new.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)
    assert export(monkeypatch, capsys, target)["commune"]["code"] == SON_KIM_1


def test_a_backup_of_the_other_kind_or_no_backup_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    code, _, err = bdhvs(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "restore", str(not_a_backup))
    assert code == 1 and "not a backup made by `bdhvs backup`" in err
    pg_dump_file = tmp_path / "pg.backup"
    pg_dump_file.write_bytes(b"PGDMP\x01\x0e\x00")
    code, _, err = bdhvs(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "restore", str(pg_dump_file))
    assert code == 1 and "is a postgresql backup; the configured database is sqlite" in err


@pytest.fixture
def empty_path(tmp_path: Path) -> Iterator[str]:
    """A PATH with no PostgreSQL client tools on it."""
    bare = tmp_path / "bin"
    bare.mkdir()
    yield str(bare)


def test_without_pg_dump_the_backup_says_what_to_install(
    tmp_path: Path, empty_path: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", empty_path)
    # No server is needed to find the tool missing: the port is closed.
    url = "postgresql://postgres@127.0.0.1:9/bdhvs"
    code, out, err = bdhvs(monkeypatch, capsys, url, "backup", "-o", str(tmp_path / "x.backup"))
    assert code == 1 and out == ""
    assert err.strip() == (
        "Backup failed / không sao lưu được: pg_dump was not found on PATH: install the PostgreSQL client tools "
        "(e.g. the postgresql-client package) of the server's version or newer"
    )
    assert not (tmp_path / "x.backup").exists()
    dump = tmp_path / "pg.backup"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    code, _, err = bdhvs(monkeypatch, capsys, url, "restore", str(dump))
    assert code == 1 and "pg_restore was not found on PATH" in err


@pytest.mark.skipif(not PG_URL, reason="needs BDHVS_TEST_DATABASE_URL (a PostgreSQL server)")
def test_a_pg_dump_older_than_the_server_is_refused(
    tmp_path: Path, empty_path: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert PG_URL
    reset_postgres(PG_URL)
    old_tool = Path(empty_path) / "pg_dump"
    old_tool.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    old_tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{empty_path}{os.pathsep}{os.environ['PATH']}")
    database = Database(PG_URL)
    with database.engine.connect() as connection:
        server = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    database.dispose()
    code, _, err = bdhvs(monkeypatch, capsys, PG_URL, "backup", "-o", str(tmp_path / "x.backup"))
    assert code == 1
    assert f"pg_dump 9 cannot dump a PostgreSQL {server} server" in err and len(err.strip().splitlines()) == 1


def test_a_fresh_database_counts_as_empty(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(database)
    assert held_data(row_counts(database)) == {}
    database.dispose()


def test_the_database_itself_is_neither_target_nor_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert bdhvs(monkeypatch, capsys, url, "db", "upgrade")[0] == 0
    code, _, err = bdhvs(monkeypatch, capsys, url, "backup", "-o", str(tmp_path / "live.db"))
    assert code == 1 and "is the database itself" in err
    code, _, err = bdhvs(monkeypatch, capsys, url, "restore", str(tmp_path / "live.db"), "--force")
    assert code == 1 and "is the configured database itself" in err


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed: the tool is looked for first")
def test_an_unreachable_server_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/bdhvs"
    code, out, err = bdhvs(monkeypatch, capsys, url, "backup", "-o", str(tmp_path / "x.backup"))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("Backup failed / không sao lưu được: cannot reach the database: ")
