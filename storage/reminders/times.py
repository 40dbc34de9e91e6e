"""Reminder times: the stored text form, reading what an admin typed, the quiet hours, and the firings on a calendar.

Times are kept as short text, one per firing:
    weekly kinds   "thu 19:00"   a weekday (mon … sun) and a time
    monthly kinds  "15 08:00"    a day of the month (1–28, so that it exists every month) and a time
    custom         "-7 08:00"    days before the deadline and a time
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from storage.errors import DomainError
from storage.reminders.kinds import CUSTOM, WEEKLY_KINDS
from storage.text import fold

QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(7, 0)
MAX_TIMES = 6
MAX_DAYS_BEFORE = 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, order=True)
class Slot:
    """One firing of a rule: `day` is a weekday (0 = Monday), a day of the month, or days before a deadline."""

    day: int
    at: dt.time

    def text(self, kind: str) -> str:
        """The stored form, e.g. "thu 19:00", "15 08:00", "-7 08:00"."""
        clock = f"{self.at.hour:02d}:{self.at.minute:02d}"
        if kind in WEEKLY_KINDS:
            return f"{WEEKDAYS[self.day]} {clock}"
        if kind == CUSTOM:
            return f"-{self.day} {clock}"
        return f"{self.day} {clock}"


def parse_slot(kind: str, text: str) -> Slot:
    """Read a stored time ("thu 19:00", "15 08:00", "-7 08:00")."""
    day_text, _, clock = text.strip().partition(" ")
    hour, _, minute = clock.partition(":")
    at = dt.time(int(hour), int(minute or 0))
    if kind in WEEKLY_KINDS:
        return Slot(WEEKDAYS.index(day_text.lower()), at)
    return Slot(abs(int(day_text)), at)


def slots_of(kind: str, times: Iterable[str]) -> list[Slot]:
    """The slots of a rule, earliest first (unreadable entries skipped)."""
    out = set()
    for text in times:
        try:
            out.add(parse_slot(kind, text))
        except (ValueError, IndexError):
            continue
    if kind == CUSTOM:  # seven days before comes before one day before
        return sorted(out, key=lambda s: (-s.day, s.at))
    return sorted(out)


def is_quiet(local: dt.datetime) -> bool:
    """Whether a local time falls in the quiet hours (21:00–07:00)."""
    return local.time() >= QUIET_START or local.time() < QUIET_END


def out_of_quiet(local: dt.datetime) -> dt.datetime:
    """The moment a reminder set for `local` goes out: at 07:00 when it falls in the quiet hours."""
    if local.time() >= QUIET_START:
        return datetime_at(local.date() + dt.timedelta(days=1), QUIET_END, local.tzinfo)
    if local.time() < QUIET_END:
        return datetime_at(local.date(), QUIET_END, local.tzinfo)
    return local


def datetime_at(day: dt.date, at: dt.time, tz: dt.tzinfo | None) -> dt.datetime:
    """A local day and time as one aware moment in the given timezone."""
    return dt.datetime.combine(day, at, tzinfo=tz)


_VN_WEEKDAY = re.compile(r"\b(?:thu|t)\s*([2-7])\b")
_VN_WEEKDAY_WORD = re.compile(r"\bthu\s+(hai|ba|tu|nam|sau|bay)\b")
_SUNDAY = re.compile(r"\b(?:chu\s*nhat|cn)\b")
_EN_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
_TIME = re.compile(r"\b(\d{1,2})\s*(?::|h|g|gio)\s*(\d{2})?\b(?:\s*(sang|trua|chieu|toi|am|pm))?")
_NUMBER = re.compile(r"\b(\d{1,2})\b")
_SPLIT = re.compile(r"[,;\n]+|\s+va\s+|\s+and\s+")
_VN_WORDS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}


def _clock(match: re.Match[str]) -> dt.time:
    """The time a typed clock names ("7h tối" is 19:00); an hour or minute out of range is refused."""
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) in ("chieu", "toi", "pm") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise DomainError("reminder_time_invalid", text=match.group(0))
    return dt.time(hour, minute)


def parse_times(kind: str, typed: str) -> list[str]:
    """What an admin typed ("Thứ 5 19h, thứ 7 8:00", "ngày 15, 18, 19 lúc 8h", "7 và 1 ngày trước") as stored times.

    A part without a time takes the time written elsewhere in the message (or 08:00).
    """
    text = fold(typed)
    shared = _TIME.search(text)
    default = _clock(shared) if shared else dt.time(8, 0)
    slots: list[Slot] = []
    for part in (p.strip() for p in _SPLIT.split(text)):
        if not part:
            continue
        found = _TIME.search(part)
        at = _clock(found) if found else default
        rest = (part[: found.start()] + " " + part[found.end() :]) if found else part
        if kind in WEEKLY_KINDS:
            days = _weekdays(rest)
        else:
            days = [int(n) for n in _NUMBER.findall(rest)]
            limit = MAX_DAYS_BEFORE if kind == CUSTOM else 28
            for day in days:
                if not 1 <= day <= limit:
                    raise DomainError("reminder_day_invalid", day=day, limit=limit)
        if not days and found and slots:
            days = [slots[-1].day]  # "thứ 5 lúc 7h và 19h"
        if not days:
            raise DomainError("reminder_times_unreadable", text=part)
        slots += [Slot(day, at) for day in days]
    unique = sorted(set(slots), key=(lambda s: (-s.day, s.at)) if kind == CUSTOM else None)
    if not unique:
        raise DomainError("reminder_times_unreadable", text=typed.strip())
    if len(unique) > MAX_TIMES:
        raise DomainError("reminder_too_many_times", limit=MAX_TIMES)
    return [slot.text(kind) for slot in unique]


def _weekdays(text: str) -> list[int]:
    """The weekdays (0 = Monday) named in a typed part, Vietnamese or English."""
    days: list[int] = []
    for match in _VN_WEEKDAY_WORD.finditer(text):
        days.append(_VN_WORDS[match.group(1)])
    text = _VN_WEEKDAY_WORD.sub(" ", text)
    for match in _VN_WEEKDAY.finditer(text):
        days.append(int(match.group(1)) - 2)
    text = _VN_WEEKDAY.sub(" ", text)
    if _SUNDAY.search(text):
        days.append(6)
    text = _SUNDAY.sub(" ", text)
    for match in _EN_WEEKDAY.finditer(text):
        days.append(WEEKDAYS.index(match.group(1)))
    return days


def firings_between(
    kind: str, slots: list[Slot], first: dt.date, last: dt.date, tz: dt.tzinfo
) -> Iterator[tuple[int, dt.datetime, dt.datetime]]:
    """(slot index on its day, set local time, local time it goes out) of a weekly or monthly rule's firings
    on the local days from `first` to `last`, in order."""
    day = first
    while day <= last:
        todays = [s for s in slots if (s.day == day.weekday() if kind in WEEKLY_KINDS else s.day == day.day)]
        for index, slot in enumerate(sorted(todays, key=lambda s: s.at), start=1):
            scheduled = datetime_at(day, slot.at, tz)
            yield index, scheduled, out_of_quiet(scheduled)
        day += dt.timedelta(days=1)
