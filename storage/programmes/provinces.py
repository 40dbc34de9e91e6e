"""Which programmes of the catalog a province runs, and its yearly targets for them.

A province viewer (Sở KH&CN) of the province, or the CLI (actor None), turns a programme on or off and sets
its target for a year. Every change is audited. A province that turns nothing on has no row here, and nothing
it is shown changes.

The interface the loggers, the reader and the reports build on:
- `enabled_programmes(session, province_code)`: the catalog's programmes the province runs, in catalog order;
- `province_programmes(session, province_code, year)`: every programme with its state and target (`Standing`);
- `target_of(session, province_code, programme_id, year)`: the target that applies (the province's own, else
  the plan's percent from the catalog, else None);
- `enable`, `disable`, `set_target`, `parse_target`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage import audit
from storage.areas import get_province
from storage.errors import DomainError
from storage.models import Member, ProgrammeTarget, ProvinceProgramme
from storage.programmes.catalog import RULE_PERCENT, Catalog, Programme, shipped
from storage.vocab import ROLE_PROVINCE_VIEWER

#: a count target above this is a typing slip (more people than any province has)
MAX_TARGET = 10_000_000
_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(%?)\s*$")
_THOUSANDS = re.compile(r"^\s*(\d{1,3}(?:\.\d{3})+)\s*$")


@dataclass(frozen=True)
class Standing:
    """One programme of the catalog as a province has it: on or off, and the target that applies for a year."""

    programme: Programme
    enabled: bool
    target: float | None  # the province's own for the year, else the plan's percent, else None
    own_target: bool  # the province set it (False: the catalog's, or none)


def _catalog(catalog: Catalog | None) -> Catalog:
    return catalog if catalog is not None else shipped()


def get_programme(programme_id: str, catalog: Catalog | None = None) -> Programme:
    """A programme of the catalog by id; an unknown id is refused."""
    programme = _catalog(catalog).get(programme_id)
    if programme is None:
        raise DomainError("unknown_programme", programme=programme_id)
    return programme


def _check_actor(actor: Member | None, province_code: int) -> None:
    if actor is not None and not (actor.role == ROLE_PROVINCE_VIEWER and actor.province_code == province_code):
        raise DomainError("programme_not_allowed")


# Built once: asked several times in every logging turn, the compiled form is found without walking a new statement.
_ENABLED_IDS = select(col(ProvinceProgramme.programme)).where(
    ProvinceProgramme.province_code == bindparam("province"), col(ProvinceProgramme.enabled).is_(True)
)
_ENABLED = "bdhvs.programmes.enabled"  # session.info: province -> the ids it runs, for one unit of work


def _enabled_ids(session: Session, province_code: int) -> frozenset[str]:
    """The ids of the programmes a province runs, remembered for the rest of the unit of work (a logging turn
    asks while reading, drafting and saving); turning one on or off forgets it."""
    known: dict[int, frozenset[str]] = session.info.setdefault(_ENABLED, {})
    if province_code not in known:
        known[province_code] = frozenset(session.exec(_ENABLED_IDS, params={"province": province_code}).all())
    return known[province_code]


def remember_enabled(session: Session, province_code: int, ids: Iterable[str]) -> None:
    """What `_enabled_ids` would read for the province, read already by the caller (the engine reads it along
    with the member, in the same round trip)."""
    session.info.setdefault(_ENABLED, {})[province_code] = frozenset(ids)


def enabled_programmes(session: Session, province_code: int, catalog: Catalog | None = None) -> list[Programme]:
    """The catalog's programmes the province runs, in the catalog's order (a turned-on id no longer in the
    catalog is skipped: the catalog is what the project ships)."""
    ids = _enabled_ids(session, province_code)
    return [p for p in _catalog(catalog) if p.id in ids] if ids else []


def is_enabled(session: Session, province_code: int, programme_id: str) -> bool:
    return programme_id in _enabled_ids(session, province_code)


def _own_targets(session: Session, province_code: int, year: int) -> dict[str, float]:
    rows = session.exec(
        select(ProgrammeTarget).where(ProgrammeTarget.province_code == province_code, ProgrammeTarget.year == year)
    ).all()
    return {r.programme: r.value for r in rows}


def target_of(
    session: Session, province_code: int, programme_id: str, year: int, catalog: Catalog | None = None
) -> float | None:
    """The target of a year that applies: the province's own, else the plan's percent, else None."""
    own = _own_targets(session, province_code, year)
    if programme_id in own:
        return own[programme_id]
    return get_programme(programme_id, catalog).target.percent


def province_programmes(
    session: Session, province_code: int, year: int, catalog: Catalog | None = None
) -> list[Standing]:
    """Every programme of the catalog with the province's choice and the target of the year."""
    ids = _enabled_ids(session, province_code)
    own = _own_targets(session, province_code, year)
    return [Standing(p, p.id in ids, own.get(p.id, p.target.percent), p.id in own) for p in _catalog(catalog)]


