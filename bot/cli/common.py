"""What every `bdhvs` command starts from: the configuration and a migrated database."""

from __future__ import annotations

import argparse
from typing import TypeAlias

from bot.config import load_config
from bot.settings import Config
from storage.db import Database
from storage.migrate import upgrade


def config_of(args: argparse.Namespace) -> Config:
    """The configuration named by `--config` (or BDHVS_CONFIG, or the environment alone)."""
    return load_config(getattr(args, "config", None))


def open_database(config: Config) -> Database:
    """The configured database, migrated first: a command never runs against an older schema."""
    database = Database(config.database_url)
    upgrade(database)
    return database


# The top-level subcommands each command group adds its parsers to (argparse names the type privately).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
