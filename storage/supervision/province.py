"""A province's flags counted per commune in SQL: grouped statements instead of ~58,000 sessions read into Python.

The same rules as `rules.py`, over the same sessions (`entries.py`: live, held from `HISTORY_WEEKS` weeks before
the period to its end, or entered in it), each turned into a count per commune:

- `capacity`, `late_entry`, `no_photo`: one pass over the sessions held in the period, grouped by village (a
  village without a photo has at least `NO_PHOTO_MIN` of them, not one photo);
- `burst`, `rush`: the sessions entered in the period grouped by who entered them and the local day, then by
  commune and day: the bursts, and the back-dated entries each deadline's last days add up to;
- `crowd`: each large session of the period against its village's sessions of the weeks before. The median
  is not an SQL function everywhere, so the statement counts, per session, the earlier ones below a third of its
  attendees (`k` of `n`), the largest of those and the smallest of the others: with `n` odd the median is below
  a third when `k ≥ (n+1)/2`; with `n` even when `k ≥ n/2+1`, or `k = n/2` and the two middle values (the
  largest below, the smallest not below) sum to less than two thirds of the attendees;
- `repeated`: the villages where a session of the period has three earlier ones of the same attendees (read
  from the village's covering index), or a session entered in the period for a day outside the dates read,
  may hold a run (necessary for one); only those villages' sessions go through `rules.repeated` (which also
  compares the people helped, the order and the weeks).

The local day of an entry is the stored UTC time in the configured zone: `AT TIME ZONE` on PostgreSQL; on SQLite
a fixed offset, used only when the zone keeps one offset over the dates read (else the caller reads the rows into
Python, `province_sql_counts` returning None). tests/web/test_supervision_province.py holds the counts equal
to the rules' own over random sessions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, and_, bindparam, case, func, literal_column, not_, or_, select, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session
from sqlmodel import select as select_model
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.models import Commune
from storage.periods import Period, as_date
from storage.progress.sql import COMMUNES, SESSIONS, VILLAGES
from storage.reports import DEFAULT_DEADLINE_DAY, deadline_day
from storage.supervision.entries import HISTORY_WEEKS, MEMBERS, load_entries
from storage.supervision.rules import (
    BURST_ENTRIES,
    BURST_VILLAGES,
    CAPACITY_FACTOR,
    CROWD_FACTOR,
    CROWD_HISTORY,
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
    RUSH_BACKDATED,
    RUSH_DAYS,
    RUSH_ENTRIES,
    _deadlines,
    commune_flags,
    repeated,
)


class local_date(FunctionElement[dt.date]):
    """The local day of a stored UTC timestamp: (timestamp, zone name, fixed offset in seconds)."""

    type = Date()
    inherit_cache = True
    name = "local_date"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    stamp, _zone, offset = list(element.clauses)
    return f"date({compiler.process(stamp, **kw)}, {compiler.process(offset, **kw)})"


@compiles(local_date)
def _local_date_default(element: local_date, compiler: SQLCompiler, **kw: Any) -> str:
    stamp, zone, _offset = list(element.clauses)
    return f"CAST(({compiler.process(stamp, **kw)} AT TIME ZONE {compiler.process(zone, **kw)}) AS DATE)"


class days_after(FunctionElement[dt.date]):
    """A date plus a whole number of days (negative: before): (date, days)."""

    type = Date()
    inherit_cache = True
    name = "days_after"


@compiles(days_after, "sqlite")
def _days_after_sqlite(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, ({compiler.process(days, **kw)}) || ' days')"


@compiles(days_after)
def _days_after_default(element: days_after, compiler: SQLCompiler, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} + {compiler.process(days, **kw)})"


def _fixed_offset(tz: ZoneInfo, first: dt.date, last: dt.date) -> int | None:
    """The zone's offset from UTC in seconds when it is the same every day from `first` to `last`, else None."""
    offsets = set()
    day = first
    while day <= last:
        offset = dt.datetime.combine(day, dt.time(12), tz).utcoffset()
        offsets.add(offset.total_seconds() if offset is not None else 0)
        day += dt.timedelta(days=1)
    return int(offsets.pop()) if len(offsets) == 1 else None


