"""When each reminder rule fires: its send times (after the quiet hours), for which areas, and until when a
missed firing is still worth sending."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session

from storage.models import Commune, ReminderDeadline
from storage.periods import week_of
from storage.reminders import (
    CUSTOM,
    MAX_DAYS_BEFORE,
    MONTHLY_ESCALATION,
    MONTHLY_REPORT,
    PROVINCE_CONSOLIDATION,
    QUIET_START,
    SCOPE_COMMUNE,
    WEEKLY_SESSION,
    WEEKLY_SUMMARY,
    RuleBook,
    Slot,
    active_communes,
    active_provinces,
    datetime_at,
    firings_between,
    live_deadlines,
    out_of_quiet,
    slots_of,
)
from storage.reports import previous_month

COMMUNE_RULES = (WEEKLY_SESSION, WEEKLY_SUMMARY, MONTHLY_REPORT, MONTHLY_ESCALATION)

LOOKAHEAD = dt.timedelta(days=40)  # far enough to see the next firing of a monthly rule

CONSOLIDATION_DAY = 25  # the province consolidates the communes' reports before the 25th


@dataclass(frozen=True)
class Firing:
    """One firing of one rule for a group of areas that share its times."""

    kind: str
    scheduled: dt.datetime  # local time as set
    at: dt.datetime  # local time it goes out (after the quiet hours)
    useful_until: dt.datetime  # local
    slot: str  # the firing's day and its place among that day's firings, e.g. "2026-11-26.1"
    nth: int  # 1 for the first firing of the rule in its period, 2 for the next, ...
    areas: tuple[int, ...]  # commune codes, province codes, or () for a deadline
    deadline: ReminderDeadline | None = None


def _useful_until(
    kind: str, scheduled: dt.datetime, at: dt.datetime, following: dt.datetime | None, deadline: ReminderDeadline | None
) -> dt.datetime:
    """Until when a missed firing is still worth sending (see the package docstring)."""
    tz = at.tzinfo
    if kind == WEEKLY_SESSION:
        cap = datetime_at(week_of(scheduled.date())[1], QUIET_START, tz)
    elif kind == WEEKLY_SUMMARY:
        cap = at + dt.timedelta(hours=12)
    elif kind == CUSTOM and deadline is not None:
        cap = datetime_at(deadline.due_date, QUIET_START, tz)
    elif kind == PROVINCE_CONSOLIDATION and scheduled.day < CONSOLIDATION_DAY:
        cap = datetime_at(scheduled.date().replace(day=CONSOLIDATION_DAY), QUIET_START, tz)
    else:
        cap = at + dt.timedelta(days=3)
    if following is not None:
        cap = min(cap, following)
    return max(cap, at + dt.timedelta(minutes=1))  # a firing is always due at its own minute


def _period_of(kind: str, scheduled: dt.datetime) -> str:
    """The period a firing reminds about: its week's Monday, or the month before it."""
    if kind in (WEEKLY_SESSION, WEEKLY_SUMMARY):
        return week_of(scheduled.date())[0].isoformat()
    month = previous_month(scheduled.date())
    return f"{month.year}-{month.month:02d}"


def _rule_firings(
    kind: str, slots: list[Slot], first: dt.date, last: dt.date, tz: dt.tzinfo, areas: tuple[int, ...]
) -> Iterator[Firing]:
    """A rule's firings between two dates, each knowing its place in its period and when it lapses."""
    # From a month earlier, so that a firing knows its place in its period (the second of the week, ...).
    found = list(firings_between(kind, slots, first - dt.timedelta(days=35), last + LOOKAHEAD, tz))
    count: dict[str, int] = defaultdict(int)
    for position, (index, scheduled, at) in enumerate(found):
        period = _period_of(kind, scheduled)
        count[period] += 1
        if scheduled.date() > last:
            break
        if scheduled.date() < first:
            continue
        following = found[position + 1][2] if position + 1 < len(found) else None
        yield Firing(
            kind,
            scheduled,
            at,
            _useful_until(kind, scheduled, at, following, None),
            f"{scheduled.date().isoformat()}.{index}",
            count[period],
            areas,
        )


def _deadline_firings(
    session: Session, book: RuleBook, first: dt.date, last: dt.date, tz: dt.tzinfo
) -> Iterator[Firing]:
    """The firings of the live one-off deadlines between two dates, by each area's custom rule."""
    communes: dict[int, int] = {}
    for deadline in live_deadlines(session, first, last + dt.timedelta(days=MAX_DAYS_BEFORE + 1)):
        if deadline.scope == SCOPE_COMMUNE:
            if deadline.area_code not in communes:
                commune = session.get(Commune, deadline.area_code)
                communes[deadline.area_code] = commune.province_code if commune else 0
            rule = book.effective(CUSTOM, commune_code=deadline.area_code, province_code=communes[deadline.area_code])
        else:
            rule = book.effective(CUSTOM, province_code=deadline.area_code)
        if not rule.enabled:
            continue
        planned = []
        for slot in slots_of(CUSTOM, rule.times):
            scheduled = datetime_at(deadline.due_date - dt.timedelta(days=slot.day), slot.at, tz)
            planned.append((scheduled, out_of_quiet(scheduled), slot))
        planned.sort(key=lambda p: p[1])
        for position, (scheduled, at, slot) in enumerate(planned, start=1):
            if not first <= scheduled.date() <= last:
                continue
            following = planned[position][1] if position < len(planned) else None
            yield Firing(
                CUSTOM,
                scheduled,
                at,
                _useful_until(CUSTOM, scheduled, at, following, deadline),
                f"-{slot.day}d",
                position,
                (),
                deadline,
            )


def firings(
    session: Session,
    tz: dt.tzinfo,
    start: dt.datetime,
    end: dt.datetime,
    book: RuleBook | None = None,
    *,
    all_rules: bool = False,
) -> list[Firing]:
    """Every firing whose send time is in [start, end), for the areas that have people in the bot.

    With `all_rules`, every rule row's times count, whether an area uses them or not (to wake the scheduler).
    """
    book = book or RuleBook.load(session)
    start_local, end_local = start.astimezone(tz), end.astimezone(tz)
    first, last = start_local.date() - dt.timedelta(days=1), end_local.date()
    found: list[Firing] = []
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    if all_rules:
        for kind in (*COMMUNE_RULES, PROVINCE_CONSOLIDATION):
            groups[(kind, book.effective(kind, province_code=0).times)] = []
        for row in book.rows():
            if row.enabled and row.kind != CUSTOM:
                groups[(row.kind, tuple(row.times))] = []
    else:
        communes = active_communes(session)
        for kind in COMMUNE_RULES:
            for code, province in sorted(communes.items()):
                rule = book.effective(kind, commune_code=code, province_code=province)
                if rule.enabled:
                    groups[(kind, rule.times)].append(code)
        for province in active_provinces(session):
            rule = book.effective(PROVINCE_CONSOLIDATION, province_code=province)
            if rule.enabled:
                groups[(PROVINCE_CONSOLIDATION, rule.times)].append(province)
    for (kind, times), areas in groups.items():
        for firing in _rule_firings(kind, slots_of(kind, times), first, last, tz, tuple(areas)):
            if start_local <= firing.at < end_local:
                found.append(firing)
    for firing in _deadline_firings(session, book, first, last, tz):
        if start_local <= firing.at < end_local:
            found.append(firing)
    return sorted(found, key=lambda f: (f.at, f.kind, f.slot))
