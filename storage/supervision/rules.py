"""The rules of supervision: which entries are worth a second look, over one commune's sessions.

A flag says why an entry stands out, never that it is wrong. Over live (not deleted) sessions:

- `crowd`: a session with at least `CROWD_MIN` attendees and more than `CROWD_FACTOR` times the median of the
  village's sessions in the `CROWD_WEEKS` weeks before its day (at least `CROWD_HISTORY` of them; with fewer,
  the village's usual is not known and nothing is said);
- `burst`: one person entering at least `BURST_ENTRIES` sessions on one day (local) for at least
  `BURST_VILLAGES` villages: one flag for the day, naming each entry;
- `late_entry`: a session entered more than `LATE_DAYS` days after its day;
- `capacity`: more attendees than `CAPACITY_FACTOR` times the village's households (where /thon set them):
  a session of a village is for its own people, and two adults a household is already a full turn-out;
- `repeated`: `REPEAT_RUN` or more of a village's sessions in a row, each in a later week than the one before,
  with the very same attendees and people helped that day (real figures move a little from week to week);
  flagged once, when the run's last session lies in the period;
- `rush`: `RUSH_ENTRIES` or more of a commune's sessions entered in the `RUSH_DAYS` days up to a monthly
  reporting deadline (the 20th unless the province set another day) for days at least `RUSH_BACKDATED` days
  before their entry: the month filled in at the last minute, from memory;
- `no_photo`: a village with at least `NO_PHOTO_MIN` sessions in the period and not one photo attached.

Crowds, late entries and capacity are about sessions whose day lies in the period; a burst or a rush, a day of
entering in the period.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from storage.periods import Period, week_of
from storage.supervision.entries import Entry, Flag

CROWD_FACTOR, CROWD_MIN, CROWD_WEEKS, CROWD_HISTORY = 3, 30, 8, 2
BURST_ENTRIES, BURST_VILLAGES = 5, 3
LATE_DAYS = 7
CAPACITY_FACTOR = 2
REPEAT_RUN = 4
RUSH_ENTRIES, RUSH_DAYS, RUSH_BACKDATED = 5, 5, 14
NO_PHOTO_MIN = 3

RULE_CROWD, RULE_BURST, RULE_LATE = "crowd", "burst", "late_entry"
RULE_CAPACITY, RULE_REPEATED, RULE_RUSH, RULE_NO_PHOTO = "capacity", "repeated", "rush", "no_photo"
RULES = (RULE_CROWD, RULE_CAPACITY, RULE_REPEATED, RULE_BURST, RULE_RUSH, RULE_LATE, RULE_NO_PHOTO)


def _within(day: dt.date, period: Period) -> bool:
    return period.start <= day <= period.end


def _by_village(entries: list[Entry]) -> dict[int, list[Entry]]:
    grouped: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.village_id].append(entry)
    return grouped


def crowds(entries: list[Entry], period: Period) -> list[Flag]:
    """Sessions far above their village's usual turn-out."""
    by_village = _by_village(entries)
    flags = []
    for entry in entries:
        if not _within(entry.day, period) or entry.attendees < CROWD_MIN:
            continue
        since = entry.day - dt.timedelta(weeks=CROWD_WEEKS)
        before = [e.attendees for e in by_village[entry.village_id] if since <= e.day < entry.day]
        if len(before) < CROWD_HISTORY:
            continue
        median = statistics.median(before)
        if entry.attendees > CROWD_FACTOR * median:
            flags.append(Flag(RULE_CROWD, (entry,), median=float(median)))
    return flags


def capacity(entries: list[Entry], period: Period) -> list[Flag]:
    """Sessions with more attendees than the village's households could bring."""
    return [
        Flag(RULE_CAPACITY, (e,))
        for e in entries
        if _within(e.day, period) and e.households and e.attendees > CAPACITY_FACTOR * e.households
    ]


def repeated(entries: list[Entry], period: Period) -> list[Flag]:
    """Runs of a village's weekly sessions with the very same figures."""
    flags = []
    for village in _by_village(entries).values():
        run: list[Entry] = []
        for entry in [*village, None]:
            same = (
                entry is not None
                and run
                and (entry.attendees, entry.helped) == (run[-1].attendees, run[-1].helped)
                and week_of(entry.day)[0] > week_of(run[-1].day)[0]
            )
            if same and entry is not None:
                run.append(entry)
                continue
            if len(run) >= REPEAT_RUN and _within(run[-1].day, period):
                flags.append(Flag(RULE_REPEATED, tuple(run)))
            run = [entry] if entry is not None else []
    return flags


def bursts(entries: list[Entry], period: Period) -> list[Flag]:
    """One person entering many sessions of several villages on one day."""
    days: dict[tuple[str, dt.date], list[Entry]] = defaultdict(list)
    for entry in entries:
        if _within(entry.logged_on, period):
            days[(entry.logged_by, entry.logged_on)].append(entry)
    return [
        Flag(RULE_BURST, tuple(day))
        for (_, _), day in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        if len(day) >= BURST_ENTRIES and len({e.village_id for e in day}) >= BURST_VILLAGES
    ]


def _deadlines(period: Period, day: int) -> list[dt.date]:
    """The reporting deadlines (day `day` of each month) whose last `RUSH_DAYS` days touch the period."""
    found = []
    month = period.start.replace(day=1)
    while month <= period.end + dt.timedelta(days=RUSH_DAYS):
        deadline = month.replace(day=day)
        if deadline - dt.timedelta(days=RUSH_DAYS - 1) <= period.end and deadline >= period.start:
            found.append(deadline)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return found


def rushes(entries: list[Entry], period: Period, deadline_day: int) -> list[Flag]:
    """Many back-dated sessions entered in the last days before a monthly deadline."""
    flags = []
    for deadline in _deadlines(period, deadline_day):
        opens = deadline - dt.timedelta(days=RUSH_DAYS - 1)
        rush = [
            e
            for e in entries
            if opens <= e.logged_on <= deadline
            and _within(e.logged_on, period)
            and (e.logged_on - e.day).days >= RUSH_BACKDATED
        ]
        if len(rush) >= RUSH_ENTRIES:
            flags.append(
                Flag(RULE_RUSH, tuple(sorted(rush, key=lambda e: (e.logged_on, e.day, e.id))), deadline=deadline)
            )
    return flags


def late(entries: list[Entry], period: Period) -> list[Flag]:
    """Sessions entered more than a week after their day."""
    return [
        Flag(RULE_LATE, (e,), days_late=(e.logged_on - e.day).days)
        for e in entries
        if _within(e.day, period) and (e.logged_on - e.day).days > LATE_DAYS
    ]


def no_photo(entries: list[Entry], period: Period) -> list[Flag]:
    """Villages whose sessions of the period have no photo at all."""
    flags = []
    for village in _by_village(entries).values():
        held = [e for e in village if _within(e.day, period)]
        if len(held) >= NO_PHOTO_MIN and not any(e.photos for e in held):
            flags.append(Flag(RULE_NO_PHOTO, tuple(held)))
    return flags


def commune_flags(entries: list[Entry], period: Period, deadline_day: int) -> list[Flag]:
    """One commune's flags over the period, by rule in the order of `RULES`."""
    return (
        crowds(entries, period)
        + capacity(entries, period)
        + repeated(entries, period)
        + bursts(entries, period)
        + rushes(entries, period, deadline_day)
        + late(entries, period)
        + no_photo(entries, period)
    )
