"""The country's month (operator only): per province, communes, activity, indicator sums, reports, targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Date, Integer, bindparam, distinct, func, select, union_all
from sqlalchemy.sql.selectable import CompoundSelect, Subquery
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
    LineKinds,
    Lines,
    PreparedRollup,
    live_help,
    village_weeks,
)
from storage.scope import Scope


class ProvinceName(NamedTuple):
    """A province and how many communes it has."""

    code: int
    name: str
    communes: int


class ProvinceVillages(NamedTuple):
    """How many villages the communes of a province have set up."""

    province_code: int
    villages: int


class ProvinceActivity(NamedTuple):
    """A province's sessions in the month, and how they spread over its villages and weeks."""

    province_code: int
    sessions: int
    attendees: int
    village_weeks: int
    villages_with_session: int


class ProvinceHelp(NamedTuple):
    """People a province helped in the month, of one kind."""

    province_code: int
    kind: str
    helped: int


class ProvinceFigure(NamedTuple):
    """The sums of an indicator's figures over a province's communes, and how many entered one."""

    province_code: int
    indicator: str
    numerator: int
    denominator: int
    communes_with_figure: int


class ProvinceReports(NamedTuple):
    """How many communes of a province submitted the month's report, and on time."""

    province_code: int
    submitted: int
    on_time: int


class ProvinceTarget(NamedTuple):
    """A province's target for the year."""

    province_code: int
    indicator: str
    percent: float


_KINDS = LineKinds(
    ProvinceName, ProvinceVillages, ProvinceActivity, ProvinceHelp, ProvinceFigure, ProvinceReports, ProvinceTarget
)


def _activity_per_commune() -> Subquery:
    """Per commune: sessions and attendees of the period, (village, week) pairs and villages with a session."""
    per_week = village_weeks()
    return (
        select(
            per_week.c.commune_code,
            func.sum(per_week.c.sessions).label("sessions"),
            func.sum(per_week.c.attendees).label("attendees"),
            func.count().label("village_weeks"),
            func.count(distinct(per_week.c.village_id)).label("villages_with_session"),
        )
        .group_by(per_week.c.commune_code)
        .subquery()
    )


def _national_statement(kinds: LineKinds) -> CompoundSelect:
    """Per province: communes, villages, sessions, village-weeks, help, indicator sums, reports, targets."""
    per_commune = _activity_per_commune()
    help_per_commune = (
        select(HELP.c.commune_code, HELP.c.kind, func.sum(HELP.c.count).label("helped"))
        .where(live_help())
        .group_by(HELP.c.commune_code, HELP.c.kind)
        .subquery()
    )
    month = bindparam("m", type_=Date)
    province = COMMUNES.c.province_code
    communes = select(func.count()).where(COMMUNES.c.province_code == PROVINCES.c.code).scalar_subquery()
    return union_all(
        select(*kinds.part(ProvinceName, code=PROVINCES.c.code, name=PROVINCES.c.name, communes=communes)),
        select(*kinds.part(ProvinceVillages, province_code=province, villages=func.count()))
        .select_from(VILLAGES.join(COMMUNES, VILLAGES.c.commune_code == COMMUNES.c.code))
        .group_by(province),
        select(
            *kinds.part(
                ProvinceActivity,
                province_code=province,
                sessions=func.sum(per_commune.c.sessions),
                attendees=func.sum(per_commune.c.attendees),
                village_weeks=func.sum(per_commune.c.village_weeks),
                villages_with_session=func.sum(per_commune.c.villages_with_session),
            )
        )
        .select_from(per_commune.join(COMMUNES, per_commune.c.commune_code == COMMUNES.c.code))
        .group_by(province),
        select(
            *kinds.part(
                ProvinceHelp,
                province_code=province,
                kind=help_per_commune.c.kind,
                helped=func.sum(help_per_commune.c.helped),
            )
        )
        .select_from(help_per_commune.join(COMMUNES, help_per_commune.c.commune_code == COMMUNES.c.code))
        .group_by(province, help_per_commune.c.kind),
        select(
            *kinds.part(
                ProvinceFigure,
                province_code=province,
                indicator=FIGURES.c.indicator,
                numerator=func.sum(FIGURES.c.numerator),
                denominator=func.sum(FIGURES.c.denominator),
                communes_with_figure=func.count(),
            )
        )
        .select_from(FIGURES.join(COMMUNES, FIGURES.c.commune_code == COMMUNES.c.code))
        .where(FIGURES.c.month == month)
        .group_by(province, FIGURES.c.indicator),
        select(
            *kinds.part(
                ProvinceReports, province_code=province, submitted=func.sum(SUBMITTED), on_time=func.sum(ON_TIME)
            )
        )
        .select_from(REPORTS.join(COMMUNES, REPORTS.c.commune_code == COMMUNES.c.code))
        .where(REPORTS.c.month == month)
        .group_by(province),
        select(
            *kinds.part(
                ProvinceTarget,
                province_code=TARGETS.c.area_code,
                indicator=TARGETS.c.indicator,
                percent=TARGETS.c.percent,
            )
        ).where(TARGETS.c.year == bindparam("y", type_=Integer), TARGETS.c.scope == SCOPE_PROVINCE),
    )


_NATIONAL = PreparedRollup(_KINDS, _national_statement)


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


def _activity(provinces: dict[int, ProvinceTotals], lines: Lines) -> None:
    """Each province's villages, sessions and help."""
    for villages in lines.of(ProvinceVillages):
        if province := provinces.get(villages.province_code):
            province.villages = int(villages.villages)
    for activity in lines.of(ProvinceActivity):
        if province := provinces.get(activity.province_code):
            province.sessions, province.attendees = int(activity.sessions), int(activity.attendees)
            province.village_weeks = int(activity.village_weeks)
            province.villages_with_session = int(activity.villages_with_session)
    for helped in lines.of(ProvinceHelp):
        if province := provinces.get(helped.province_code):
            province.help[helped.kind] = int(helped.helped)


def _figures_and_reports(provinces: dict[int, ProvinceTotals], lines: Lines) -> None:
    """Each province's indicator sums, reports and targets."""
    for figure in lines.of(ProvinceFigure):
        if province := provinces.get(figure.province_code):
            province.figures[figure.indicator] = (
                int(figure.numerator),
                int(figure.denominator),
                int(figure.communes_with_figure),
            )
    for reports in lines.of(ProvinceReports):
        if province := provinces.get(reports.province_code):
            province.submitted, province.on_time = int(reports.submitted or 0), int(reports.on_time or 0)
    for target in lines.of(ProvinceTarget):
        if province := provinces.get(target.province_code):
            province.targets[target.indicator] = float(target.percent)


def national_rollup(session: Session, scope: Scope, month: dt.date) -> list[ProvinceTotals]:
    """All provinces for a month (operator only), in one statement."""
    scope.check_country()
    period = Period.month(month)
    params = {"s": period.start, "e": period.end, "m": period.start, "y": period.start.year}
    lines = _NATIONAL.fetch(session, params)
    provinces = {
        line.code: ProvinceTotals(line.code, line.name, communes=int(line.communes)) for line in lines.of(ProvinceName)
    }
    _activity(provinces, lines)
    _figures_and_reports(provinces, lines)
    return sorted(provinces.values(), key=lambda p: p.code)
