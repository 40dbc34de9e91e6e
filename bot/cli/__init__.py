"""The `bdhvs` command: run the bot, migrate the database, set up communes, export, parse, back up and restore.

One module per command group (`run`, `invites`, `imports`, `areas`, `reports`, `reminders`, `groups`, `programmes`,
`parse`, `backup`); this one builds the parser from them and turns the errors a person can fix into one line and an
exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli.areas import add_province_commands, add_village_commands
from bot.cli.backup import add_backup_commands
from bot.cli.groups import add_group_commands
from bot.cli.imports import add_import_commands
from bot.cli.invites import add_invite_commands
from bot.cli.parse import add_parse_commands
from bot.cli.programmes import add_programme_commands
from bot.cli.reminders import add_reminder_commands
from bot.cli.reports import add_export_commands, add_report_commands
from bot.cli.run import add_run_commands
from bot.i18n import Translator
from bot.settings import ConfigError
from handlers.errors import explain
from storage.errors import DomainError
from storage.programmes.catalog import CatalogError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """Every command and its options, in the order `bdhvs --help` lists them."""
    parser = argparse.ArgumentParser(prog="bdhvs", description="bdhvs-bot: chatbot của Tổ Công nghệ số cộng đồng")
    parser.add_argument("--config", help="TOML config file (or BDHVS_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_run_commands(commands)
    add_invite_commands(commands)
    add_village_commands(commands)
    add_import_commands(commands)
    add_export_commands(commands)
    add_reminder_commands(commands)
    add_group_commands(commands)
    add_report_commands(commands)
    add_province_commands(commands)
    add_programme_commands(commands)
    add_parse_commands(commands)
    add_backup_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a configuration error or a malformed programme file exits with 2 (one line naming the
    file and the key), a refused action (DomainError) with 1."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    except CatalogError as error:
        print(f"Programme catalog error: {error}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"Error: {explain(error, Translator('vi'))} ({error.code})", file=sys.stderr)
        return 1
