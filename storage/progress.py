"""How far a village, a commune, a province or the country is: activity and indicators, computed in SQL.

Every read is scoped: a `Scope` built from the asking member lets a team member see their village, a
commune admin or leader their commune, a province viewer their province; the operator (CLI) sees all.

Each roll-up is ONE statement (a UNION ALL of grouped parts, tagged by their first column), built with
SQLAlchemy Core and compiled once per dialect with bound parameters, so a commune's month costs one round
trip whatever the number of villages. The week of a session is counted Monday–Sunday from a fixed Monday
(2000-01-03), the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import Date, Float, Integer, String, and_, bindparam, case, cast, distinct, func, literal_column
from sqlalchemy import null, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session

from storage.errors import DomainError
from storage.indicators import FIVE, INDICATORS, SCOPE_COMMUNE, on_track, percent_of
from storage.models import (
    Commune,
    HelpRecord,
    IndicatorTarget,
    IndicatorValue,
    Member,
    MonthlyReport,
    Province,
    TrainingSession,
    Village,
)
from storage.periods import month_of, week_of
from storage.reports import month_start, previous_month
from storage.vocab import ROLE_PROVINCE_VIEWER, VILLAGE_ROLES

# -- scope ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What an asker may see: None role is the operator (CLI, benchmarks), who sees everything."""

    role: Optional[str] = None
    province_code: Optional[int] = None
    commune_code: Optional[int] = None
    village_id: Optional[int] = None

    @classmethod
    def of(cls, member: Member) -> "Scope":
        return cls(member.role, member.province_code, member.commune_code, member.village_id)

    @classmethod
    def operator(cls) -> "Scope":
        return cls()

    @property
    def village_only(self) -> Optional[int]:
        """The one village a team member is limited to (None: no such limit)."""
        return self.village_id if self.role in VILLAGE_ROLES else None

    def allows_commune(self, commune_code: int, province_code: int) -> bool:
        if self.role is None:
            return True
        if self.role == ROLE_PROVINCE_VIEWER:
            return self.province_code == province_code
        return self.commune_code == commune_code

    def allows_province(self, province_code: int) -> bool:
        return self.role is None or (self.role == ROLE_PROVINCE_VIEWER and self.province_code == province_code)

    def check_commune(self, commune_code: int, province_code: int) -> None:
        if not self.allows_commune(commune_code, province_code):
            raise DomainError("out_of_scope")

    def check_province(self, province_code: int) -> None:
        if not self.allows_province(province_code):
            raise DomainError("out_of_scope")


# -- periods ----------------------------------------------------------------------------------------

PERIOD_WEEK, PERIOD_MONTH, PERIOD_QUARTER = "week", "month", "quarter"


@dataclass(frozen=True)
class Period:
    """A reporting period of local dates (inclusive)."""

    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def holding(cls, kind: str, day: dt.date) -> "Period":
        if kind == PERIOD_WEEK:
            return cls(kind, *week_of(day))
        if kind == PERIOD_QUARTER:
            first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls(kind, first, month_of(dt.date(first.year, first.month + 2, 1))[1])
        return cls(PERIOD_MONTH, *month_of(day))

    @classmethod
    def month(cls, month: dt.date) -> "Period":
        return cls(PERIOD_MONTH, *month_of(month))

    def previous(self) -> "Period":
        return Period.holding(self.kind, self.start - dt.timedelta(days=1))

    @property
    def quarter(self) -> int:
        return (self.start.month - 1) // 3 + 1


def weeks_between(start: dt.date, end: dt.date) -> int:
    """How many Monday–Sunday weeks overlap the dates from start to end."""
    if end < start:
        return 0
    return (week_of(end)[0] - week_of(start)[0]).days // 7 + 1


# -- SQL building blocks ----------------------------------------------------------------------------


class week_index(FunctionElement):  # noqa: N801 - used like a SQL function
    """Whole weeks since Monday 2000-01-03: equal for all days of one Monday–Sunday week."""

    type = Integer()
    inherit_cache = True
    name = "week_index"


