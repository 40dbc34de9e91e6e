"""Bring a database to the newest schema and load the official list of provinces and communes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vietnam_provinces as vp
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import func
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


def upgrade(database: Database) -> None:
    """Run pending migrations, then make sure the reference data is there."""
    cfg = alembic_config(database)
    with database.engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        connection.commit()
    load_reference_data(database)


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
