"""What supervision reads: the live sessions of one or more communes, each with what the rules look at.

Three statements whatever the number of villages or communes: the sessions (with their village, its household
count and who entered them), the people helped per village and day, and the provinces' deadline days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from storage.models import Commune, HelpRecord, Member, ProvinceSetting, TrainingSession, Village
from storage.periods import Period
from storage.reports import DEFAULT_DEADLINE_DAY

HISTORY_WEEKS = 8  # how far before the period the rules look back (a village's usual, a run of weeks)


@dataclass(frozen=True)
class Entry:
    """A session as supervision reads it."""

    id: int
    village_id: int
    village: str
    day: dt.date
    attendees: int
    logged_by: str
    logged_on: dt.date  # the local day it was entered
    commune_code: int = 0
    households: int | None = None  # the village's household count, where known (/thon)
    helped: int = 0  # people the village helped that day (its help records)
    photos: int = 0  # evidence photos attached


@dataclass(frozen=True)
class Flag:
    """An entry (or several) worth a second look, and why."""

    rule: str
    entries: tuple[Entry, ...]
    median: float | None = None  # crowd: the village's usual
    days_late: int | None = None  # late entry: days between the session and its entry
    deadline: dt.date | None = None  # rush: the reporting deadline the entries came just before

    @property
    def first(self) -> Entry:
        """The entry the flag names first."""
        return self.entries[0]

    @property
    def commune_code(self) -> int:
        """The commune of the entries."""
        return self.first.commune_code


@dataclass(frozen=True)
class Entries:
    """The sessions the rules read, and each commune's reporting deadline day."""

    sessions: list[Entry]
    deadline_days: dict[int, int]  # commune code -> the day of the next month its report is due

    def by_commune(self) -> dict[int, list[Entry]]:
        """The sessions of each commune, in day order."""
        grouped: dict[int, list[Entry]] = defaultdict(list)
        for entry in self.sessions:
            grouped[entry.commune_code].append(entry)
        return grouped


def local_day(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The local day of a stored timestamp (UTC; a naive one, as SQLite returns it, is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()


def _helped(
    session: Session, commune_codes: Sequence[int], start: dt.date, end: dt.date
) -> dict[tuple[int, dt.date], int]:
    """People helped per (village, day) over the dates, live records only: one grouped statement."""
    statement = (
        select(col(HelpRecord.village_id), col(HelpRecord.record_date), func.sum(col(HelpRecord.count)))
        .where(
            col(HelpRecord.commune_code).in_(list(commune_codes)),
            col(HelpRecord.deleted_at).is_(None),
            col(HelpRecord.record_date) >= start,
            col(HelpRecord.record_date) <= end,
        )
        .group_by(col(HelpRecord.village_id), col(HelpRecord.record_date))
    )
    return {(village, day): int(total or 0) for village, day, total in session.exec(statement)}


def _deadline_days(session: Session, commune_codes: Sequence[int]) -> dict[int, int]:
    """Each commune's deadline day (its province's setting, else the 20th)."""
    statement = (
        select(Commune.code, ProvinceSetting.report_deadline_day)
        .select_from(Commune)
        .outerjoin(ProvinceSetting, col(ProvinceSetting.province_code) == Commune.province_code)
        .where(col(Commune.code).in_(list(commune_codes)))
    )
    return {code: day or DEFAULT_DEADLINE_DAY for code, day in session.exec(statement)}


def load_entries(session: Session, commune_codes: Sequence[int], period: Period, tz: ZoneInfo) -> Entries:
    """The communes' live sessions held from `HISTORY_WEEKS` weeks before the period to its end, or entered in it."""
    history = period.start - dt.timedelta(weeks=HISTORY_WEEKS)
    entered_from = dt.datetime.combine(period.start, dt.time(), tz).astimezone(dt.UTC)
    entered_to = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    statement = (
        select(TrainingSession, Village.name, Village.households, Member.display_name)
        .join(Village, col(Village.id) == TrainingSession.village_id)
        .join(Member, col(Member.id) == TrainingSession.author_id)
        .where(
            col(TrainingSession.commune_code).in_(list(commune_codes)),
            col(TrainingSession.deleted_at).is_(None),
            or_(
                and_(col(TrainingSession.session_date) >= history, col(TrainingSession.session_date) <= period.end),
                and_(col(TrainingSession.created_at) >= entered_from, col(TrainingSession.created_at) < entered_to),
            ),
        )
        .order_by(col(TrainingSession.session_date), col(TrainingSession.id))
    )
    rows = list(session.exec(statement))
    first_day = min((row.session_date for row, *_ in rows), default=history)
    helped = _helped(session, commune_codes, min(first_day, history), period.end) if rows else {}
    sessions = [
        Entry(
            id=row.id or 0,
            village_id=row.village_id,
            village=village,
            day=row.session_date,
            attendees=row.attendees,
            logged_by=author,
            logged_on=local_day(row.created_at, tz),
            commune_code=row.commune_code,
            households=households,
            helped=helped.get((row.village_id, row.session_date), 0),
            photos=len(row.evidence or []),
        )
        for row, village, households, author in rows
    ]
    return Entries(sessions, _deadline_days(session, commune_codes) if rows else {})
