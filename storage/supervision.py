"""Supervision: the commune's sessions worth a second look (the plans' "kiểm tra định kỳ và đột xuất").

A flag says why an entry stands out, never that it is wrong. Three rules, over live (not deleted) sessions:

- `crowd`: a session with at least `CROWD_MIN` attendees and more than `CROWD_FACTOR` times the median of the
  village's sessions in the `CROWD_WEEKS` weeks before its day (at least `CROWD_HISTORY` of them; with fewer,
  the village's usual is not known and nothing is said);
- `burst`: one person entering at least `BURST_ENTRIES` sessions on one day (local) for at least
  `BURST_VILLAGES` villages: one flag for the day, naming each entry;
- `late_entry`: a session entered more than `LATE_DAYS` days after its day.

Crowd and late entries are those whose day lies in the period; a burst, a day of entering in the period.
Each names the village, the day and who entered it (a team member's name; never a citizen's: none is stored).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from storage.models import Member, TrainingSession, Village
from storage.periods import Period

CROWD_FACTOR, CROWD_MIN, CROWD_WEEKS, CROWD_HISTORY = 3, 30, 8, 2
BURST_ENTRIES, BURST_VILLAGES = 5, 3
LATE_DAYS = 7

RULE_CROWD, RULE_BURST, RULE_LATE = "crowd", "burst", "late_entry"


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


@dataclass(frozen=True)
class Flag:
    """An entry (or a day's entries) worth a second look, and why."""

    rule: str
    entries: tuple[Entry, ...]
    median: float | None = None  # crowd: the village's usual
    days_late: int | None = None  # late entry: days between the session and its entry

    @property
    def first(self) -> Entry:
        """The entry the flag names first."""
        return self.entries[0]


def _local_day(moment: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The local day of a stored timestamp (UTC; a naive one, as SQLite returns it, is UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).date()


def _entries(session: Session, commune_code: int, period: Period, tz: ZoneInfo) -> list[Entry]:
    """The commune's live sessions held from `CROWD_WEEKS` weeks before the period to its end, or entered in it."""
    history = period.start - dt.timedelta(weeks=CROWD_WEEKS)
    entered_from = dt.datetime.combine(period.start, dt.time(), tz).astimezone(dt.UTC)
    entered_to = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    statement = (
        select(TrainingSession, Village.name, Member.display_name)
        .join(Village, col(Village.id) == TrainingSession.village_id)
        .join(Member, col(Member.id) == TrainingSession.author_id)
        .where(
            TrainingSession.commune_code == commune_code,
            col(TrainingSession.deleted_at).is_(None),
            or_(
                and_(col(TrainingSession.session_date) >= history, col(TrainingSession.session_date) <= period.end),
                and_(col(TrainingSession.created_at) >= entered_from, col(TrainingSession.created_at) < entered_to),
            ),
        )
        .order_by(col(TrainingSession.session_date), col(TrainingSession.id))
    )
    return [
        Entry(
            row.id or 0,
            row.village_id,
            village,
            row.session_date,
            row.attendees,
            author,
            _local_day(row.created_at, tz),
        )
        for row, village, author in session.exec(statement)
    ]


def _crowds(entries: list[Entry], by_village: dict[int, list[Entry]], period: Period) -> list[Flag]:
    flags = []
    for entry in entries:
        if not period.start <= entry.day <= period.end or entry.attendees < CROWD_MIN:
            continue
        since = entry.day - dt.timedelta(weeks=CROWD_WEEKS)
        before = [e.attendees for e in by_village[entry.village_id] if since <= e.day < entry.day]
        if len(before) < CROWD_HISTORY:
            continue
        median = statistics.median(before)
        if entry.attendees > CROWD_FACTOR * median:
            flags.append(Flag(RULE_CROWD, (entry,), median=float(median)))
    return flags


def _bursts(entries: list[Entry], period: Period) -> list[Flag]:
    days: dict[tuple[str, dt.date], list[Entry]] = defaultdict(list)
    for entry in entries:
        if period.start <= entry.logged_on <= period.end:
            days[(entry.logged_by, entry.logged_on)].append(entry)
    return [
        Flag(RULE_BURST, tuple(day))
        for (_, _), day in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if len(day) >= BURST_ENTRIES and len({e.village_id for e in day}) >= BURST_VILLAGES
    ]


def _late(entries: list[Entry], period: Period) -> list[Flag]:
    return [
        Flag(RULE_LATE, (e,), days_late=(e.logged_on - e.day).days)
        for e in entries
        if period.start <= e.day <= period.end and (e.logged_on - e.day).days > LATE_DAYS
    ]


def supervision_flags(session: Session, commune_code: int, period: Period, tz: ZoneInfo) -> list[Flag]:
    """The commune's entries worth a second look over the period, by rule: crowds, bursts, late entries."""
    entries = _entries(session, commune_code, period, tz)
    by_village: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_village[entry.village_id].append(entry)
    return _crowds(entries, by_village, period) + _bursts(entries, period) + _late(entries, period)