@compiles(week_index, "sqlite")
def _week_sqlite(element: week_index, compiler: Any, **kw: Any) -> str:
    return f"CAST((julianday({compiler.process(element.clauses, **kw)}) - 2451546.5) / 7 AS INTEGER)"


@compiles(week_index)
def _week_default(element: week_index, compiler: Any, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)} - DATE '2000-01-03') / 7)"


S = TrainingSession.__table__  # type: ignore[attr-defined]
H = HelpRecord.__table__  # type: ignore[attr-defined]
V = Village.__table__  # type: ignore[attr-defined]
C = Commune.__table__  # type: ignore[attr-defined]
P = Province.__table__  # type: ignore[attr-defined]
IV = IndicatorValue.__table__  # type: ignore[attr-defined]
IT = IndicatorTarget.__table__  # type: ignore[attr-defined]
MR = MonthlyReport.__table__  # type: ignore[attr-defined]


def _row(tag: str, key: Any = None, name: Any = None, a: Any = None, b: Any = None, c: Any = None,
         d: Any = None, e: Any = None, f: Any = None) -> list[Any]:
    """The columns every part of a roll-up returns: tag, key, name, five integers, a float."""
    def typed(value: Any, type_: Any) -> Any:
        if value is None:
            return cast(null(), type_)
        return literal_column(str(value), type_) if isinstance(value, int) else value

    return [literal_column(f"'{tag}'", String).label("tag"), typed(key, Integer).label("k"),
            typed(name, String).label("name"), typed(a, Integer).label("a"), typed(b, Integer).label("b"),
            typed(c, Integer).label("c"), typed(d, Integer).label("d"), typed(e, Integer).label("e"),
            typed(f, Float).label("f")]


def _run(session: Session, key: str, build: Any, params: dict[str, Any]) -> list[Any]:
    """Run a cached roll-up statement: compiled once per dialect, then handed to the driver as is.

    A commune's month is a small query (~0.5 ms on SQLite), so the per-call work of a Core execution
    (compiled-cache lookup, bind and result processing, Row objects) would be a third of it. The statement
    runs on the session's own connection, inside its transaction; dates are the only values needing
    conversion (ISO text on SQLite, native on PostgreSQL).
    """
    connection = session.connection()
    dialect = connection.dialect
    compiled = _COMPILED.get((key, dialect.name))
    if compiled is None:
        compiled = _COMPILED[(key, dialect.name)] = build().compile(dialect=dialect)
    values = compiled.construct_params(params)
    if dialect.name == "sqlite":
        values = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}
    arguments: Any = tuple(values[n] for n in compiled.positiontup) if compiled.positiontup is not None else values
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, arguments)
        return cursor.fetchall()
    finally:
        cursor.close()


_COMPILED: dict[tuple[str, str], Any] = {}
_SUBMITTED = case((MR.c.status == "submitted", 1), else_=0)
_ON_TIME = case((and_(MR.c.status == "submitted", MR.c.on_time == True), 1), else_=0)  # noqa: E712


def _live_sessions(*conditions: Any) -> Any:
    return and_(S.c.session_date >= bindparam("s", type_=Date), S.c.session_date <= bindparam("e", type_=Date),
                S.c.deleted_at.is_(None), *conditions)


def _live_help(*conditions: Any) -> Any:
    return and_(H.c.record_date >= bindparam("s", type_=Date), H.c.record_date <= bindparam("e", type_=Date),
                H.c.deleted_at.is_(None), *conditions)


