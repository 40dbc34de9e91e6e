"""Supervision (the plans' "kiểm tra định kỳ và đột xuất"): entries worth a second look, spot checks of recent
sessions, and the honour roll of the most regular villages and communes ("biểu dương").

`entries.py` reads the sessions (three statements for one commune or a whole province), `rules.py` holds the
rules, `province.py` counts a province's flags per commune in SQL, `honour.py` the honour roll, `spot_checks.py`
the spot checks.
"""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage.periods import Period
from storage.supervision.entries import Entry, Flag
from storage.supervision.province import province_counts_read, rule_counts
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
from storage.supervision.tallies import commune_flags_kept, province_counts_kept

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
    "commune_flags",
    "province_counts_read",
    "province_flag_counts",
    "rule_counts",
    "supervision_flags",
]


def supervision_flags(session: Session, commune_code: int, period: Period, tz: ZoneInfo) -> list[Flag]:
    """The commune's entries worth a second look over the period, by rule (kept while they hold: `tallies.py`)."""
    return commune_flags_kept(session, commune_code, period, tz).flags


def province_flag_counts(session: Session, province_code: int, period: Period, tz: ZoneInfo) -> dict[int, Counter[str]]:
    """How many flags of each rule every commune of the province has over the period (communes with none left
    out): the same rules as a commune's page, counted per commune in SQL (`province.py`), kept per commune while
    they hold (`tallies.py`)."""
    return province_counts_kept(session, province_code, period, tz)
