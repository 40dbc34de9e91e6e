"""The country's month (operator only): per province, communes, activity, indicator sums, reports, targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Date, Integer, bindparam, distinct, func, select, union_all
from sqlalchemy.sql.selectable import CompoundSelect
from sqlmodel import Session

from storage.indicators import SCOPE_PROVINCE
from storage.periods import Period
from storage.progress.sql import (
    COMMUNES,
    FIGURES,
    HELP,
    ON_TIME,
    PROVINCES,
    REPORTS,
    SUBMITTED,
    TARGETS,
    VILLAGES,
    LineShape,
    PreparedRollup,
    live_help,
    village_weeks,
)
from storage.scope import Scope


class NationalLine(NamedTuple):
    """One line of the national roll-up: `tag` names the part that made it, and so the columns it fills."""

    tag: str
    key: int  # the province the line is about
    label: str  # the province's name, a kind of help or an indicator; or ''
    communes: int | None
    villages: int | None
    sessions: int | None
    attendees: int | None
    village_weeks: int | None
    villages_with_session: int | None
    helped: int | None
    numerator: int | None
    denominator: int | None
    communes_with_figure: int | None
    submitted: int | None
    on_time: int | None
    percent: float | None


def _national_statement(shape: LineShape[NationalLine]) -> CompoundSelect:
    """Per province: communes, villages, sessions, village-weeks, help, indicator sums, reports, targets."""
    per_week = village_weeks()
    per_commune = (
        select(per_week.c.commune_code, func.sum(per_week.c.sessions).label("sessions"),
               func.sum(per_week.c.attendees).label("attendees"), func.count().label("village_weeks"),
               func.count(distinct(per_week.c.village_id)).label("villages_with_session"))
        .group_by(per_week.c.commune_code)
        .subquery()
    )
    help_per_commune = (
        select(HELP.c.commune_code, HELP.c.kind, func.sum(HELP.c.count).label("helped"))
        .where(live_help()).group_by(HELP.c.commune_code, HELP.c.kind).subquery()
    )
    month = bindparam("m", type_=Date)
    province = COMMUNES.c.province_code
    communes = select(func.count()).where(COMMUNES.c.province_code == PROVINCES.c.code).scalar_subquery()
    return union_all(
        select(*shape.part("province", key=PROVINCES.c.code, label=PROVINCES.c.name, communes=communes)),
        select(*shape.part("villages", key=province, label="", villages=func.count()))
        .select_from(VILLAGES.join(COMMUNES, VILLAGES.c.commune_code == COMMUNES.c.code)).group_by(province),
        select(*shape.part("activity", key=province, label="", sessions=func.sum(per_commune.c.sessions),
                           attendees=func.sum(per_commune.c.attendees),
                           village_weeks=func.sum(per_commune.c.village_weeks),
                           villages_with_session=func.sum(per_commune.c.villages_with_session)))
        .select_from(per_commune.join(COMMUNES, per_commune.c.commune_code == COMMUNES.c.code)).group_by(province),
        select(*shape.part("help", key=province, label=help_per_commune.c.kind,
                           helped=func.sum(help_per_commune.c.helped)))
        .select_from(help_per_commune.join(COMMUNES, help_per_commune.c.commune_code == COMMUNES.c.code))
        .group_by(province, help_per_commune.c.kind),
        select(*shape.part("figure", key=province, label=FIGURES.c.indicator, numerator=func.sum(FIGURES.c.numerator),
                           denominator=func.sum(FIGURES.c.denominator), communes_with_figure=func.count()))
        .select_from(FIGURES.join(COMMUNES, FIGURES.c.commune_code == COMMUNES.c.code))
        .where(FIGURES.c.month == month).group_by(province, FIGURES.c.indicator),
        select(*shape.part("report", key=province, label="", submitted=func.sum(SUBMITTED),
                           on_time=func.sum(ON_TIME)))
        .select_from(REPORTS.join(COMMUNES, REPORTS.c.commune_code == COMMUNES.c.code))
        .where(REPORTS.c.month == month).group_by(province),
        select(*shape.part("target", key=TARGETS.c.area_code, label=TARGETS.c.indicator, percent=TARGETS.c.percent))
        .where(TARGETS.c.year == bindparam("y", type_=Integer), TARGETS.c.scope == SCOPE_PROVINCE),
    )


_NATIONAL = PreparedRollup(LineShape(NationalLine), _national_statement)


@dataclass
class ProvinceTotals:
    """One province's line in the national roll-up."""

    code: int
    name: str
    communes: int = 0
    villages: int = 0
    sessions: int = 0
    attendees: int = 0
    village_weeks: int = 0
    villages_with_session: int = 0
    submitted: int = 0
    on_time: int = 0
    help: dict[str, int] = field(default_factory=dict)
    figures: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # n, d, communes with the figure
    targets: dict[str, float] = field(default_factory=dict)


def _province_line(province: ProvinceTotals, line: NationalLine) -> None:
    """Add one line of the roll-up to its province's totals."""
    tag = line.tag
    if tag == "villages":
        province.villages = int(line.villages or 0)
    elif tag == "activity":
        province.sessions, province.attendees = int(line.sessions or 0), int(line.attendees or 0)
        province.village_weeks = int(line.village_weeks or 0)
        province.villages_with_session = int(line.villages_with_session or 0)
    elif tag == "help":
        province.help[line.label] = int(line.helped or 0)
    elif tag == "figure":
        province.figures[line.label] = (int(line.numerator or 0), int(line.denominator or 0),
                                        int(line.communes_with_figure or 0))
    elif tag == "report":
        province.submitted, province.on_time = int(line.submitted or 0), int(line.on_time or 0)
    elif tag == "target":
        province.targets[line.label] = float(line.percent or 0)


def national_rollup(session: Session, scope: Scope, month: dt.date) -> list[ProvinceTotals]:
    """All provinces for a month (operator only), in one statement."""
    scope.check_country()
    period = Period.month(month)
    params = {"s": period.start, "e": period.end, "m": period.start, "y": period.start.year}
    lines = _NATIONAL.fetch(session, params)
    provinces = {line.key: ProvinceTotals(line.key, line.label, communes=int(line.communes or 0))
                 for line in lines if line.tag == "province"}
    for line in lines:
        province = provinces.get(line.key)
        if province is not None and line.tag != "province":
            _province_line(province, line)
    return sorted(provinces.values(), key=lambda p: p.code)
