"""`bdhvs backup` and `bdhvs restore`: the database to a file and back (see storage/backup.py for how)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bot.cli.common import Commands, config_of
from storage.backup import BackupError, BackupReport, backup, describe, restore
from storage.db import Database


def _size(size: int) -> str:
    """Bytes as a person reads them: 812 B, 1.4 MB."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _print(report: BackupReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return
    done = "Backup written / đã sao lưu" if report.action == "backup" else "Restored / đã khôi phục"
    print(f"{done}: {report.file} ({_size(report.size)}, {report.database})")
    rows = sum(report.tables.values())
    print(f"{len(report.tables)} tables, {rows} rows: {describe(report.headline(), limit=len(report.headline()))}")
    if report.migrated_from:
        print(f"The backup's schema ({report.migrated_from}) was migrated to the newest one.")


def _run(action: str, args: argparse.Namespace) -> int:
    database = Database(config_of(args).database_url)
    try:
        if action == "backup":
            report = backup(database, Path(args.output))
        else:
            report = restore(database, Path(args.file), force=args.force)
    except (BackupError, OperationalError) as error:
        verb = "Backup failed / không sao lưu được" if action == "backup" else "Refused / không khôi phục"
        if isinstance(error, OperationalError):  # the server is down or the URL wrong: its first line says which
            reason = f"cannot reach the database: {str(error.orig or error).strip().splitlines()[0]}"
        else:
            reason = str(error)
        print(f"{verb}: {reason}", file=sys.stderr)
        return 1
    finally:
        database.dispose()
    _print(report, args.json)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a backup of the configured database to a file (safe while the bot runs)."""
    return _run("backup", args)


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the configured database with a backup and migrate it to the newest schema."""
    return _run("restore", args)


def add_backup_commands(commands: Commands) -> None:
    """`backup` and `restore` on the top-level subcommands."""
    backup_parser = commands.add_parser(
        "backup", help="back the database up to a file (SQLite: online backup; PostgreSQL: pg_dump)"
    )
    backup_parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the backup file to write")
    backup_parser.add_argument("--json", action="store_true", help="print a JSON summary: file, bytes, rows per table")
    backup_parser.set_defaults(func=cmd_backup)

    restore_parser = commands.add_parser(
        "restore", help="replace the database with a backup (stop the bot first), then migrate it"
    )
    restore_parser.add_argument("file", metavar="FILE", help="a file written by `bdhvs backup`")
    restore_parser.add_argument(
        "--force", action="store_true", help="replace a database that already holds members, sessions or other data"
    )
    restore_parser.add_argument("--json", action="store_true", help="print a JSON summary: file, bytes, rows per table")
    restore_parser.set_defaults(func=cmd_restore)
