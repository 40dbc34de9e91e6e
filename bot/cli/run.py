"""`bdhvs run` and `bdhvs db upgrade`: the bot itself and its database."""

from __future__ import annotations

import argparse
import asyncio
import logging

from bot.app import build_application
from bot.cli.common import Commands, config_of, open_database
from bot.logs import setup_logging


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until SIGINT or SIGTERM (the sandbox when no messenger token is configured)."""
    config = config_of(args)
    setup_logging(config.log_format)
    for noisy in ("httpx", "apscheduler"):  # a line per HTTP request or timer tick drowns what matters
        logging.getLogger(noisy).setLevel(logging.WARNING)
    application = build_application(config)
    asyncio.run(application.run_forever())
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply the migrations and load the provinces and communes."""
    database = open_database(config_of(args))
    database.dispose()
    print("Database is up to date.")
    return 0


def add_run_commands(commands: Commands) -> None:
    """`run` and `db upgrade` on the top-level subcommands."""
    run = commands.add_parser("run", help="run the bot (the sandbox when no token is configured)")
    run.add_argument("--config", default=argparse.SUPPRESS, help="TOML config file (or BDHVS_CONFIG)")
    run.set_defaults(func=cmd_run)

    db = commands.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    upgrade = db.add_parser("upgrade", help="apply migrations and load provinces and communes")
    upgrade.set_defaults(func=cmd_db_upgrade)