def _n(value: int) -> ColumnElement[int]:
    return literal_column(str(int(value)), Integer)


_IN_PROVINCE = SESSIONS.c.commune_code.in_(
    select(COMMUNES.c.code).where(COMMUNES.c.province_code == bindparam("province"))
)
_LIVE = SESSIONS.c.deleted_at.is_(None)
_START, _END = bindparam("start", type_=Date), bindparam("end", type_=Date)
_HISTORY = bindparam("history", type_=Date)
_FROM, _TO = bindparam("entered_from", type_=UTCDateTime()), bindparam("entered_to", type_=UTCDateTime())
_HELD = and_(_IN_PROVINCE, _LIVE, SESSIONS.c.session_date >= _START, SESSIONS.c.session_date <= _END)
_ENTERED = and_(_IN_PROVINCE, _LIVE, SESSIONS.c.created_at >= _FROM, SESSIONS.c.created_at < _TO)
_LOGGED_ON = local_date(SESSIONS.c.created_at, bindparam("zone"), bindparam("offset"))


def _count(
    statement: Any, rule: str, params: dict[str, Any], session: Session, counts: dict[int, Counter[str]]
) -> None:
    """Add a statement's (commune, count) rows to the counts under the rule."""
    for code, n in session.connection().execute(statement, params):
        if n:
            counts.setdefault(int(code), Counter())[rule] += int(n)


def _per_village(session: Session, params: dict[str, Any], counts: dict[int, Counter[str]]) -> None:
    """Capacity, late entries and villages without a photo: one pass over the sessions held in the period,
    grouped by village, then by commune."""
    households = VILLAGES.c.households
    over = and_(households.is_not(None), households != 0, SESSIONS.c.attendees > _n(CAPACITY_FACTOR) * households)
    late = days_after(SESSIONS.c.session_date, _n(LATE_DAYS)) < _LOGGED_ON
    photos = func.coalesce(func.json_array_length(SESSIONS.c.evidence), 0)
    villages = (
        select(
            SESSIONS.c.commune_code.label("code"),
            func.count().label("held"),
            func.sum(photos).label("photos"),
            func.sum(case((over, 1), else_=0)).label("over"),
            func.sum(case((late, 1), else_=0)).label("late"),
        )
        .join(VILLAGES, VILLAGES.c.id == SESSIONS.c.village_id)
        .where(_HELD)
        .group_by(SESSIONS.c.commune_code, SESSIONS.c.village_id)
        .subquery()
    )
    no_photo = and_(villages.c.held >= NO_PHOTO_MIN, villages.c.photos == 0)
    statement = select(
        villages.c.code,
        func.sum(villages.c.over),
        func.sum(villages.c.late),
        func.sum(case((no_photo, 1), else_=0)),
    ).group_by(villages.c.code)
    for code, capacity, late_entries, without_photo in session.connection().execute(statement, params):
        for rule, n in ((RULE_CAPACITY, capacity), (RULE_LATE, late_entries), (RULE_NO_PHOTO, without_photo)):
            if n:
                counts.setdefault(int(code), Counter())[rule] += int(n)