def _commune_statement(one_village: bool) -> Any:
    """Villages, sessions, weeks, help, this week, indicators (month and previous), targets, report."""
    commune = bindparam("c", type_=Integer)
    village_s = [S.c.village_id == bindparam("v", type_=Integer)] if one_village else []
    village_h = [H.c.village_id == bindparam("v", type_=Integer)] if one_village else []
    village_v = [V.c.id == bindparam("v", type_=Integer)] if one_village else []
    week = week_index(S.c.session_date)
    per_week = (
        select(S.c.village_id, week.label("wk"), func.count().label("n"), func.sum(S.c.attendees).label("att"))
        .where(_live_sessions(S.c.commune_code == commune, *village_s))
        .group_by(S.c.village_id, week)
        .cte("village_weeks")
    )
    province = select(C.c.province_code).where(C.c.code == commune).scalar_subquery()
    month = bindparam("m", type_=Date)
    parts = [
        select(*_row("C", C.c.code, C.c.name, C.c.province_code)).where(C.c.code == commune),
        select(*_row("v", V.c.id, V.c.name)).where(V.c.commune_code == commune, *village_v),
        select(*_row("s", per_week.c.village_id, None, func.sum(per_week.c.n), func.sum(per_week.c.att),
                     func.count())).group_by(per_week.c.village_id),
        select(*_row("W", 0, None, func.count(distinct(per_week.c.wk)))),
        select(*_row("h", H.c.village_id, H.c.kind, func.sum(H.c.count)))
        .where(_live_help(H.c.commune_code == commune, *village_h)).group_by(H.c.village_id, H.c.kind),
        select(*_row("w", S.c.village_id)).where(
            S.c.commune_code == commune, S.c.session_date >= bindparam("ws", type_=Date),
            S.c.session_date <= bindparam("we", type_=Date), S.c.deleted_at.is_(None), *village_s,
        ).group_by(S.c.village_id),
        select(*_row("i", case((IV.c.month == month, 1), else_=0), IV.c.indicator, IV.c.numerator,
                     IV.c.denominator)).where(
            IV.c.commune_code == commune, IV.c.month.in_([month, bindparam("pm", type_=Date)])),
        select(*_row("t", case((IT.c.scope == SCOPE_COMMUNE, 1), else_=0), IT.c.indicator, f=IT.c.percent)).where(
            IT.c.year == bindparam("y", type_=Integer),
            or_(and_(IT.c.scope == SCOPE_COMMUNE, IT.c.area_code == commune),
                and_(IT.c.scope == "province", IT.c.area_code == province))),
        select(*_row("r", 0, MR.c.status, _SUBMITTED, _ON_TIME)).where(MR.c.commune_code == commune,
                                                                       MR.c.month == month),
    ]
    return union_all(*parts)


def _province_statement() -> Any:
    """Per commune of a province: villages, sessions, weeks, help, indicators, report; and the targets."""
    province = bindparam("p", type_=Integer)
    communes = select(C.c.code).where(C.c.province_code == province).scalar_subquery()
    week = week_index(S.c.session_date)
    per_week = (
        select(S.c.commune_code, S.c.village_id, week.label("wk"), func.count().label("n"),
               func.sum(S.c.attendees).label("att"))
        .where(_live_sessions(S.c.commune_code.in_(communes)))
        .group_by(S.c.commune_code, S.c.village_id, week)
        .cte("village_weeks")
    )
    month = bindparam("m", type_=Date)
    parts = [
        select(*_row("c", C.c.code, C.c.name)).where(C.c.province_code == province),
        select(*_row("n", V.c.commune_code, None, func.count())).where(V.c.commune_code.in_(communes))
        .group_by(V.c.commune_code),
        select(*_row("s", per_week.c.commune_code, None, func.sum(per_week.c.n), func.sum(per_week.c.att),
                     func.count(), func.count(distinct(per_week.c.village_id)), func.count(distinct(per_week.c.wk))))
        .group_by(per_week.c.commune_code),
        select(*_row("h", H.c.commune_code, H.c.kind, func.sum(H.c.count)))
        .where(_live_help(H.c.commune_code.in_(communes))).group_by(H.c.commune_code, H.c.kind),
        select(*_row("i", IV.c.commune_code, IV.c.indicator, IV.c.numerator, IV.c.denominator))
        .where(IV.c.month == month, IV.c.commune_code.in_(communes)),
        select(*_row("r", MR.c.commune_code, MR.c.status, _SUBMITTED, _ON_TIME))
        .where(MR.c.month == month, MR.c.commune_code.in_(communes)),
        select(*_row("t", case((IT.c.scope == SCOPE_COMMUNE, IT.c.area_code), else_=0), IT.c.indicator,
                     f=IT.c.percent)).where(
            IT.c.year == bindparam("y", type_=Integer),
            or_(and_(IT.c.scope == "province", IT.c.area_code == province),
                and_(IT.c.scope == SCOPE_COMMUNE, IT.c.area_code.in_(communes)))),
    ]
    return union_all(*parts)


