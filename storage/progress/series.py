"""A commune's activity day by day and month by month and its indicator figures month by month, each in one
statement, for the leaders' page: the heat-map's weeks and the trend since January fold these instead of
running one roll-up per week and per month (17 roll-ups for a commune's page in December; bench/dashboard.py
measured it).

The rows are the ones the roll-ups count (`storage/progress/commune.py`): live sessions and help records of the
commune's villages by date, the figures entered per month, the year's targets of the commune or its province
(the commune's own winning). tests/web/test_trend.py holds the folded figures equal to each roll-up's. The
caller has already checked the asking member's scope on the commune (the page's roll-up of the period does).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Date, and_, bindparam, func, or_, select
from sqlmodel import Session

from storage import kept
from storage.indicators import SCOPE_COMMUNE, SCOPE_PROVINCE
from storage.periods import as_date, month_of
from storage.progress import sql as progress_sql
from storage.progress.figures import Figure, Target
from storage.progress.sql import COMMUNES, FIGURES, HELP, SESSIONS, TARGETS, month_index, month_number


@dataclass
class DailyActivity:
    """Per village and day between two dates: sessions held, their attendees, people helped."""

    sessions: dict[tuple[int, dt.date], tuple[int, int]] = field(default_factory=dict)  # (sessions, attendees)
    helped: dict[tuple[int, dt.date], int] = field(default_factory=dict)

    def by_week(self, weeks: Sequence[tuple[dt.date, dt.date]]) -> dict[tuple[int, int], tuple[int, int, int]]:
        """Per (village, index of the week in `weeks`): sessions, attendees, people helped; each day counted in
        the first of the (start, end) spans holding it, days in none left out; a week without any, absent."""
        column: dict[dt.date, int] = {}
        for index, (start, end) in enumerate(weeks):
            day = start
            while day <= end:
                column.setdefault(day, index)
                day += dt.timedelta(days=1)
        cells: dict[tuple[int, int], tuple[int, int, int]] = {}
        for (village, day), (count, attendees) in self.sessions.items():
            at = column.get(day)
            if at is not None:
                held, came, helped = cells.get((village, at), (0, 0, 0))
                cells[(village, at)] = (held + count, came + attendees, helped)
        for (village, day), n in self.helped.items():
            at = column.get(day)
            if at is not None:
                held, came, helped = cells.get((village, at), (0, 0, 0))
                cells[(village, at)] = (held, came, helped + n)
        return cells


@dataclass(frozen=True)
class MonthActivity:
    """A month's sessions, every village together, and how many villages held one."""

    sessions: int = 0
    villages_with_session: int = 0


_MONTH = month_index(SESSIONS.c.session_date).label("month")
_MONTHLY_SESSIONS = (
    select(_MONTH, func.count(), func.count(SESSIONS.c.village_id.distinct()))
    .where(
        SESSIONS.c.commune_code == bindparam("commune"),
        SESSIONS.c.session_date >= bindparam("first", type_=Date),
        SESSIONS.c.session_date <= bindparam("last", type_=Date),
        SESSIONS.c.deleted_at.is_(None),
    )
    .group_by(_MONTH)
)


def monthly_sessions(session: Session, commune_code: int, months: Sequence[dt.date]) -> dict[dt.date, MonthActivity]:
    """The commune's live sessions in each of these months (first days, in order) and how many villages held
    one: one read grouped by month (`month_index`), a row a month, from the covering index of the sessions by
    commune and day."""
    if not months:
        return {}
    params = {"commune": commune_code, "first": months[0], "last": month_of(months[-1])[1]}
    index = {month_number(first): i for i, first in enumerate(months)}
    sessions = [0] * len(months)
    villages = [0] * len(months)
    for month, count, held_in in session.connection().execute(_MONTHLY_SESSIONS, params):
        i = index.get(int(month))
        if i is not None:
            sessions[i] += int(count)
            villages[i] += int(held_in)
    return {first: MonthActivity(sessions[i], villages[i]) for i, first in enumerate(months)}


def daily_activity(
    session: Session, commune_code: int, start: dt.date, end: dt.date, village_id: int | None = None
) -> DailyActivity:
    """The commune's (or one village's) live sessions and help records from `start` to `end`, by village and day:
    two grouped reads."""
    on_sessions = [
        SESSIONS.c.commune_code == commune_code,
        SESSIONS.c.session_date >= start,
        SESSIONS.c.session_date <= end,
        SESSIONS.c.deleted_at.is_(None),
    ]
    on_help = [
        HELP.c.commune_code == commune_code,
        HELP.c.record_date >= start,
        HELP.c.record_date <= end,
        HELP.c.deleted_at.is_(None),
    ]
    if village_id is not None:
        on_sessions.append(SESSIONS.c.village_id == village_id)
        on_help.append(HELP.c.village_id == village_id)
    activity = DailyActivity()
    held = session.connection().execute(
        select(SESSIONS.c.village_id, SESSIONS.c.session_date, func.count(), func.sum(SESSIONS.c.attendees))
        .where(*on_sessions)
        .group_by(SESSIONS.c.village_id, SESSIONS.c.session_date)
    )
    for village, day, count, attendees in held:
        activity.sessions[(int(village), as_date(day))] = (int(count), int(attendees or 0))
    helped = session.connection().execute(
        select(HELP.c.village_id, HELP.c.record_date, func.sum(HELP.c.count))
        .where(*on_help)
        .group_by(HELP.c.village_id, HELP.c.record_date)
    )
    for village, day, count in helped:
        activity.helped[(int(village), as_date(day))] = int(count or 0)
    return activity