def _set_enabled(
    session: Session,
    *,
    actor: Member | None,
    province_code: int,
    programme_id: str,
    enabled: bool,
    now: dt.datetime,
    catalog: Catalog | None,
) -> bool:
    """Turn a programme on or off; returns whether anything changed (turning on what is on changes nothing)."""
    _check_actor(actor, province_code)
    get_province(session, province_code)
    get_programme(programme_id, catalog)
    row = session.get(ProvinceProgramme, (province_code, programme_id))
    if row is not None and row.enabled == enabled:
        return False
    if row is None and not enabled:
        return False
    before = None if row is None else {"enabled": row.enabled}
    if row is None:
        row = ProvinceProgramme(province_code=province_code, programme=programme_id, enabled=enabled, updated_at=now)
    row.enabled, row.updated_by, row.updated_at = enabled, (actor.id if actor else None), now
    session.info.pop(_ENABLED, None)
    audit.save(
        session,
        row,
        actor_id=actor.id if actor else None,
        entity="province_programme",
        entity_id=f"{province_code}:{programme_id}",
        now=now,
        before=before,
        after={"province_code": province_code, "programme": programme_id, "enabled": enabled},
    )
    return True


def enable(
    session: Session,
    *,
    actor: Member | None,
    province_code: int,
    programme_id: str,
    now: dt.datetime,
    catalog: Catalog | None = None,
) -> bool:
    """Turn a programme on for a province (a province viewer of it, or the CLI); True if it was off."""
    return _set_enabled(
        session,
        actor=actor,
        province_code=province_code,
        programme_id=programme_id,
        enabled=True,
        now=now,
        catalog=catalog,
    )


def disable(
    session: Session,
    *,
    actor: Member | None,
    province_code: int,
    programme_id: str,
    now: dt.datetime,
    catalog: Catalog | None = None,
) -> bool:
    """Turn a programme off (its targets are kept for a later turning on); True if it was on."""
    return _set_enabled(
        session,
        actor=actor,
        province_code=province_code,
        programme_id=programme_id,
        enabled=False,
        now=now,
        catalog=catalog,
    )


def parse_target(programme: Programme, text: str) -> float:
    """A typed target read by the programme's rule: a percent 0-100 («80», «80%», «92,5%») for the percent
    rule, a whole number («120», «1.200») otherwise. Anything else is refused, never guessed."""
    if programme.target.rule != RULE_PERCENT and (thousands := _THOUSANDS.match(text)):
        return check_target(programme, float(thousands.group(1).replace(".", "")))
    match = _NUMBER.match(text)
    if match is None:
        raise DomainError("programme_target_unreadable", text=text.strip()[:40])
    if match.group(2) and programme.target.rule != RULE_PERCENT:
        raise DomainError("programme_target_not_count", text=text.strip()[:40])
    return check_target(programme, float(match.group(1).replace(",", ".")))


def check_target(programme: Programme, value: float) -> float:
    """A target within the rule's bounds: 0 < percent <= 100, or a whole count from 1."""
    if programme.target.rule == RULE_PERCENT:
        if not 0 < value <= 100:
            raise DomainError("programme_target_percent", percent=value)
        return round(value, 2)
    if value != int(value) or not 1 <= value <= MAX_TARGET:
        raise DomainError("programme_target_count", value=value, limit=MAX_TARGET)
    return float(int(value))


def set_target(
    session: Session,
    *,
    actor: Member | None,
    province_code: int,
    programme_id: str,
    year: int,
    value: float,
    now: dt.datetime,
    catalog: Catalog | None = None,
) -> ProgrammeTarget:
    """Set a province's target of a year for a programme it runs (checked against the programme's rule)."""
    _check_actor(actor, province_code)
    get_province(session, province_code)
    programme = get_programme(programme_id, catalog)
    if not is_enabled(session, province_code, programme_id):
        raise DomainError("programme_not_enabled", programme=programme_id)
    value = check_target(programme, value)
    row = session.get(ProgrammeTarget, (province_code, programme_id, year))
    before = None if row is None else {"value": row.value}
    if row is None:
        row = ProgrammeTarget(
            province_code=province_code, programme=programme_id, year=year, value=value, updated_at=now
        )
    row.value, row.set_by, row.updated_at = value, (actor.id if actor else None), now
    audit.save(
        session,
        row,
        actor_id=actor.id if actor else None,
        entity="programme_target",
        entity_id=f"{province_code}:{programme_id}:{year}",
        now=now,
        before=before,
        after={"province_code": province_code, "programme": programme_id, "year": year, "value": value},
    )
    return row
