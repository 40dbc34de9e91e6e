"""Alembic environment: the same migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401 - imported for its effect: it registers the tables on SQLModel.metadata
from storage.db import Database

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Migrate on the connection handed in by `storage/migrate.py`, else on the configured URL."""
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("no database to migrate: give a connection or sqlalchemy.url")
    database = Database(url)
    with database.engine.connect() as connection:
        _run(connection)
    database.dispose()


def _run(connection: Connection) -> None:
    """Run the migrations in one transaction (batch mode on SQLite, which cannot alter columns in place)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
