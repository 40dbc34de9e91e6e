"""A province's month: per commune, activity, indicator figures, targets and whether it reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Date, Integer, and_, bindparam, case, distinct, func, or_, select, union_all
from sqlalchemy.sql.selectable import CompoundSelect
from sqlmodel import Session

from storage.errors import DomainError
from storage.indicators import FIVE, SCOPE_COMMUNE, SCOPE_PROVINCE, percent_of
from storage.models import Province
from storage.periods import Period, month_start
from storage.progress.figures import Figure, IndicatorProgress, help_by_kind, indicator_lines
from storage.progress.sql import (
    COMMUNES,
    FIGURES,
    HELP,
    ON_TIME,
    REPORTS,
    SESSIONS,
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


class CommuneName(NamedTuple):
    """A commune of the province."""

    code: int
    name: str


class VillageCount(NamedTuple):
    """How many villages a commune has set up."""

    commune_code: int
    villages: int


class CommuneActivity(NamedTuple):
    """A commune's sessions in the month, and how they spread over its villages and weeks."""

    commune_code: int
    sessions: int
    attendees: int
    village_weeks: int
    villages_with_session: int
    weeks_with_session: int


class CommuneHelp(NamedTuple):
    """People a commune helped in the month, of one kind."""

    commune_code: int
    kind: str
    helped: int


class CommuneFigure(NamedTuple):
    """A commune's figure for an indicator in the month."""

    commune_code: int
    indicator: str
    numerator: int
    denominator: int


class CommuneReport(NamedTuple):
    """Whether a commune submitted the month's report, and on time."""

    commune_code: int
    submitted: int
    on_time: int


class AreaTarget(NamedTuple):
    """A target for the year, set by the province (`area_code` the province) or by a commune (the commune)."""

    area_code: int
    indicator: str
    percent: float
    own: int  # 1: a commune's own target; 0: the province's


_KINDS = LineKinds(CommuneName, VillageCount, CommuneActivity, CommuneHelp, CommuneFigure, CommuneReport, AreaTarget)


def _province_statement(kinds: LineKinds) -> CompoundSelect:
    """Per commune of a province: villages, sessions, weeks, help, indicators, report; and the targets."""
    province, month = bindparam("p", type_=Integer), bindparam("m", type_=Date)
    communes = select(COMMUNES.c.code).where(COMMUNES.c.province_code == province).scalar_subquery()
    per_week = village_weeks(SESSIONS.c.commune_code.in_(communes))
    return union_all(
        select(*kinds.part(CommuneName, code=COMMUNES.c.code, name=COMMUNES.c.name)).where(
            COMMUNES.c.province_code == province
        ),
        select(*kinds.part(VillageCount, commune_code=VILLAGES.c.commune_code, villages=func.count()))
        .where(VILLAGES.c.commune_code.in_(communes))
        .group_by(VILLAGES.c.commune_code),
        select(
            *kinds.part(
                CommuneActivity,
                commune_code=per_week.c.commune_code,
                sessions=func.sum(per_week.c.sessions),
                attendees=func.sum(per_week.c.attendees),
                village_weeks=func.count(),
                villages_with_session=func.count(distinct(per_week.c.village_id)),
                weeks_with_session=func.count(distinct(per_week.c.week)),
            )
        ).group_by(per_week.c.commune_code),
        select(
            *kinds.part(CommuneHelp, commune_code=HELP.c.commune_code, kind=HELP.c.kind, helped=func.sum(HELP.c.count))
        )
        .where(live_help(HELP.c.commune_code.in_(communes)))
        .group_by(HELP.c.commune_code, HELP.c.kind),
        select(
            *kinds.part(
                CommuneFigure,
                commune_code=FIGURES.c.commune_code,
                indicator=FIGURES.c.indicator,
                numerator=FIGURES.c.numerator,
                denominator=FIGURES.c.denominator,
            )
        ).where(FIGURES.c.month == month, FIGURES.c.commune_code.in_(communes)),
        select(
            *kinds.part(CommuneReport, commune_code=REPORTS.c.commune_code, submitted=SUBMITTED, on_time=ON_TIME)
        ).where(REPORTS.c.month == month, REPORTS.c.commune_code.in_(communes)),
        select(
            *kinds.part(
                AreaTarget,
                area_code=TARGETS.c.area_code,
                indicator=TARGETS.c.indicator,
                percent=TARGETS.c.percent,
                own=case((TARGETS.c.scope == SCOPE_COMMUNE, 1), else_=0),
            )
        ).where(
            TARGETS.c.year == bindparam("y", type_=Integer),
            or_(
                and_(TARGETS.c.scope == SCOPE_PROVINCE, TARGETS.c.area_code == province),
                and_(TARGETS.c.scope == SCOPE_COMMUNE, TARGETS.c.area_code.in_(communes)),
            ),
        ),
    )


