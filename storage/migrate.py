"""Bring a database to the newest schema and load the official list of provinces and communes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vietnam_provinces as vp
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import func, text
from sqlmodel import select

from storage.db import Database
from storage.models import Commune, Province

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database: Database) -> AlembicConfig:
    """An Alembic config pointing at our migrations and the given database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return cfg


# The key of the PostgreSQL advisory lock held while a process migrates (any 64-bit number of our own).
MIGRATION_LOCK = 0x6264_6876_7301  # "bdhvs" 1


def upgrade(database: Database) -> None:
    """Run pending migrations, then make sure the reference data is there.

    On PostgreSQL the whole of it holds an advisory lock: several instances starting at once on an empty
    database take turns, and the later ones find the schema and the communes already there (without it both
    create the same types and tables, and one dies on a unique violation). SQLite has one instance."""
    cfg = alembic_config(database)
    with database.engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
        try:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
            connection.commit()
            load_reference_data(database)
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()


def load_reference_data(database: Database) -> int:
    """Insert provinces and communes from `vietnam-provinces` if missing; returns how many were added."""
    with database.session() as session:
        have = session.exec(select(func.count()).select_from(Commune)).one()
        if have:
            return 0
        provinces = [
            Province(code=int(p.code), name=_province_name(p), codename=p.codename) for p in vp.Province.iter_all()
        ]
        session.add_all(provinces)
        session.flush()
        communes = [
            Commune(code=int(w.code), name=w.name, codename=w.codename, province_code=int(w.province_code))
            for w in vp.Ward.iter_all()
        ]
        session.add_all(communes)
        return len(provinces) + len(communes)


def _province_name(province: Any) -> str:
    """The name as people write it: "Tỉnh Hà Tĩnh", "Thành phố Hà Nội" (the package omits "Tỉnh").

    `province` is a `vietnam_provinces.Province`; the package ships no type information.
    """
    name: str = province.name
    kind = province.division_type.value
    return f"Tỉnh {name}" if kind == "tỉnh" and not name.startswith("Tỉnh") else name
