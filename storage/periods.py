"""Reporting periods, computed on local dates (Asia/Ho_Chi_Minh): week Monday–Sunday, month."""

from __future__ import annotations

import calendar
import datetime as dt


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and Sunday of the week holding `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month holding `day`."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)