_PROVINCE = PreparedRollup(_KINDS, _province_statement)


@dataclass
class CommuneTotals:
    """One commune's line in a province roll-up."""

    code: int
    name: str
    villages: int = 0
    sessions: int = 0
    attendees: int = 0
    village_weeks: int = 0  # (village, week) pairs with at least one session
    villages_with_session: int = 0
    weeks_with_session: int = 0
    help: dict[str, int] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    submitted: bool = False
    on_time: bool | None = None

    @property
    def helped(self) -> int:
        """People helped, all kinds together."""
        return sum(self.help.values())

    def percent(self, indicator: str) -> float | None:
        """The commune's figure for an indicator as a percentage (None without a figure)."""
        figure = self.figures.get(indicator)
        return percent_of(*figure) if figure else None

    def achievement(self) -> float | None:
        """Mean share of the year's target reached over the five indicators with a figure and a target."""
        shares = []
        for indicator in FIVE:
            percent, target = self.percent(indicator), self.targets.get(indicator)
            if percent is not None and target:
                shares.append(min(percent / target, 1.0))
        return sum(shares) / len(shares) if shares else None


@dataclass
class ProvinceRollup:
    """A province's month: who reported, on time or late, activity and indicator sums per commune."""

    province_code: int
    province_name: str
    period: Period
    communes: list[CommuneTotals]
    targets: dict[str, float]

    @property
    def expected(self) -> int:
        """How many communes should report."""
        return len(self.communes)

    @property
    def submitted(self) -> int:
        """How many communes submitted the month's report."""
        return sum(1 for c in self.communes if c.submitted)

    @property
    def on_time_count(self) -> int:
        """How many communes submitted it on time."""
        return sum(1 for c in self.communes if c.submitted and c.on_time)

    @property
    def reporting_rate(self) -> float | None:
        """Share of the communes that submitted, in percent."""
        return percent_of(self.submitted, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        """Share of the communes that submitted on time, in percent."""
        return percent_of(self.on_time_count, self.expected)

    @property
    def not_submitted(self) -> list[CommuneTotals]:
        """The communes that have not submitted."""
        return [c for c in self.communes if not c.submitted]

    def indicator_sums(self) -> list[IndicatorProgress]:
        """Sums of numerators and denominators over the communes that entered the figure."""
        sums: dict[str, Figure] = {}
        for commune in self.communes:
            for indicator, (n, d) in commune.figures.items():
                have = sums.get(indicator, (0, 0))
                sums[indicator] = (have[0] + n, have[1] + d)
        targets = {k: (v, SCOPE_PROVINCE) for k, v in self.targets.items()}
        return indicator_lines(month_start(self.period.start), sums, {}, targets)

    def reporting_figures(self, indicator: str) -> int:
        """How many communes entered a figure for this indicator."""
        return sum(1 for c in self.communes if indicator in c.figures)

    def furthest_behind(self, limit: int = 5) -> list[CommuneTotals]:
        """The communes furthest from their targets (lowest mean share reached); those without figures are left out."""
        rated = [(c.achievement(), c) for c in self.communes]
        with_figures = sorted(((a, c) for a, c in rated if a is not None), key=lambda r: (r[0], r[1].code))
        return [c for _, c in with_figures[:limit]]

    @property
    def sessions(self) -> int:
        """Sessions held in the month, all communes together."""
        return sum(c.sessions for c in self.communes)

    @property
    def attendees(self) -> int:
        """Attendees of those sessions."""
        return sum(c.attendees for c in self.communes)

    @property
    def help(self) -> dict[str, int]:
        """People helped by kind, all communes together."""
        return help_by_kind(self.communes)


def _activity(communes: dict[int, CommuneTotals], lines: Lines) -> None:
    """Each commune's villages, sessions and help (a line of a commune not in the province is left out)."""
    for villages in lines.of(VillageCount):
        if commune := communes.get(villages.commune_code):
            commune.villages = int(villages.villages)
    for activity in lines.of(CommuneActivity):
        if commune := communes.get(activity.commune_code):
            commune.sessions, commune.attendees = int(activity.sessions), int(activity.attendees)
            commune.village_weeks = int(activity.village_weeks)
            commune.villages_with_session = int(activity.villages_with_session)
            commune.weeks_with_session = int(activity.weeks_with_session)
    for helped in lines.of(CommuneHelp):
        if commune := communes.get(helped.commune_code):
            commune.help[helped.kind] = int(helped.helped)


def _figures_and_reports(communes: dict[int, CommuneTotals], lines: Lines) -> dict[str, float]:
    """Each commune's figures, targets (its own over the province's) and report; the province's targets."""
    for figure in lines.of(CommuneFigure):
        if commune := communes.get(figure.commune_code):
            commune.figures[figure.indicator] = (int(figure.numerator), int(figure.denominator))
    for report in lines.of(CommuneReport):
        if commune := communes.get(report.commune_code):
            commune.submitted = bool(report.submitted)
            commune.on_time = bool(report.on_time) if report.submitted else None
    targets = lines.of(AreaTarget)
    province_targets = {target.indicator: float(target.percent) for target in targets if not target.own}
    for commune in communes.values():
        commune.targets = dict(province_targets)
    for target in targets:
        if target.own and (commune := communes.get(target.area_code)):
            commune.targets[target.indicator] = float(target.percent)
    return province_targets


def province_rollup(session: Session, scope: Scope, province_code: int, month: dt.date) -> ProvinceRollup:
    """Every commune of a province for a month, in one statement."""
    scope.check_province(province_code)
    province = session.get(Province, province_code)
    if province is None:
        raise DomainError("unknown_province", unit=province_code)
    period = Period.month(month)
    params = {"p": province_code, "s": period.start, "e": period.end, "m": period.start, "y": period.start.year}
    lines = _PROVINCE.fetch(session, params)
    communes = {line.code: CommuneTotals(line.code, line.name) for line in lines.of(CommuneName)}
    _activity(communes, lines)
    province_targets = _figures_and_reports(communes, lines)
    ordered = sorted(communes.values(), key=lambda c: c.code)
    return ProvinceRollup(province_code, province.name, period, ordered, province_targets)


@dataclass(frozen=True)
class ReportingMonth:
    """A province's month as far as reporting goes: communes expected to report, submitted, on time."""

    month: dt.date
    expected: int
    submitted: int
    on_time: int

    @property
    def reporting_rate(self) -> float | None:
        """Share of the communes that submitted, in percent (as `ProvinceRollup.reporting_rate`)."""
        return percent_of(self.submitted, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        """Share of the communes that submitted on time, in percent (as `ProvinceRollup.on_time_rate`)."""
        return percent_of(self.on_time, self.expected)


def reporting_by_month(
    session: Session, scope: Scope, province_code: int, first: dt.date, last: dt.date
) -> list[ReportingMonth]:
    """Each month from `first` to `last`: the report lines `province_rollup` reads (SUBMITTED, ON_TIME over the
    province's communes), counted for all the months in one statement instead of one roll-up per month."""
    scope.check_province(province_code)
    communes = select(COMMUNES.c.code).where(COMMUNES.c.province_code == province_code).scalar_subquery()
    expected = session.connection().execute(select(func.count()).where(COMMUNES.c.province_code == province_code))
    total = int(expected.scalar_one())
    statement = (
        select(REPORTS.c.month, func.sum(SUBMITTED), func.sum(ON_TIME))
        .where(
            REPORTS.c.commune_code.in_(communes),
            REPORTS.c.month >= month_start(first),
            REPORTS.c.month <= month_start(last),
        )
        .group_by(REPORTS.c.month)
    )
    counted = {
        month_start(row[0]): (int(row[1] or 0), int(row[2] or 0)) for row in session.connection().execute(statement)
    }
    months, month = [], month_start(first)
    while month <= month_start(last):
        submitted, on_time = counted.get(month, (0, 0))
        months.append(ReportingMonth(month, total, submitted, on_time))
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months
