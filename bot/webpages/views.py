"""What the leaders' pages show, read from the roll-ups `bdhvs report` reads (storage/progress, storage/reports).

A month page is built with the very call the monthly report makes (`commune_progress` over the month, as of
the month's last day at the earliest), so the page and `bdhvs report --format json` cannot disagree; a quarter
is read the same way over the quarter. The heat-map's cells (each week of the period, cut to the period's
bounds, as the report counts only its own days) are read by day (`daily_activity`), or folded from the rows
supervision read for the commune's flags when they were not kept (its sessions and people helped by village
and day), and the trend since January from one read by month (`storage/progress/series.py`), not one roll-up
per week and per month; tests/web/test_trend.py holds them equal to each week's and month's roll-up. A
commune's flags, days and months are kept while nothing they were read from changes (storage/kept.py). A
period that is over takes its honour roll from the same roll-up (`storage/supervision/honour.py:village_roll_of`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.areas import get_commune, get_province
from storage.indicators import FIVE, on_track
from storage.kept import read_ahead
from storage.models import MonthlyReport, Village
from storage.periods import PERIOD_MONTH, PERIOD_QUARTER, PERIOD_WEEK, Period, previous_month, week_of, weeks_between
from storage.progress import (
    CommuneProgress,
    CommuneTotals,
    IndicatorProgress,
    ProvinceRollup,
    ReportingMonth,
    commune_progress,
    province_rollup,
    reporting_by_month,
)
from storage.progress.figures import indicator_lines
from storage.progress.series import (
    DAYS,
    MONTHS,
    DailyActivity,
    daily_activity,
    daily_activity_kept,
    monthly_figures,
    monthly_sessions_kept,
    year_targets,
)
from storage.reports import deadline_day, due_date, report_for
from storage.scope import Scope
from storage.supervision import Flag
from storage.supervision.entries import Entries
from storage.supervision.honour import Standing, village_roll, village_roll_of
from storage.supervision.tallies import FLAGS, commune_flags_kept
from storage.text import fold

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_QUARTER = re.compile(r"(\d{4})-[Qq]?([1-4])")


def read_period(month: str | None, quarter: str | None, today: dt.date) -> Period | None:
    """`?month=YYYY-MM` or `?quarter=YYYY-Q` (this month when neither is given); None when unreadable."""
    if quarter:
        match = _QUARTER.fullmatch(quarter.strip())
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            return None
        return Period.holding(PERIOD_QUARTER, dt.date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1))
    if month:
        match = _MONTH.fullmatch(month.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or not 2000 <= int(match.group(1)) <= 2100:
            return None
        return Period.month(dt.date(int(match.group(1)), int(match.group(2)), 1))
    return Period.month(today)


def period_query(period: Period) -> str:
    """The query string naming a period: month=2026-11 or quarter=2026-4."""
    if period.kind == PERIOD_QUARTER:
        return f"quarter={period.start.year}-{period.quarter}"
    return f"month={period.start:%Y-%m}"


def as_of(period: Period, today: dt.date) -> dt.date:
    """The day a period is read as of: a month as the monthly report reads it (its last day at the earliest),
    a quarter as of today, so its indicators are this month's."""
    return max(today, period.end) if period.kind == PERIOD_MONTH else today


def week_columns(period: Period) -> list[Period]:
    """The Monday–Sunday weeks overlapping the period, each cut to the period's bounds."""
    columns = []
    monday = week_of(period.start)[0]
    while monday <= period.end:
        columns.append(Period(PERIOD_WEEK, max(monday, period.start), min(monday + dt.timedelta(days=6), period.end)))
        monday += dt.timedelta(days=7)
    return columns


@dataclass(frozen=True)
class Cell:
    """One village's week: sessions held, people attending, people helped (None: the week has not begun)."""

    sessions: int | None
    attendees: int = 0
    helped: int = 0


@dataclass
class VillageRow:
    """A village's line: its totals over the period and its weeks."""

    id: int
    name: str
    sessions: int
    attendees: int
    helped: int
    weeks_with_session: int
    cells: list[Cell] = field(default_factory=list)


@dataclass(frozen=True)
class MonthStatus:
    """A month's report: submitted or not, on time or late, and its deadline."""

    month: dt.date
    submitted: bool
    on_time: bool | None
    submitted_at: dt.datetime | None
    deadline: dt.date


@dataclass(frozen=True)
class TrendMonth:
    """One month of the trend since January: the monthly report's figures for that month."""

    month: dt.date
    indicators: list[IndicatorProgress]
    sessions: int
    villages: int
    villages_with_session: int
    weeks: int  # weeks of the month: one session a week in every village is the rule


