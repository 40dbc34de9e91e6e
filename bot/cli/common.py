"""What every `bdhvs` command starts from: the configuration and a migrated database."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

from sqlmodel import Session

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


@contextmanager
def migrated_session(config: Config) -> Iterator[Session]:
    """One transaction on the migrated database, for a command that needs nothing else of it."""
    database = open_database(config)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


# The top-level subcommands each command group adds its parsers to (argparse names the type privately).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
