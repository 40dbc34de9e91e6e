"""A province's own monthly indicators (id, name, unit, target), added without a code change, and the
communes' figures for them.

An own indicator is a count in its unit («12 chợ»), entered monthly by a commune admin of that province with
/chiso beside the national figures; the communes of other provinces never see it. Its target is a yearly
whole number in the unit. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session, col, select

from storage import audit
from storage.areas import get_commune, get_province
from storage.errors import DomainError
from storage.indicators import INDICATORS, MAX_FIGURE
from storage.models import Member, ProvinceIndicator, ProvinceIndicatorValue
from storage.programmes.catalog import UNITS
from storage.reports import ensure_open, month_start
from storage.text import fold
from storage.vocab import ROLE_COMMUNE_ADMIN, ROLE_PROVINCE_VIEWER

_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_NAME, MAX_UNIT = 120, 30
# «tên 12», «tên: 12 chợ», «tên = 1.200»: a name, then a number and maybe the unit. A number with a decimal
# part or a sign is read as such so that it can be refused (never rounded).
_VALUE = re.compile(
    r"^(?P<name>.+?)\s*[:=]?\s*(?P<number>[-−]?\s*\d{1,3}(?:\.\d{3})+|[-−]?\s*\d+(?:[.,]\d+)?)\s*(?P<rest>[^\d]*)$"
)
_PARTS = re.compile(r"[;\n]+|,(?!\d)")


def _id_of(indicator_id: str) -> str:
    if not _ID.match(indicator_id):
        raise DomainError("own_indicator_bad_id", indicator_id=indicator_id[:40])
    if indicator_id in INDICATORS:
        raise DomainError("own_indicator_national_id", indicator_id=indicator_id)
    return indicator_id


def unit_label(unit: str) -> str:
    """A unit as shown: a unit of the catalog (N_-marked, translate it), else the province's own word."""
    return UNITS.get(unit, unit)


def add_indicator(
    session: Session,
    *,
    province_code: int,
    indicator_id: str,
    name: str,
    unit: str,
    now: dt.datetime,
    name_en: str | None = None,
    target: int | None = None,
    actor_id: int | None = None,
) -> tuple[ProvinceIndicator, bool]:
    """Add a province's own indicator, or change the name, unit and target of one it has; (row, added)."""
    get_province(session, province_code)
    indicator_id = _id_of(indicator_id.strip())
    name, unit = " ".join(name.split()), " ".join(unit.split())
    name_en = " ".join(name_en.split()) if name_en else None
    if not name or len(name) > MAX_NAME or (name_en is not None and len(name_en) > MAX_NAME):
        raise DomainError("own_indicator_bad_name", limit=MAX_NAME)
    if not unit or len(unit) > MAX_UNIT:
        raise DomainError("own_indicator_bad_unit", limit=MAX_UNIT)
    if target is not None and not 1 <= target <= MAX_FIGURE:
        raise DomainError("own_indicator_bad_target", limit=MAX_FIGURE)
    row = session.get(ProvinceIndicator, (province_code, indicator_id))
    fields = ("name", "name_en", "unit", "target")
    before = None if row is None else audit.snapshot(row, fields)
    if row is None:
        row = ProvinceIndicator(
            province_code=province_code, indicator=indicator_id, name=name, unit=unit, created_at=now, updated_at=now
        )
    row.name, row.name_en, row.unit, row.target, row.updated_at = name, name_en, unit, target, now
    audit.save(
        session,
        row,
        actor_id=actor_id,
        entity="province_indicator",
        entity_id=f"{province_code}:{indicator_id}",
        now=now,
        before=before,
        after={"province_code": province_code, "indicator": indicator_id, **audit.snapshot(row, fields)},
    )
    return row, before is None


def set_target(
    session: Session, *, actor: Member | None, province_code: int, indicator_id: str, target: int, now: dt.datetime
) -> ProvinceIndicator:
    """Set the yearly target of a province's own indicator (a whole number in its unit): a province viewer of
    the province (/chitieu) or the CLI (actor None); audited."""
    if actor is not None and not (actor.role == ROLE_PROVINCE_VIEWER and actor.province_code == province_code):
        raise DomainError("programme_not_allowed")
    row = session.get(ProvinceIndicator, (province_code, indicator_id))
    if row is None:
        raise DomainError("unknown_own_indicator", indicator_id=indicator_id)
    if not 1 <= target <= MAX_FIGURE:
        raise DomainError("own_indicator_bad_target", limit=MAX_FIGURE)
    before = {"target": row.target}
    row.target, row.updated_at = target, now
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id if actor else None,
        action="update",
        entity="province_indicator",
        entity_id=f"{province_code}:{indicator_id}",
        now=now,
        before=before,
        after={"target": target},
    )
    return row