def _national_statement() -> Any:
    """Per province: communes, villages, sessions, village-weeks, help, indicator sums, reports, targets."""
    week = week_index(S.c.session_date)
    per_week = (
        select(S.c.commune_code, S.c.village_id, week.label("wk"), func.count().label("n"),
               func.sum(S.c.attendees).label("att"))
        .where(_live_sessions())
        .group_by(S.c.commune_code, S.c.village_id, week)
        .cte("village_weeks")
    )
    per_commune = (
        select(per_week.c.commune_code, func.sum(per_week.c.n).label("n"), func.sum(per_week.c.att).label("att"),
               func.count().label("vw"), func.count(distinct(per_week.c.village_id)).label("vs"))
        .group_by(per_week.c.commune_code)
        .subquery()
    )
    help_per_commune = (
        select(H.c.commune_code, H.c.kind, func.sum(H.c.count).label("total"))
        .where(_live_help()).group_by(H.c.commune_code, H.c.kind).subquery()
    )
    month = bindparam("m", type_=Date)
    parts = [
        select(*_row("c", P.c.code, P.c.name, select(func.count()).where(C.c.province_code == P.c.code)
                     .scalar_subquery())),
        select(*_row("n", C.c.province_code, None, func.count())).select_from(V.join(C, V.c.commune_code == C.c.code))
        .group_by(C.c.province_code),
        select(*_row("s", C.c.province_code, None, func.sum(per_commune.c.n), func.sum(per_commune.c.att),
                     func.sum(per_commune.c.vw), func.sum(per_commune.c.vs)))
        .select_from(per_commune.join(C, per_commune.c.commune_code == C.c.code)).group_by(C.c.province_code),
        select(*_row("h", C.c.province_code, help_per_commune.c.kind, func.sum(help_per_commune.c.total)))
        .select_from(help_per_commune.join(C, help_per_commune.c.commune_code == C.c.code))
        .group_by(C.c.province_code, help_per_commune.c.kind),
        select(*_row("i", C.c.province_code, IV.c.indicator, func.sum(IV.c.numerator), func.sum(IV.c.denominator),
                     func.count())).select_from(IV.join(C, IV.c.commune_code == C.c.code))
        .where(IV.c.month == month).group_by(C.c.province_code, IV.c.indicator),
        select(*_row("r", C.c.province_code, None, func.sum(_SUBMITTED), func.sum(_ON_TIME)))
        .select_from(MR.join(C, MR.c.commune_code == C.c.code)).where(MR.c.month == month)
        .group_by(C.c.province_code),
        select(*_row("t", IT.c.area_code, IT.c.indicator, f=IT.c.percent))
        .where(IT.c.year == bindparam("y", type_=Integer), IT.c.scope == "province"),
    ]
    return union_all(*parts)


# -- results ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class VillageProgress:
    """One village's activity over a period."""

    village_id: int
    name: str
    sessions: int = 0
    attendees: int = 0
    weeks_with_session: int = 0
    help: dict[str, int] = field(default_factory=dict)
    session_this_week: bool = False

    @property
    def helped(self) -> int:
        return sum(self.help.values())


