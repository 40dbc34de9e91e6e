"""Provinces, communes and villages: the areas roles are scoped to."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import bindparam
from sqlmodel import Session, select

from storage import audit
from storage.errors import DomainError
from storage.models import Commune, Province, Village
from storage.text import fold, tidy_name

MAX_VILLAGE_NAME = 80


def get_commune(session: Session, code: int) -> Commune:
    commune = session.get(Commune, code)
    if commune is None:
        raise DomainError("unknown_commune", unit=code)
    return commune


def get_province(session: Session, code: int) -> Province:
    province = session.get(Province, code)
    if province is None:
        raise DomainError("unknown_province", unit=code)
    return province


_VILLAGES_OF = select(Village).where(Village.commune_code == bindparam("commune")).order_by(Village.id)  # type: ignore[arg-type]


def villages_of(session: Session, commune_code: int) -> list[Village]:
    """A commune's villages, in the order they were added (a prebuilt statement: asked on every free text)."""
    return list(session.exec(_VILLAGES_OF, params={"commune": commune_code}))


def find_village(session: Session, commune_code: int, name: str) -> Optional[Village]:
    """A village of the commune by name, ignoring case and diacritics."""
    return session.exec(
        select(Village).where(Village.commune_code == commune_code, Village.name_key == fold(name))
    ).first()


def village_in_commune(session: Session, commune_code: int, village_id: int) -> Village:
    """A village by id, only if it belongs to the commune (scope check)."""
    village = session.get(Village, village_id)
    if village is None or village.commune_code != commune_code:
        raise DomainError("unknown_village", village=str(village_id))
    return village


def add_villages(
    session: Session, commune_code: int, names: list[str], *, now: dt.datetime, actor_id: Optional[int]
) -> tuple[list[Village], list[str]]:
    """Add villages to a commune; returns (added, names already there). Names are tidied, not guessed."""
    get_commune(session, commune_code)
    added: list[Village] = []
    existing: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = tidy_name(raw)
        if not name:
            continue
        if len(name) > MAX_VILLAGE_NAME:
            raise DomainError("village_name_too_long", name=name[:30] + "…", limit=MAX_VILLAGE_NAME)
        key = fold(name)
        if key in seen:
            continue
        seen.add(key)
        found = find_village(session, commune_code, name)
        if found is not None:
            existing.append(found.name)
            continue
        village = Village(commune_code=commune_code, name=name, name_key=key, created_at=now)
        session.add(village)
        session.flush()
        audit.record(session, actor_id=actor_id, action="create", entity="village", entity_id=village.id,
                     now=now, after={"name": name, "commune_code": commune_code})
        added.append(village)
    return added, existing
