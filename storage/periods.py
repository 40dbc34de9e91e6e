"""Reporting periods, computed on local dates (Asia/Ho_Chi_Minh): week Monday–Sunday, month, quarter."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

PERIOD_WEEK, PERIOD_MONTH, PERIOD_QUARTER = "week", "month", "quarter"


def as_date(value: dt.date | str) -> dt.date:
    """A date column's value as a date (SQLite may hand back its ISO text)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and Sunday of the week holding `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month holding `day`."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def month_start(day: dt.date) -> dt.date:
    """The first day of the month holding `day` (how a month is keyed in the tables)."""
    return day.replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    """The first day of the month before the one holding `month`."""
    return (month_start(month) - dt.timedelta(days=1)).replace(day=1)


def month_end(month: dt.date) -> dt.date:
    """The last day of the month holding `month`."""
    return month_of(month)[1]


def weeks_between(start: dt.date, end: dt.date) -> int:
    """How many Monday–Sunday weeks overlap the dates from start to end."""
    if end < start:
        return 0
    return (week_of(end)[0] - week_of(start)[0]).days // 7 + 1


@dataclass(frozen=True)
class Period:
    """A reporting period of local dates (inclusive)."""

    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def holding(cls, kind: str, day: dt.date) -> Period:
        """The week, month or quarter holding `day` (an unknown kind is a month)."""
        if kind == PERIOD_WEEK:
            return cls(kind, *week_of(day))
        if kind == PERIOD_QUARTER:
            first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls(kind, first, month_of(dt.date(first.year, first.month + 2, 1))[1])
        return cls(PERIOD_MONTH, *month_of(day))

    @classmethod
    def month(cls, month: dt.date) -> Period:
        """The month holding `month`."""
        return cls(PERIOD_MONTH, *month_of(month))

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return Period.holding(self.kind, self.start - dt.timedelta(days=1))

    @property
    def quarter(self) -> int:
        """The quarter (1–4) the period starts in."""
        return (self.start.month - 1) // 3 + 1