@dataclass(slots=True)
class IndicatorProgress:
    """An indicator's figure for a month against the year's target."""

    id: str
    numerator: Optional[int] = None
    denominator: Optional[int] = None
    target: Optional[float] = None
    target_scope: Optional[str] = None
    previous_percent: Optional[float] = None
    month: Optional[dt.date] = None

    @property
    def percent(self) -> Optional[float]:
        return percent_of(self.numerator, self.denominator)

    @property
    def on_track(self) -> Optional[bool]:
        return on_track(self.percent, self.target, self.month) if self.month else None

    @property
    def change(self) -> Optional[float]:
        """Percentage points since last month (None without both figures)."""
        if self.percent is None or self.previous_percent is None:
            return None
        return round(self.percent - self.previous_percent, 2)


def _indicators(month: dt.date, figures: dict[str, tuple[int, int]], previous: dict[str, tuple[int, int]],
                targets: dict[str, tuple[float, str]]) -> list[IndicatorProgress]:
    out = []
    for indicator in INDICATORS:
        now, before, target = figures.get(indicator), previous.get(indicator), targets.get(indicator)
        out.append(IndicatorProgress(
            id=indicator, numerator=now[0] if now else None, denominator=now[1] if now else None,
            target=target[0] if target else None, target_scope=target[1] if target else None,
            previous_percent=percent_of(*before) if before else None, month=month))
    return out