def indicators_of(session: Session, province_code: int) -> list[ProvinceIndicator]:
    """A province's own indicators, in the order they were added."""
    return list(
        session.exec(
            select(ProvinceIndicator)
            .where(ProvinceIndicator.province_code == province_code)
            .order_by(col(ProvinceIndicator.created_at), col(ProvinceIndicator.indicator))
        )
    )


def indicators_for_commune(session: Session, commune_code: int) -> list[ProvinceIndicator]:
    """The own indicators of a commune's province (none for most provinces)."""
    return indicators_of(session, get_commune(session, commune_code).province_code)


def name_of(indicator: ProvinceIndicator, locale: str) -> str:
    return indicator.name_en if locale == "en" and indicator.name_en else indicator.name


def find(indicators: list[ProvinceIndicator], words: str) -> ProvinceIndicator | None:
    """The own indicator some words name (its id or its name, folded), or None."""
    key = fold(words).strip(" -:=.")
    for indicator in indicators:
        names = {indicator.indicator, fold(indicator.indicator.replace("_", " ")), fold(indicator.name)}
        if indicator.name_en:
            names.add(fold(indicator.name_en))
        # the whole words, or their end («tháng 10 chợ không dùng tiền mặt»: a month before the name)
        if any(key == name or key.endswith(" " + name) for name in names):
            return indicator
    return None


def read_count(text: str) -> int:
    """A whole number of things as typed («12», «1.200»); a fraction, a sign or words are refused."""
    number = text.replace(" ", "").replace("−", "-")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        number = number.replace(".", "")
    if not re.fullmatch(r"-?\d+(?:[.,]\d+)?", number):
        raise DomainError("own_indicator_not_count", text=text.strip()[:40])
    if not number.isdigit():
        raise DomainError("own_indicator_not_whole", text=text.strip()[:40])
    if int(number) > MAX_FIGURE:
        raise DomainError("own_indicator_too_large", limit=MAX_FIGURE)
    return int(number)


def parse_values(text: str, indicators: list[ProvinceIndicator]) -> tuple[list[tuple[ProvinceIndicator, str]], str]:
    """The parts of a message that give an own indicator a number («chợ không tiền mặt 12»), as (indicator,
    the number as typed), and the rest of the message for the national figures. The numbers are read by
    `read_count` when saved, so that a fraction is refused with its reason."""
    if not indicators:
        return [], text
    found: list[tuple[ProvinceIndicator, str]] = []
    rest: list[str] = []
    for part in _PARTS.split(text):
        match = _VALUE.match(part.strip())
        indicator = find(indicators, match.group("name")) if match else None
        if match is None or indicator is None or "/" in part:
            rest.append(part)
            continue
        found = [f for f in found if f[0].indicator != indicator.indicator]
        found.append((indicator, match.group("number")))
    return found, ", ".join(p.strip() for p in rest if p.strip())


def set_value(
    session: Session,
    *,
    actor: Member | None,
    commune_code: int,
    month: dt.date,
    indicator_id: str,
    value: int,
    now: dt.datetime,
) -> ProvinceIndicatorValue:
    """Save (or replace) a commune's monthly figure of its province's own indicator: the commune's admin only
    (or the CLI, actor None); a month already submitted is locked."""
    if actor is not None and not (actor.role == ROLE_COMMUNE_ADMIN and actor.commune_code == commune_code):
        raise DomainError("indicator_not_allowed")
    commune = get_commune(session, commune_code)
    if session.get(ProvinceIndicator, (commune.province_code, indicator_id)) is None:
        raise DomainError("unknown_own_indicator", indicator_id=indicator_id)
    if not 0 <= value <= MAX_FIGURE:
        raise DomainError("own_indicator_too_large", limit=MAX_FIGURE)
    month = month_start(month)
    ensure_open(session, commune_code, month)
    row = session.exec(
        select(ProvinceIndicatorValue).where(
            ProvinceIndicatorValue.commune_code == commune_code,
            ProvinceIndicatorValue.month == month,
            ProvinceIndicatorValue.indicator == indicator_id,
        )
    ).first()
    before = None if row is None else {"value": row.value}
    if row is None:
        row = ProvinceIndicatorValue(
            commune_code=commune_code, month=month, indicator=indicator_id, value=value, updated_at=now
        )
    row.value, row.entered_by, row.updated_at = value, (actor.id if actor else None), now
    audit.save(
        session,
        row,
        actor_id=actor.id if actor else None,
        entity="province_indicator_value",
        now=now,
        before=before,
        after={"commune_code": commune_code, "month": month.isoformat(), "indicator": indicator_id, "value": value},
    )
    return row


def values(session: Session, commune_code: int, month: dt.date) -> dict[str, ProvinceIndicatorValue]:
    """A commune's figures of its province's own indicators for one month, by indicator id."""
    rows = session.exec(
        select(ProvinceIndicatorValue).where(
            ProvinceIndicatorValue.commune_code == commune_code,
            ProvinceIndicatorValue.month == month_start(month),
        )
    ).all()
    return {r.indicator: r for r in rows}