def _entry_days(
    session: Session, params: dict[str, Any], period: Period, province_code: int, counts: dict[int, Counter[str]]
) -> None:
    """Bursts and rushes from one pass over the sessions entered in the period: grouped by commune, who entered
    them and the local day (a burst: enough entries of enough villages), then by commune and day (the bursts,
    and the back-dated entries a rush adds up over a deadline's last days)."""
    backdated = days_after(SESSIONS.c.session_date, _n(RUSH_BACKDATED)) <= _LOGGED_ON
    people = (
        select(
            SESSIONS.c.commune_code.label("code"),
            _LOGGED_ON.label("day"),
            func.count().label("entries"),
            func.count(SESSIONS.c.village_id.distinct()).label("villages"),
            func.sum(case((backdated, 1), else_=0)).label("backdated"),
        )
        .join(MEMBERS, MEMBERS.c.id == SESSIONS.c.author_id)
        .where(_ENTERED)
        .group_by(SESSIONS.c.commune_code, MEMBERS.c.display_name, _LOGGED_ON)
        .subquery()
    )
    burst = and_(people.c.entries >= BURST_ENTRIES, people.c.villages >= BURST_VILLAGES)
    bursts = func.sum(case((burst, 1), else_=0))
    statement = (
        select(people.c.code, people.c.day, bursts, func.sum(people.c.backdated))
        .group_by(people.c.code, people.c.day)
        .having(or_(bursts > 0, func.sum(people.c.backdated) > 0))
    )
    backdated_on: dict[int, list[tuple[dt.date, int]]] = {}
    for code, day, n_bursts, n_backdated in session.connection().execute(statement, params):
        if n_bursts:
            counts.setdefault(int(code), Counter())[RULE_BURST] += int(n_bursts)
        if n_backdated:
            backdated_on.setdefault(int(code), []).append((as_date(day), int(n_backdated)))
    for deadline in _deadlines(period, deadline_day(session, province_code)):
        opens = max(deadline - dt.timedelta(days=RUSH_DAYS - 1), period.start)
        closes = min(deadline, period.end)
        for code, days in backdated_on.items():
            if sum(n for day, n in days if opens <= day <= closes) >= RUSH_ENTRIES:
                counts.setdefault(code, Counter())[RULE_RUSH] += 1


def _crowds(session: Session, params: dict[str, Any], counts: dict[int, Counter[str]]) -> None:
    """Large sessions of the period whose village's median of the weeks before is below a third of them."""
    big = SESSIONS.alias("big")
    before = SESSIONS.alias("before")
    small = _n(CROWD_FACTOR) * before.c.attendees < big.c.attendees
    n = func.count()
    k = func.sum(case((small, 1), else_=0))
    lo = func.max(case((small, before.c.attendees), else_=None))
    hi = func.min(case((small, None), else_=before.c.attendees))
    odd = and_(n % 2 == 1, 2 * k >= n + 1)
    even = and_(
        n % 2 == 0,
        or_(2 * k >= n + 2, and_(2 * k == n, _n(CROWD_FACTOR) * (lo + hi) < 2 * big.c.attendees)),
    )
    flagged = (
        select(big.c.commune_code.label("code"))
        .join(
            before,
            and_(
                before.c.village_id == big.c.village_id,
                before.c.deleted_at.is_(None),
                before.c.session_date >= days_after(big.c.session_date, _n(-7 * CROWD_WEEKS)),
                before.c.session_date < big.c.session_date,
            ),
        )
        .where(
            big.c.commune_code.in_(select(COMMUNES.c.code).where(COMMUNES.c.province_code == bindparam("province"))),
            big.c.deleted_at.is_(None),
            big.c.session_date >= _START,
            big.c.session_date <= _END,
            big.c.attendees >= CROWD_MIN,
        )
        .group_by(big.c.id, big.c.commune_code, big.c.attendees)
        .having(and_(n >= CROWD_HISTORY, or_(odd, even)))
        .subquery()
    )
    _count(select(flagged.c.code, func.count()).group_by(flagged.c.code), RULE_CROWD, params, session, counts)