@dataclass
class CommuneProgress:
    """A commune (or one of its villages) over a period, with the indicators of the period's month."""

    commune_code: int
    commune_name: str
    province_code: int
    period: Period
    month: dt.date  # whose indicator figures are shown
    this_week: tuple[dt.date, dt.date]
    weeks_in_period: int
    villages: list[VillageProgress]
    weeks_with_session: int  # weeks in which at least one village held a session
    indicators: list[IndicatorProgress]
    report_status: str = "draft"
    on_time: Optional[bool] = None
    village_only: Optional[int] = None
    current: bool = True  # the period holds today; else `this_week` is the period's last week

    @property
    def sessions(self) -> int:
        return sum(v.sessions for v in self.villages)

    @property
    def attendees(self) -> int:
        return sum(v.attendees for v in self.villages)

    @property
    def help(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for village in self.villages:
            for kind, count in village.help.items():
                total[kind] = total.get(kind, 0) + count
        return total

    @property
    def helped(self) -> int:
        return sum(v.helped for v in self.villages)

    @property
    def without_session_this_week(self) -> list[VillageProgress]:
        return [v for v in self.villages if not v.session_this_week]

    @property
    def has_figures(self) -> bool:
        return any(i.denominator for i in self.indicators)


def commune_progress(session: Session, scope: Scope, commune_code: int, period: Period,
                     today: dt.date) -> CommuneProgress:
    """Per village: sessions, attendees, help by kind, weeks with a session; this week; indicators; report."""
    village = scope.village_only
    month = month_start(min(period.end, today))
    this_week = week_of(min(period.end, today))
    params = {"c": commune_code, "s": period.start, "e": period.end, "ws": this_week[0], "we": this_week[1],
              "m": month, "pm": previous_month(month), "y": month.year}
    if village is not None:
        params["v"] = village
    one = village is not None
    rows = _run(session, f"commune:{one}", lambda: _commune_statement(one), params)
    head = None
    villages: dict[int, VillageProgress] = {}
    figures: dict[str, tuple[int, int]] = {}
    previous: dict[str, tuple[int, int]] = {}
    targets: dict[str, tuple[float, str]] = {}
    weeks, status, on_time = 0, "draft", None
    # One pass; a village's line is made by whichever of its rows comes first (UNION ALL has no order).
    for row in rows:
        tag, key = row[0], row[1]
        if tag == "s" or tag == "h" or tag == "w" or tag == "v":
            line = villages.get(key)
            if line is None:
                line = villages[key] = VillageProgress(key, "")
            if tag == "s":
                line.sessions, line.attendees, line.weeks_with_session = int(row[3]), int(row[4]), int(row[5])
            elif tag == "h":
                line.help[row[2]] = int(row[3])
            elif tag == "w":
                line.session_this_week = True
            else:
                line.name = row[2]
        elif tag == "i":
            (figures if key == 1 else previous)[row[2]] = (int(row[3]), int(row[4]))
        elif tag == "t":
            if key == 1 or row[2] not in targets:
                targets[row[2]] = (float(row[8]), "commune" if key == 1 else "province")
        elif tag == "C":
            head = row
        elif tag == "W":
            weeks = int(row[3] or 0)
        elif tag == "r":
            status, on_time = row[2], (bool(row[4]) if row[3] else None)
    if head is None:
        raise DomainError("unknown_commune", code=commune_code)
    name, province_code = head[2], head[3]
    scope.check_commune(commune_code, province_code)
    ordered = [villages[k] for k in sorted(villages)]
    return CommuneProgress(
        commune_code=commune_code, commune_name=name, province_code=province_code, period=period, month=month,
        this_week=this_week, weeks_in_period=weeks_between(period.start, min(period.end, today)),
        villages=ordered, weeks_with_session=weeks, indicators=_indicators(month, figures, previous, targets),
        report_status=status, on_time=on_time, village_only=village, current=today <= period.end)


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
    figures: dict[str, tuple[int, int]] = field(default_factory=dict)
    targets: dict[str, float] = field(default_factory=dict)
    submitted: bool = False
    on_time: Optional[bool] = None

    @property
    def helped(self) -> int:
        return sum(self.help.values())

    def percent(self, indicator: str) -> Optional[float]:
        figure = self.figures.get(indicator)
        return percent_of(*figure) if figure else None

    def achievement(self) -> Optional[float]:
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
        return len(self.communes)

    @property
    def submitted(self) -> int:
        return sum(1 for c in self.communes if c.submitted)

    @property
    def on_time_count(self) -> int:
        return sum(1 for c in self.communes if c.submitted and c.on_time)

    @property
    def reporting_rate(self) -> Optional[float]:
        return percent_of(self.submitted, self.expected)

    @property
    def on_time_rate(self) -> Optional[float]:
        return percent_of(self.on_time_count, self.expected)

    @property
    def not_submitted(self) -> list[CommuneTotals]:
        return [c for c in self.communes if not c.submitted]

    def indicator_sums(self) -> list[IndicatorProgress]:
        """Sums of numerators and denominators over the communes that entered the figure."""
        sums: dict[str, tuple[int, int]] = {}
        for commune in self.communes:
            for indicator, (n, d) in commune.figures.items():
                have = sums.get(indicator, (0, 0))
                sums[indicator] = (have[0] + n, have[1] + d)
        targets = {k: (v, "province") for k, v in self.targets.items()}
        return _indicators(month_start(self.period.start), sums, {}, targets)

    def reporting_figures(self, indicator: str) -> int:
        return sum(1 for c in self.communes if indicator in c.figures)

    def furthest_behind(self, limit: int = 5) -> list[CommuneTotals]:
        """The communes furthest from their targets (lowest mean share reached), then those with no figures."""
        rated = [(c.achievement(), c) for c in self.communes]
        with_figures = sorted((r for r in rated if r[0] is not None), key=lambda r: (r[0], r[1].code))
        return [c for _, c in with_figures[:limit]]

    @property
    def sessions(self) -> int:
        return sum(c.sessions for c in self.communes)

    @property
    def attendees(self) -> int:
        return sum(c.attendees for c in self.communes)

    @property
    def help(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for commune in self.communes:
            for kind, count in commune.help.items():
                total[kind] = total.get(kind, 0) + count
        return total


def province_rollup(session: Session, scope: Scope, province_code: int, month: dt.date) -> ProvinceRollup:
    """Every commune of a province for a month, in one statement."""
    scope.check_province(province_code)
    province = session.get(Province, province_code)
    if province is None:
        raise DomainError("unknown_province", code=province_code)
    period = Period.month(month)
    params = {"p": province_code, "s": period.start, "e": period.end, "m": period.start, "y": period.start.year}
    rows = _run(session, "province", _province_statement, params)
    communes: dict[int, CommuneTotals] = {}
    province_targets: dict[str, float] = {}
    for tag, key, text, *_rest in rows:
        if tag == "c":
            communes[key] = CommuneTotals(key, text)
    own_targets: list[tuple[int, str, float]] = []
    for tag, key, text, a, b, c, d, e, f in rows:
        line = communes.get(key)
        if tag == "n" and line:
            line.villages = int(a)
        elif tag == "s" and line:
            line.sessions, line.attendees, line.village_weeks = int(a), int(b), int(c)
            line.villages_with_session, line.weeks_with_session = int(d), int(e)
        elif tag == "h" and line:
            line.help[text] = int(a)
        elif tag == "i" and line:
            line.figures[text] = (int(a), int(b))
        elif tag == "r" and line:
            line.submitted = bool(a)
            line.on_time = bool(b) if a else None
        elif tag == "t":
            if key == 0:
                province_targets[text] = float(f)
            else:
                own_targets.append((key, text, float(f)))
    for line in communes.values():
        line.targets = dict(province_targets)
    for code, indicator, percent in own_targets:
        if code in communes:
            communes[code].targets[indicator] = percent
    ordered = sorted(communes.values(), key=lambda c: c.code)
    return ProvinceRollup(province_code, province.name, period, ordered, province_targets)


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


def national_rollup(session: Session, scope: Scope, month: dt.date) -> list[ProvinceTotals]:
    """All provinces for a month (operator only), in one statement."""
    if scope.role is not None:
        raise DomainError("out_of_scope")
    period = Period.month(month)
    params = {"s": period.start, "e": period.end, "m": period.start, "y": period.start.year}
    rows = _run(session, "national", _national_statement, params)
    provinces: dict[int, ProvinceTotals] = {}
    for tag, key, text, a, *_rest in rows:
        if tag == "c":
            provinces[key] = ProvinceTotals(key, text, communes=int(a))
    for tag, key, text, a, b, c, d, _e, f in rows:
        line = provinces.get(key)
        if line is None:
            continue
        if tag == "n":
            line.villages = int(a)
        elif tag == "s":
            line.sessions, line.attendees, line.village_weeks, line.villages_with_session = (
                int(a), int(b), int(c), int(d))
        elif tag == "h":
            line.help[text] = int(a)
        elif tag == "i":
            line.figures[text] = (int(a), int(b), int(c))
        elif tag == "r":
            line.submitted, line.on_time = int(a or 0), int(b or 0)
        elif tag == "t":
            line.targets[text] = float(f)
    return sorted(provinces.values(), key=lambda p: p.code)



@dataclass(frozen=True)
class SessionLine:
    """One session in a report's list."""

    id: int
    day: dt.date
    village: str
    topics: list[str]
    attendees: int


def sessions_in(session: Session, scope: Scope, commune_code: int, province_code: int, start: dt.date,
                end: dt.date) -> list[SessionLine]:
    """The live sessions of a commune (or the asker's village) between two dates, oldest first."""
    scope.check_commune(commune_code, province_code)
    query = (
        select(S.c.id, S.c.session_date, V.c.name, S.c.topics, S.c.attendees)
        .select_from(S.join(V, S.c.village_id == V.c.id))
        .where(S.c.commune_code == commune_code, S.c.session_date >= start, S.c.session_date <= end,
               S.c.deleted_at.is_(None))
        .order_by(S.c.session_date, S.c.id)
    )
    if scope.village_only is not None:
        query = query.where(S.c.village_id == scope.village_only)
    return [SessionLine(int(i), d, name, list(topics or []), int(a))
            for i, d, name, topics, a in session.connection().execute(query)]
