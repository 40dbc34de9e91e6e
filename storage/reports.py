"""Monthly reports: a submitted month is locked against changes until a province viewer reopens it."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlmodel import Session, select

from storage.errors import DomainError
from storage.models import MonthlyReport


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def report_for(session: Session, commune_code: int, day: dt.date) -> Optional[MonthlyReport]:
    return session.exec(
        select(MonthlyReport).where(MonthlyReport.commune_code == commune_code,
                                    MonthlyReport.month == month_start(day))
    ).first()


def is_locked(session: Session, commune_code: int, day: dt.date) -> bool:
    """Whether the commune has submitted the month holding `day`."""
    report = report_for(session, commune_code, day)
    return report is not None and report.status == "submitted"


def ensure_open(session: Session, commune_code: int, day: dt.date) -> None:
    """Refuse a change to a submitted month, saying which month."""
    if is_locked(session, commune_code, day):
        raise DomainError("month_locked", month=f"{day.month:02d}/{day.year}")
