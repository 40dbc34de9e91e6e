"""A province's month: per commune, activity, indicator figures, targets and whether it reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Date, Integer, bindparam, distinct, func, select, union_all
from sqlalchemy.sql.selectable import CompoundSelect
from sqlmodel import Session

from storage.errors import DomainError
from storage.indicators import FIVE, SCOPE_COMMUNE, SCOPE_PROVINCE, percent_of
from storage.models import Province
from storage.periods import Period, month_start
from storage.progress.figures import Figure, IndicatorProgress, indicator_lines
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
    LineShape,
    PreparedRollup,
    live_help,
    village_weeks,
)
from storage.scope import Scope


class ProvinceLine(NamedTuple):
    """One line of a province's roll-up: `tag` names the part that made it, and so the columns it fills."""

    tag: str
    key: int  # the commune the line is about; the province for "province_target"
    label: str  # the commune's name, a kind of help or an indicator; or ''
    villages: int | None
    sessions: int | None
    attendees: int | None
    village_weeks: int | None
    villages_with_session: int | None
    weeks_with_session: int | None
    helped: int | None
    numerator: int | None
    denominator: int | None
    submitted: int | None
    on_time: int | None
    percent: float | None


def _province_statement(shape: LineShape[ProvinceLine]) -> CompoundSelect:
    """Per commune of a province: villages, sessions, weeks, help, indicators, report; and the targets."""
    province, month = bindparam("p", type_=Integer), bindparam("m", type_=Date)
    communes = select(COMMUNES.c.code).where(COMMUNES.c.province_code == province).scalar_subquery()
    per_week = village_weeks(SESSIONS.c.commune_code.in_(communes))
    return union_all(
        select(*shape.part("commune", key=COMMUNES.c.code, label=COMMUNES.c.name))
        .where(COMMUNES.c.province_code == province),
        select(*shape.part("villages", key=VILLAGES.c.commune_code, label="", villages=func.count()))
        .where(VILLAGES.c.commune_code.in_(communes)).group_by(VILLAGES.c.commune_code),
        select(*shape.part("activity", key=per_week.c.commune_code, label="", sessions=func.sum(per_week.c.sessions),
                           attendees=func.sum(per_week.c.attendees), village_weeks=func.count(),
                           villages_with_session=func.count(distinct(per_week.c.village_id)),
                           weeks_with_session=func.count(distinct(per_week.c.week))))
        .group_by(per_week.c.commune_code),
        select(*shape.part("help", key=HELP.c.commune_code, label=HELP.c.kind, helped=func.sum(HELP.c.count)))
        .where(live_help(HELP.c.commune_code.in_(communes))).group_by(HELP.c.commune_code, HELP.c.kind),
        select(*shape.part("figure", key=FIGURES.c.commune_code, label=FIGURES.c.indicator,
                           numerator=FIGURES.c.numerator, denominator=FIGURES.c.denominator))
        .where(FIGURES.c.month == month, FIGURES.c.commune_code.in_(communes)),
        select(*shape.part("report", key=REPORTS.c.commune_code, label="", submitted=SUBMITTED, on_time=ON_TIME))
        .where(REPORTS.c.month == month, REPORTS.c.commune_code.in_(communes)),
        *(select(*shape.part(tag, key=TARGETS.c.area_code, label=TARGETS.c.indicator, percent=TARGETS.c.percent))
          .where(TARGETS.c.year == bindparam("y", type_=Integer), TARGETS.c.scope == scope, area)
          for tag, scope, area in (("province_target", SCOPE_PROVINCE, TARGETS.c.area_code == province),
                                   ("target", SCOPE_COMMUNE, TARGETS.c.area_code.in_(communes)))),
    )


_PROVINCE = PreparedRollup(LineShape(ProvinceLine), _province_statement)


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
        total: dict[str, int] = {}
        for commune in self.communes:
            for kind, count in commune.help.items():
                total[kind] = total.get(kind, 0) + count
        return total


def _commune_line(commune: CommuneTotals, line: ProvinceLine) -> None:
    """Add one line of the roll-up to its commune's totals."""
    tag = line.tag
    if tag == "villages":
        commune.villages = int(line.villages or 0)
    elif tag == "activity":
        commune.sessions, commune.attendees = int(line.sessions or 0), int(line.attendees or 0)
        commune.village_weeks = int(line.village_weeks or 0)
        commune.villages_with_session = int(line.villages_with_session or 0)
        commune.weeks_with_session = int(line.weeks_with_session or 0)
    elif tag == "help":
        commune.help[line.label] = int(line.helped or 0)
    elif tag == "figure":
        commune.figures[line.label] = (int(line.numerator or 0), int(line.denominator or 0))
    elif tag == "report":
        commune.submitted = bool(line.submitted)
        commune.on_time = bool(line.on_time) if line.submitted else None


def province_rollup(session: Session, scope: Scope, province_code: int, month: dt.date) -> ProvinceRollup:
    """Every commune of a province for a month, in one statement."""
    scope.check_province(province_code)
    province = session.get(Province, province_code)
    if province is None:
        raise DomainError("unknown_province", unit=province_code)
    period = Period.month(month)
    params = {"p": province_code, "s": period.start, "e": period.end, "m": period.start, "y": period.start.year}
    lines = _PROVINCE.fetch(session, params)
    communes = {line.key: CommuneTotals(line.key, line.label) for line in lines if line.tag == "commune"}
    province_targets: dict[str, float] = {}
    own_targets: list[ProvinceLine] = []
    for line in lines:
        if line.tag == "province_target":
            province_targets[line.label] = float(line.percent or 0)
        elif line.tag == "target":
            own_targets.append(line)
        elif line.tag != "commune" and line.key in communes:
            _commune_line(communes[line.key], line)
    for commune in communes.values():
        commune.targets = dict(province_targets)
    for line in own_targets:
        if line.key in communes:
            communes[line.key].targets[line.label] = float(line.percent or 0)
    ordered = sorted(communes.values(), key=lambda c: c.code)
    return ProvinceRollup(province_code, province.name, period, ordered, province_targets)
