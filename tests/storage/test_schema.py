"""Migrations and reference data: the same schema on SQLite and PostgreSQL, matching the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, text
from sqlmodel import SQLModel, select

from storage.db import Database
from storage.migrate import load_reference_data, upgrade
from storage.models import Commune, Province


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_official_units_are_loaded_once(database: Database) -> None:
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(Province)).one() == 34
        assert session.exec(select(func.count()).select_from(Commune)).one() == 3321
        son_kim = session.get(Commune, 18196)
        assert son_kim is not None and son_kim.name == "Xã Sơn Kim 1"
        assert session.get(Province, son_kim.province_code).name == "Tỉnh Hà Tĩnh"
        assert session.exec(select(func.count()).select_from(Commune).where(Commune.province_code == 42)).one() == 69
    assert load_reference_data(database) == 0
    upgrade(database)  # running it again changes nothing


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    database.dispose()