@dataclass
class AreaView:
    """A commune's or a village's page: the heat-map rows, totals, indicators and the months' reports."""

    commune_code: int
    commune_name: str
    province_code: int
    province_name: str
    period: Period
    weeks: list[Period]
    rows: list[VillageRow]
    indicators: list[IndicatorProgress]
    indicator_month: dt.date
    months: list[MonthStatus]
    village: Village | None = None
    trend: list[TrendMonth] = field(default_factory=list)  # a commune's months since January
    flags: list[Flag] = field(default_factory=list)  # a commune's entries worth a second look
    honour: list[Standing] = field(default_factory=list)  # a commune's most regular villages

    @property
    def sessions(self) -> int:
        """Sessions over the period, all rows together."""
        return sum(r.sessions for r in self.rows)

    @property
    def attendees(self) -> int:
        """Attendees over the period, all rows together."""
        return sum(r.attendees for r in self.rows)

    @property
    def helped(self) -> int:
        """People helped over the period, all rows together."""
        return sum(r.helped for r in self.rows)


def area_view(
    session: Session,
    scope: Scope,
    commune_code: int,
    period: Period,
    today: dt.date,
    village: Village | None = None,
    tz: ZoneInfo = VIETNAM,
) -> AreaView:
    """A commune's page (or one village's, with a village scope) over the period, from the reports' roll-ups."""
    commune = get_commune(session, commune_code)
    province = get_province(session, commune.province_code)
    whole: CommuneProgress = commune_progress(session, scope, commune_code, period, as_of(period, today))
    weeks = week_columns(period)
    flags: list[Flag] = []
    days: DailyActivity | None = None
    if village is None:
        # The flags, the heat-map's days and the trend's months are kept while they hold (storage/kept.py), all
        # three looked up in one statement; when the flags had to be read, the days are folded from the same rows
        # (the commune's sessions and people helped by village and day), not read a second time.
        months = trend_months(period, today)
        read_ahead(
            session,
            commune_code,
            [(FLAGS, period.start, period.end), (DAYS, period.start, period.end), (MONTHS, months[0], months[-1])],
        )
        supervision = commune_flags_kept(session, commune_code, period, tz)
        flags = supervision.flags
        folded = None if supervision.entries is None else days_of(supervision.entries, period)
        days = daily_activity_kept(session, commune_code, period.start, period.end, folded)
    if days is None:
        # One read of the days behind the heat-map's weeks (see storage/progress/series.py).
        village_id = None if village is None else village.id
        days = daily_activity(session, commune_code, period.start, period.end, village_id)
    by_week = days.by_week([(week.start, week.end) for week in weeks])
    empty = (0, 0, 0)
    rows = []
    for v in whole.villages:
        if village is not None and v.village_id != village.id:
            continue
        cells = [
            Cell(*by_week.get((v.village_id, index), empty)) if week.start <= today else Cell(None)
            for index, week in enumerate(weeks)
        ]
        rows.append(VillageRow(v.village_id, v.name, v.sessions, v.attendees, v.helped, v.weeks_with_session, cells))
    deadline = deadline_day(session, commune.province_code)
    statuses = []
    month = period.start
    while month <= period.end:
        report: MonthlyReport | None = report_for(session, commune_code, month)
        submitted = report is not None and report.status == "submitted"
        statuses.append(
            MonthStatus(
                month,
                submitted,
                report.on_time if submitted and report else None,
                report.submitted_at if submitted and report else None,
                due_date(month, deadline),
            )
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return AreaView(
        commune_code=commune_code,
        commune_name=commune.name,
        province_code=province.code,
        province_name=province.name,
        period=period,
        weeks=weeks,
        rows=rows,
        indicators=whole.indicators,
        indicator_month=whole.month,
        months=statuses,
        village=village,
        trend=[] if village is not None else trend_of(session, commune_code, trend_months(period, today), len(rows)),
        flags=flags,
        honour=[] if village is not None else _honour(session, whole, period, today),
    )


def _honour(session: Session, whole: CommuneProgress, period: Period, today: dt.date) -> list[Standing]:
    """The commune's most regular villages: from its roll-up of the period when the period is over."""
    honour = village_roll_of(whole.villages, period, today)
    return honour if honour is not None else village_roll(session, whole.commune_code, period, today)


def days_of(entries: Entries, period: Period) -> DailyActivity | None:
    """The heat-map's days (sessions, attendees, people helped per village and day of the period) from the rows
    supervision read; None when it read none (the people helped were then not read)."""
    if entries.helped is None:
        return None
    activity = DailyActivity()
    held = activity.sessions
    for entry in entries.sessions:
        if period.start <= entry.day <= period.end:
            key = (entry.village_id, entry.day)
            count, attendees = held.get(key, (0, 0))
            held[key] = (count + 1, attendees + entry.attendees)
    activity.helped = {key: n for key, n in entries.helped.items() if period.start <= key[1] <= period.end}
    return activity


def province_view(session: Session, scope: Scope, province_code: int, period: Period) -> ProvinceRollup:
    """A province's month (a quarter's last month), as `bdhvs report --province` reads it."""
    return province_rollup(session, scope, province_code, period.end.replace(day=1))


def trend_months(period: Period, today: dt.date) -> list[dt.date]:
    """The months from January of the chosen month's year to the chosen month (a quarter: its last month), none
    after this month."""
    last = min(period.end, max(today, period.start)).replace(day=1)
    return [dt.date(last.year, m, 1) for m in range(1, last.month + 1)]


def trend_of(session: Session, commune_code: int, months: Sequence[dt.date], villages: int) -> list[TrendMonth]:
    """Each month since January as the monthly report reads it: the month's sessions and villages with one, and
    its indicators (its figures, the month before's, the year's targets), from three reads over all the months,
    not one roll-up per month (tests/web/test_trend.py holds them equal)."""
    if not months:
        return []
    activity = monthly_sessions_kept(session, commune_code, months)
    figures = monthly_figures(session, commune_code, previous_month(months[0]), months[-1])
    targets = year_targets(session, commune_code, months[-1].year)
    trend = []
    for first in months:
        month = Period.month(first)
        trend.append(
            TrendMonth(
                month=first,
                indicators=indicator_lines(
                    first, figures.get(first, {}), figures.get(previous_month(first), {}), targets
                ),
                sessions=activity[first].sessions,
                villages=villages,
                villages_with_session=activity[first].villages_with_session,
                weeks=weeks_between(month.start, month.end),
            )
        )
    return trend


# The province table's filters (`?filter=`): a commune's report submitted or not, on time, late, behind target.
FILTERS = ("all", "submitted", "not_submitted", "on_time", "late", "below_target")


def below_target(commune: CommuneTotals, month: dt.date) -> bool:
    """Whether one of the five indicators is behind the straight path to the year's target by the end of the
    month (the judgement that colours a commune page's bar red); a figure or target missing says nothing."""
    return any(
        on_track(commune.percent(indicator), commune.targets.get(indicator), month) is False for indicator in FIVE
    )


def filter_communes(communes: Sequence[CommuneTotals], kind: str, month: dt.date) -> list[CommuneTotals]:
    """The communes a filter keeps: `submitted`, `not_submitted`, `on_time` / `late` (submitted on time or after
    the deadline), `below_target`; anything else keeps all."""
    keep: dict[str, Callable[[CommuneTotals], bool]] = {
        "submitted": lambda c: c.submitted,
        "not_submitted": lambda c: not c.submitted,
        "on_time": lambda c: c.submitted and bool(c.on_time),
        "late": lambda c: c.submitted and not c.on_time,
        "below_target": lambda c: below_target(c, month),
    }
    test = keep.get(kind)
    return list(communes) if test is None else [c for c in communes if test(c)]


def village_share(commune: CommuneTotals) -> float:
    """The share of a commune's villages that held a session in the month (0 with no village set up)."""
    return commune.villages_with_session / commune.villages if commune.villages else 0.0


def furthest_behind(communes: Sequence[CommuneTotals], limit: int = 10) -> list[CommuneTotals]:
    """The communes furthest behind: the lowest share of villages with a session this month first (a commune
    with no village set up counts as 0), then the lowest indicator achievement (the mean share of the year's
    target reached over the five indicators; none entered counts as lowest), then the name."""

    def key(c: CommuneTotals) -> tuple[float, float, str, int]:
        achievement = c.achievement()
        return (village_share(c), -1.0 if achievement is None else achievement, fold(c.name), c.code)

    return sorted(communes, key=key)[:limit]


def province_rates(
    session: Session, scope: Scope, province_code: int, period: Period, today: dt.date
) -> list[ReportingMonth]:
    """The reporting and on-time rates of each month since January: the report lines the province's monthly
    roll-up reads, counted for every month in one statement (not one roll-up per month: the page must stay
    quick for a province of 168 communes)."""
    months = trend_months(period, today)
    return reporting_by_month(session, scope, province_code, months[0], months[-1])