def _repeat_candidates(session: Session, params: dict[str, Any]) -> set[tuple[int, int]]:
    """(commune, village) that may hold a run of `REPEAT_RUN` equal attendee counts ending in the period: a
    superset, checked by `rules.repeated` over those villages' sessions. A run's last session is held in the
    period and its `REPEAT_RUN - 1` before it are on earlier days with the same attendees: either all held from
    `:history` (a session of the period with that many such sessions before it, read from the village's index)
    or one of them entered in the period for a day outside the dates read (every village with such an entry)."""
    period_session = SESSIONS.alias("run_end")
    before = SESSIONS.alias("run_before")
    ends = (
        select(period_session.c.commune_code, period_session.c.village_id)
        .join(
            before,
            and_(
                before.c.village_id == period_session.c.village_id,
                before.c.deleted_at.is_(None),
                before.c.session_date >= _HISTORY,
                before.c.session_date < period_session.c.session_date,
                before.c.attendees == period_session.c.attendees,
            ),
        )
        .where(
            period_session.c.commune_code.in_(
                select(COMMUNES.c.code).where(COMMUNES.c.province_code == bindparam("province"))
            ),
            period_session.c.deleted_at.is_(None),
            period_session.c.session_date >= _START,
            period_session.c.session_date <= _END,
        )
        # Sessions of one village on one day with the same attendees share a group: its count only grows, so
        # the set stays a superset (and the index holds every column read, with no id).
        .group_by(
            period_session.c.commune_code,
            period_session.c.village_id,
            period_session.c.session_date,
            period_session.c.attendees,
        )
        .having(func.count() >= REPEAT_RUN - 1)
    )
    held = and_(SESSIONS.c.session_date >= _HISTORY, SESSIONS.c.session_date <= _END)
    outside = select(SESSIONS.c.commune_code, SESSIONS.c.village_id).where(_ENTERED, not_(held))
    statement = union(ends, outside)
    return {(int(code), int(village)) for code, village in session.connection().execute(statement, params)}


def province_sql_counts(
    session: Session, province_code: int, period: Period, tz: ZoneInfo
) -> dict[int, Counter[str]] | None:
    """How many flags of each rule every commune of the province has over the period (communes with none left
    out), counted in SQL; None on SQLite when the zone changes its offset over the dates read."""
    history = period.start - dt.timedelta(weeks=HISTORY_WEEKS)
    offset = _fixed_offset(tz, history - dt.timedelta(days=1), period.end + dt.timedelta(days=1))
    if offset is None and session.connection().dialect.name == "sqlite":
        return None
    params: dict[str, Any] = {
        "province": province_code,
        "start": period.start,
        "end": period.end,
        "history": history,
        "entered_from": dt.datetime.combine(period.start, dt.time(), tz).astimezone(dt.UTC),
        "entered_to": dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC),
        "zone": tz.key,
        "offset": f"{offset or 0:+d} seconds",
    }
    counts: dict[int, Counter[str]] = {}
    _crowds(session, params, counts)
    _per_village(session, params, counts)
    _entry_days(session, params, period, province_code, counts)
    candidates = _repeat_candidates(session, params)
    if candidates:
        codes = sorted({code for code, _ in candidates})
        villages = sorted(village for _, village in candidates)
        for code, entries in load_entries(session, codes, period, tz, villages=villages).by_commune().items():
            runs = len(repeated(entries, period))
            if runs:
                counts.setdefault(code, Counter())[RULE_REPEATED] += runs
    return counts


def province_counts_read(session: Session, province_code: int, period: Period, tz: ZoneInfo) -> dict[int, Counter[str]]:
    """How many flags of each rule every commune of the province has over the period (communes with none left
    out), read now: counted in SQL, or by `rule_counts` on SQLite when the zone changes its offset over the dates
    read. (`tallies.province_counts_kept` keeps them per commune.)"""
    counted = province_sql_counts(session, province_code, period, tz)
    return counted if counted is not None else rule_counts(session, province_code, period, tz)


def rule_counts(session: Session, province_code: int, period: Period, tz: ZoneInfo) -> dict[int, Counter[str]]:
    """The province's flags counted by reading every session of the province into the rules (`rules.py`): the
    reference the SQL counts are held to, and the way on SQLite when the zone's offset changes over the dates
    read."""
    codes = list(session.exec(select_model(Commune.code).where(Commune.province_code == province_code)))
    if not codes:
        return {}
    entries = load_entries(session, codes, period, tz, province_code)
    counts: dict[int, Counter[str]] = {}
    for code, sessions in entries.by_commune().items():
        flags = commune_flags(sessions, period, entries.deadline_days.get(code, DEFAULT_DEADLINE_DAY))
        if flags:
            counts[code] = Counter(flag.rule for flag in flags)
    return counts
