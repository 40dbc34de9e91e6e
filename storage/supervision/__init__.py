"""Supervision (the plans' "kiểm tra định kỳ và đột xuất"): entries worth a second look, spot checks of recent
sessions, and the honour roll of the most regular villages and communes ("biểu dương").

`entries.py` reads the sessions (three statements for one commune or a whole province), `rules.py` holds the
rules, `province.py` counts a province's flags per commune in SQL, `honour.py` the honour roll, `spot_checks.py`
the spot checks.
"""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from storage.models import Commune
from storage.periods import Period
from storage.reports import DEFAULT_DEADLINE_DAY
from storage.supervision.entries import Entry, Flag, load_entries
from storage.supervision.province import province_sql_counts
from storage.supervision.rules import (
    BURST_ENTRIES,
    BURST_VILLAGES,
    CAPACITY_FACTOR,
    CROWD_FACTOR,
    CROWD_MIN,
    CROWD_WEEKS,
    LATE_DAYS,
    NO_PHOTO_MIN,
    REPEAT_RUN,
    RULE_BURST,
    RULE_CAPACITY,
    RULE_CROWD,
    RULE_LATE,
    RULE_NO_PHOTO,
    RULE_REPEATED,
    RULE_RUSH,
    RULES,
    RUSH_BACKDATED,
    RUSH_DAYS,
    RUSH_ENTRIES,
    commune_flags,
)

__all__ = [
    "BURST_ENTRIES",
    "BURST_VILLAGES",
    "CAPACITY_FACTOR",
    "CROWD_FACTOR",
    "CROWD_MIN",
    "CROWD_WEEKS",
    "LATE_DAYS",
    "NO_PHOTO_MIN",
    "REPEAT_RUN",
    "RULES",
    "RULE_BURST",
    "RULE_CAPACITY",
    "RULE_CROWD",
    "RULE_LATE",
    "RULE_NO_PHOTO",
    "RULE_REPEATED",
    "RULE_RUSH",
    "RUSH_BACKDATED",
    "RUSH_DAYS",
    "RUSH_ENTRIES",
    "Entry",
    "Flag",
    "province_flag_counts",
    "rule_counts",
    "supervision_flags",
]


def supervision_flags(session: Session, commune_code: int, period: Period, tz: ZoneInfo) -> list[Flag]:
    """The commune's entries worth a second look over the period, by rule (three statements)."""
    entries = load_entries(session, [commune_code], period, tz)
    return commune_flags(entries.sessions, period, entries.deadline_days.get(commune_code, DEFAULT_DEADLINE_DAY))


def province_flag_counts(session: Session, province_code: int, period: Period, tz: ZoneInfo) -> dict[int, Counter[str]]:
    """How many flags of each rule every commune of the province has over the period (communes with none left
    out): the same rules as a commune's page, counted per commune in SQL (`province.py`)."""
    counted = province_sql_counts(session, province_code, period, tz)
    return counted if counted is not None else rule_counts(session, province_code, period, tz)


def rule_counts(session: Session, province_code: int, period: Period, tz: ZoneInfo) -> dict[int, Counter[str]]:
    """`province_flag_counts` by reading every session of the province into the rules (`rules.py`): the reference
    the SQL counts are held to, and the way on SQLite when the zone's offset changes over the dates read."""
    codes = list(session.exec(select(Commune.code).where(Commune.province_code == province_code)))
    if not codes:
        return {}
    entries = load_entries(session, codes, period, tz, province_code)
    counts: dict[int, Counter[str]] = {}
    for code, sessions in entries.by_commune().items():
        flags = commune_flags(sessions, period, entries.deadline_days.get(code, DEFAULT_DEADLINE_DAY))
        if flags:
            counts[code] = Counter(flag.rule for flag in flags)
    return counts