_MONTHLY_FIGURES = select(FIGURES.c.month, FIGURES.c.indicator, FIGURES.c.numerator, FIGURES.c.denominator).where(
    FIGURES.c.commune_code == bindparam("commune"),
    FIGURES.c.month >= bindparam("first", type_=Date),
    FIGURES.c.month <= bindparam("last", type_=Date),
)


def monthly_figures(
    session: Session, commune_code: int, first: dt.date, last: dt.date
) -> dict[dt.date, dict[str, Figure]]:
    """The indicator figures the commune entered for each month from `first` to `last` (first days)."""
    rows = session.connection().execute(_MONTHLY_FIGURES, {"commune": commune_code, "first": first, "last": last})
    figures: dict[dt.date, dict[str, Figure]] = defaultdict(dict)
    for month, indicator, numerator, denominator in rows:
        figures[as_date(month)][indicator] = (int(numerator), int(denominator))
    return figures


_YEAR_TARGETS = select(TARGETS.c.indicator, TARGETS.c.percent, TARGETS.c.scope).where(
    TARGETS.c.year == bindparam("year"),
    or_(
        and_(TARGETS.c.scope == SCOPE_COMMUNE, TARGETS.c.area_code == bindparam("commune")),
        and_(
            TARGETS.c.scope == SCOPE_PROVINCE,
            TARGETS.c.area_code
            == select(COMMUNES.c.province_code).where(COMMUNES.c.code == bindparam("commune")).scalar_subquery(),
        ),
    ),
)


def year_targets(session: Session, commune_code: int, year: int) -> dict[str, Target]:
    """The year's targets for the commune: its province's, replaced by the commune's own where it set one."""
    rows = session.connection().execute(_YEAR_TARGETS, {"year": year, "commune": commune_code})
    own: dict[str, Target] = {}
    of_province: dict[str, Target] = {}
    for indicator, percent, scope in rows:
        (own if scope == SCOPE_COMMUNE else of_province)[indicator] = (float(percent), scope)
    return {**of_province, **own}


# Reads of a commune kept while they hold (storage/kept.py): the leaders' page reads them on every view.
DAYS, MONTHS = "days", "months"


@lru_cache(maxsize=1)
def _code() -> str:
    """The fingerprint of this module and the statements' helpers."""
    return kept.fingerprint(sys.modules[__name__], progress_sql)


def daily_activity_kept(
    session: Session, commune_code: int, start: dt.date, end: dt.date, folded: DailyActivity | None = None
) -> DailyActivity:
    """`daily_activity` of the whole commune, kept while it holds; `folded`: the same days already folded from
    rows read for something else (kept instead of reading them)."""
    found = kept.kept_of_commune(session, commune_code, DAYS, start, end, _code())
    if found.value is not None:
        return DailyActivity(
            sessions={
                (village, dt.date.fromisoformat(day)): (n, came) for village, day, n, came in found.value["sessions"]
            },
            helped={(village, dt.date.fromisoformat(day)): n for village, day, n in found.value["helped"]},
        )
    activity = folded if folded is not None else daily_activity(session, commune_code, start, end)
    value = {
        "sessions": [[village, day.isoformat(), n, came] for (village, day), (n, came) in activity.sessions.items()],
        "helped": [[village, day.isoformat(), n] for (village, day), n in activity.helped.items()],
    }
    kept.keep_soon(session, DAYS, start, end, [(commune_code, found.stamp, value)])
    return activity


def monthly_sessions_kept(
    session: Session, commune_code: int, months: Sequence[dt.date]
) -> dict[dt.date, MonthActivity]:
    """`monthly_sessions`, kept while it holds."""
    if not months:
        return {}
    found = kept.kept_of_commune(session, commune_code, MONTHS, months[0], months[-1], _code())
    if found.value is not None and len(found.value) == len(months):
        return {first: MonthActivity(n, held_in) for first, (n, held_in) in zip(months, found.value, strict=True)}
    activity = monthly_sessions(session, commune_code, months)
    value = [[activity[first].sessions, activity[first].villages_with_session] for first in months]
    kept.keep_soon(session, MONTHS, months[0], months[-1], [(commune_code, found.stamp, value)])
    return activity
