"""What supervision reads: the live sessions of one or more communes, each with what the rules look at.

Five statements whatever the number of villages or communes (each built once): the sessions (their village,
who entered them and how many photos they carry, as plain columns: no ORM row), the names and household counts
of their villages, the names of who entered them, the people helped per village and day, and the provinces'
deadline days.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, Date, Select, and_, bindparam, func, literal_column, not_, union_all
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from storage.models import Member, ProvinceSetting, table_of
from storage.periods import Period
from storage.progress.sql import COMMUNES, HELP, SESSIONS, VILLAGES
from storage.reports import DEFAULT_DEADLINE_DAY

MEMBERS = table_of(Member)
SETTINGS = table_of(ProvinceSetting)

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
    # people helped per (village, day) from the first session read to the period's end (None: not read, as
    # no session was found)
    helped: dict[tuple[int, dt.date], int] | None = None

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


@lru_cache(maxsize=64)
def _year_offset(tz: ZoneInfo, year: int) -> dt.timedelta | None:
    """The zone's offset from UTC when it is the same all through the year (checked each day at noon, and the
    last day of the year before and the first after), else None."""
    offsets = set()
    day = dt.date(year - 1, 12, 31)
    while day <= dt.date(year + 1, 1, 1):
        offsets.add(dt.datetime.combine(day, dt.time(12), tz).utcoffset())
        day += dt.timedelta(days=1)
    return offsets.pop() if len(offsets) == 1 else None


def _local_days(tz: ZoneInfo, moments: Sequence[dt.datetime]) -> Callable[[dt.datetime], dt.date]:
    """How to turn these stored timestamps into their local days: one addition each when the zone keeps one
    offset over all their years (as Vietnam does), else `local_day` (timestamps shared by a day's batch of
    entries converted once)."""
    years = {m.year for m in moments}
    offsets = {_year_offset(tz, year) for year in years}
    offset = offsets.pop() if len(offsets) == 1 else None
    if offset is not None:
        fixed = offset

        def shifted(moment: dt.datetime) -> dt.date:
            stored = moment.utcoffset()  # a naive timestamp (SQLite) is UTC
            return (moment + (fixed - stored if stored else fixed)).date()

        return shifted
    seen: dict[dt.datetime, dt.date] = {}

    def converted(moment: dt.datetime) -> dt.date:
        day = seen.get(moment)
        if day is None:
            day = seen[moment] = local_day(moment, tz)
        return day

    return converted


def _helped_statement(by_village: bool) -> Select[Any]:
    """People helped per (village, day) from `:start` to `:end`, live records only, of the communes `:codes` or
    of the villages `:villages`. Built once."""
    of = (
        HELP.c.village_id.in_(bindparam("villages", expanding=True))
        if by_village
        else HELP.c.commune_code.in_(bindparam("codes", expanding=True))
    )
    return (
        core_select(HELP.c.village_id, HELP.c.record_date, func.sum(HELP.c.count))
        .where(
            of,
            HELP.c.deleted_at.is_(None),
            HELP.c.record_date >= bindparam("start", type_=Date),
            HELP.c.record_date <= bindparam("end", type_=Date),
        )
        .group_by(HELP.c.village_id, HELP.c.record_date)
    )


_HELPED_OF_COMMUNES = _helped_statement(by_village=False)
_HELPED_OF_VILLAGES = _helped_statement(by_village=True)
_DEADLINE_DAYS = (
    core_select(COMMUNES.c.code, SETTINGS.c.report_deadline_day)
    .select_from(COMMUNES.outerjoin(SETTINGS, SETTINGS.c.province_code == COMMUNES.c.province_code))
    .where(COMMUNES.c.code.in_(bindparam("codes", expanding=True)))
)


def _helped(
    session: Session, commune_codes: Sequence[int], start: dt.date, end: dt.date, villages: Sequence[int] = ()
) -> dict[tuple[int, dt.date], int]:
    """People helped per (village, day) over the dates (of these villages only, when given), live records only:
    one grouped statement."""
    if villages:
        statement, params = _HELPED_OF_VILLAGES, {"villages": list(villages), "start": start, "end": end}
    else:
        statement, params = _HELPED_OF_COMMUNES, {"codes": list(commune_codes), "start": start, "end": end}
    return {
        (int(village), day): int(total or 0) for village, day, total in session.connection().execute(statement, params)
    }


def _deadline_days(session: Session, commune_codes: Sequence[int]) -> dict[int, int]:
    """Each commune's deadline day (its province's setting, else the 20th)."""
    rows = session.connection().execute(_DEADLINE_DAYS, {"codes": list(commune_codes)})
    return {int(code): day or DEFAULT_DEADLINE_DAY for code, day in rows}


def _sessions_statement(by: str) -> CompoundSelect:
    """The sessions the rules read, as plain columns (no ORM rows: a province's month is ~58,000 of them), of
    one commune (`:commune`), of every commune of a province (`:province`) or of some villages (`:villages`):
    held from `:history` to `:end`,
    or else entered from `:entered_from` (included) to `:entered_to` (excluded). Two parts of a UNION ALL, not
    one OR: each part reads its own index (the commune and the day; the commune and the entry time), where an
    OR scans every session of the dates. The sessions alone: their villages' names and who entered them are
    read apart (`_names`), a few rows, where joins here made PostgreSQL plan a commune's ~300 rows in parallel
    (workers started for a statement of half a millisecond). Built once; SQLAlchemy caches its compiled form."""
    communes = {
        "province": SESSIONS.c.commune_code.in_(
            core_select(COMMUNES.c.code).where(COMMUNES.c.province_code == bindparam("province"))
        ),
        "commune": SESSIONS.c.commune_code == bindparam("commune"),
        "villages": SESSIONS.c.village_id.in_(bindparam("villages", expanding=True)),
    }[by]
    held = and_(
        SESSIONS.c.session_date >= bindparam("history", type_=Date),
        SESSIONS.c.session_date <= bindparam("end", type_=Date),
    )
    entered = and_(
        SESSIONS.c.created_at >= bindparam("entered_from", type_=UTCDateTime()),
        SESSIONS.c.created_at < bindparam("entered_to", type_=UTCDateTime()),
    )

    def part(*conditions: ColumnElement[bool]) -> Select[Any]:
        return core_select(
            SESSIONS.c.id.label("id"),
            SESSIONS.c.village_id,
            SESSIONS.c.session_date.label("session_date"),
            SESSIONS.c.attendees,
            SESSIONS.c.author_id,
            SESSIONS.c.created_at,
            SESSIONS.c.commune_code,
            func.json_array_length(SESSIONS.c.evidence).label("photos"),
        ).where(communes, SESSIONS.c.deleted_at.is_(None), *conditions)

    return union_all(part(held), part(entered, not_(held))).order_by(
        literal_column("session_date"), literal_column("id")
    )


_OF_COMMUNE = _sessions_statement("commune")
_OF_PROVINCE = _sessions_statement("province")
_OF_VILLAGES = _sessions_statement("villages")
_VILLAGE_NAMES = core_select(VILLAGES.c.id, VILLAGES.c.name, VILLAGES.c.households).where(
    VILLAGES.c.id.in_(bindparam("ids", expanding=True))
)
_MEMBER_NAMES = core_select(MEMBERS.c.id, MEMBERS.c.display_name).where(
    MEMBERS.c.id.in_(bindparam("ids", expanding=True))
)
_CHUNK = 900  # ids per statement: under SQLite's oldest limit of bound values


def _names(session: Session, statement: Select[Any], ids: set[int]) -> dict[int, tuple[Any, ...]]:
    """Rows of villages or members by id (the rest of each row), in statements of at most `_CHUNK` ids."""
    found: dict[int, tuple[Any, ...]] = {}
    ordered = sorted(ids)
    for at in range(0, len(ordered), _CHUNK):
        for row in session.connection().execute(statement, {"ids": ordered[at : at + _CHUNK]}):
            found[int(row[0])] = tuple(row[1:])
    return found


def load_entries(
    session: Session,
    commune_codes: Sequence[int],
    period: Period,
    tz: ZoneInfo,
    province_code: int | None = None,
    villages: Sequence[int] = (),
) -> Entries:
    """The communes' live sessions held from `HISTORY_WEEKS` weeks before the period to its end, or entered in it
    (with `province_code`, the communes are all of that province's, read by one statement; with `villages`,
    only those villages' sessions, of any of the communes)."""
    history = period.start - dt.timedelta(weeks=HISTORY_WEEKS)
    bounds = {
        "history": history,
        "end": period.end,
        "entered_from": dt.datetime.combine(period.start, dt.time(), tz).astimezone(dt.UTC),
        "entered_to": dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC),
    }
    if villages:
        statement, params = _OF_VILLAGES, {**bounds, "villages": list(villages)}
    elif province_code is not None:
        statement, params = _OF_PROVINCE, {**bounds, "province": province_code}
    elif len(commune_codes) == 1:
        statement, params = _OF_COMMUNE, {**bounds, "commune": commune_codes[0]}
    else:
        raise ValueError("the entries of one commune, or of a whole province")
    rows = session.connection().execute(statement, params).all()
    if not rows:
        return Entries([], {})
    first_day = min(rows[0][2], history)  # the rows come in day order
    helped = _helped(session, commune_codes, first_day, period.end, villages)
    local = _local_days(tz, [row[5] for row in rows])
    places = _names(session, _VILLAGE_NAMES, {row[1] for row in rows})
    people = _names(session, _MEMBER_NAMES, {row[4] for row in rows})
    sessions = []
    for id_, village_id, day, attendees, author_id, created, commune, photos in rows:
        place, person = places.get(village_id), people.get(author_id)
        if place is None or person is None:  # as an inner join would: never, with the foreign keys
            continue
        village, households = place
        author = person[0]
        logged_on = local(created)
        sessions.append(
            Entry(
                id=id_,
                village_id=village_id,
                village=village,
                day=day,
                attendees=attendees,
                logged_by=author,
                logged_on=logged_on,
                commune_code=commune,
                households=households,
                helped=helped.get((village_id, day), 0),
                photos=photos or 0,
            )
        )
    return Entries(sessions, _deadline_days(session, commune_codes), helped)
