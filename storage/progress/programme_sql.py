"""The programmes' roll-up as one prepared statement (`sql.py`'s way): for a commune, one of its villages, or
every commune of a province, in one round trip, the lines `programmes.py` reads.

The parts: the area's province (`AreaHead`), the programmes it runs (`EnabledLine`) and their targets of the
year, the figures villages logged per commune, programme and unit (the month's, the year's, and the year's over
villages with a household count), the villages' households per commune, the named mentors per commune and
programme and how many reach their mentees, the national indicator figures the programmes read, and the figures
communes entered in /chiso from January to the month (`EnteredLine`). The
thresholds of the mentor programmes and the indicators are the shipped catalog's, written into the statement
when it is built.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.selectable import CompoundSelect, Select
from sqlmodel import Session

from storage.models import (
    IndicatorValue,
    ProgrammeMonthValue,
    ProgrammeRecord,
    ProgrammeTarget,
    ProvinceProgramme,
    table_of,
)
from storage.periods import month_of
from storage.programmes.catalog import RULE_PER_MENTOR, shipped
from storage.progress.sql import COMMUNES, VILLAGES, LineKinds, PreparedRollup

RECORDS = table_of(ProgrammeRecord)
FIGURES = table_of(IndicatorValue)
TARGETS = table_of(ProgrammeTarget)
ENABLED = table_of(ProvinceProgramme)
ENTERED = table_of(ProgrammeMonthValue)

COMMUNE, VILLAGE, PROVINCE = "commune", "village", "province"


class AreaHead(NamedTuple):
    """The province of the area asked about (none: no such commune)."""

    province_code: int


class EnabledLine(NamedTuple):
    """A programme the province runs."""

    programme: str


class TargetLine(NamedTuple):
    """The province's target of the year for a programme."""

    programme: str
    value: float


class RecordLine(NamedTuple):
    """What a commune's villages logged for a programme in one unit: the month, the year, the year over the
    villages with a household count."""

    commune_code: int
    programme: str
    unit: str
    month: int
    year: int
    covered: int


class HouseholdLine(NamedTuple):
    """A commune's villages (those asked about): households where set, how many have a count, how many."""

    commune_code: int
    households: int | None
    known: int
    villages: int


class MentorLine(NamedTuple):
    """A commune's named mentors of a programme in the year, and how many reach the rule's mentees."""

    commune_code: int
    programme: str
    mentors: int
    reached: int


class FigureLine(NamedTuple):
    """A commune's figure of the month for a national indicator a programme reads."""

    commune_code: int
    indicator: str
    numerator: int
    denominator: int


class EnteredLine(NamedTuple):
    """A figure a commune entered in /chiso for a programme, in a month of the year up to the one asked (its
    number, 1 to 12), with the denominator typed beside it (where the catalog's is entered)."""

    commune_code: int
    programme: str
    month: int
    value: int
    denominator: int | None


KINDS = LineKinds(AreaHead, EnabledLine, TargetLine, RecordLine, HouseholdLine, MentorLine, FigureLine, EnteredLine)


def month_starts(year: int) -> dict[str, dt.date]:
    """The statement's parameters :m1 … :m12, the first days of the year's months (the entered figures' month
    numbers are told by them, the same SQL on SQLite and PostgreSQL)."""
    return {f"m{number}": dt.date(year, number, 1) for number in range(1, 13)}


def _statement(kinds: LineKinds, area: str) -> CompoundSelect:
    """The roll-up of a commune (:c), a village of it (:c, :v) or a province (:p) for the month :s – :e, the
    year from :jan, the year's targets :y."""
    start, end, january = bindparam("s", type_=Date), bindparam("e", type_=Date), bindparam("jan", type_=Date)
    if area == PROVINCE:
        province: Any = bindparam("p", type_=Integer)
        head = select(*kinds.part(AreaHead, province_code=province))
    else:
        commune = bindparam("c", type_=Integer)
        province = select(COMMUNES.c.province_code).where(COMMUNES.c.code == commune).scalar_subquery()
        head = select(*kinds.part(AreaHead, province_code=COMMUNES.c.province_code)).where(COMMUNES.c.code == commune)

    def where(code: Any, village: Any | None = None) -> list[ColumnElement[bool]]:
        return _in_area(area, province, code, village)

    enabled = select(ENABLED.c.programme).where(ENABLED.c.province_code == province, ENABLED.c.enabled == true())
    logged = and_records(where(RECORDS.c.commune_code, RECORDS.c.village_id), enabled, january, end)
    parts: list[Select[Any]] = [
        head,
        select(*kinds.part(EnabledLine, programme=ENABLED.c.programme)).where(
            ENABLED.c.province_code == province, ENABLED.c.enabled == true()
        ),
        select(*kinds.part(TargetLine, programme=TARGETS.c.programme, value=TARGETS.c.value)).where(
            TARGETS.c.province_code == province, TARGETS.c.year == bindparam("y", type_=Integer)
        ),
        _records_part(kinds, logged, start),
        _households_part(kinds, where(VILLAGES.c.commune_code, VILLAGES.c.id)),
    ]
    mentors = _mentors_part(kinds, logged)
    if mentors is not None:
        parts.append(mentors)
    if area != VILLAGE:  # a commune's figures, not a village's
        figures = _figures_part(kinds, where(FIGURES.c.commune_code), start)
        if figures is not None:
            parts.append(figures)
        parts.append(_entered_part(kinds, where(ENTERED.c.commune_code), january, start))
    return union_all(*parts)


def _in_area(area: str, province: Any, code: Any, village: Any | None) -> list[ColumnElement[bool]]:
    """The conditions keeping the rows of the area asked: its province's communes, the commune :c, or its
    village :v (when the table has a village column)."""
    if area == PROVINCE:
        return [code.in_(select(COMMUNES.c.code).where(COMMUNES.c.province_code == province))]
    conditions = [code == bindparam("c", type_=Integer)]
    if area == VILLAGE and village is not None:
        conditions.append(village == bindparam("v", type_=Integer))
    return conditions


def _records_part(kinds: LineKinds, logged: list[ColumnElement[bool]], start: Any) -> Select[Any]:
    """What was logged per commune, programme and unit: in the month, in the year, and in villages whose
    households are known (for the coverage)."""
    return (
        select(
            *kinds.part(
                RecordLine,
                commune_code=RECORDS.c.commune_code,
                programme=RECORDS.c.programme,
                unit=RECORDS.c.unit,
                month=func.sum(case((RECORDS.c.record_date >= start, RECORDS.c.count), else_=0)),
                year=func.sum(RECORDS.c.count),
                covered=func.sum(case((VILLAGES.c.households.is_not(None), RECORDS.c.count), else_=0)),
            )
        )
        .select_from(RECORDS.join(VILLAGES, VILLAGES.c.id == RECORDS.c.village_id))
        .where(*logged)
        .group_by(RECORDS.c.commune_code, RECORDS.c.programme, RECORDS.c.unit)
    )


def _households_part(kinds: LineKinds, in_area: list[ColumnElement[bool]]) -> Select[Any]:
    """The households of each commune's villages in the area, and how many villages have them known."""
    return (
        select(
            *kinds.part(
                HouseholdLine,
                commune_code=VILLAGES.c.commune_code,
                households=func.sum(VILLAGES.c.households),
                known=func.count(VILLAGES.c.households),
                villages=func.count(),
            )
        )
        .where(*in_area)
        .group_by(VILLAGES.c.commune_code)
    )


def _mentors_part(kinds: LineKinds, logged: list[ColumnElement[bool]]) -> Select[Any] | None:
    """For the programmes counted per mentor: each commune's mentors and how many reached their mentees' number
    (None when no shipped programme counts so)."""
    mentees = {p.id: p.target.mentees or 1 for p in shipped() if p.target.rule == RULE_PER_MENTOR}
    if not mentees:
        return None
    per_mentor = (
        select(
            RECORDS.c.commune_code,
            RECORDS.c.programme,
            func.sum(RECORDS.c.count).label("mentees"),
        )
        .where(*logged, _one_of(RECORDS.c.programme, mentees), RECORDS.c.unit == "people")
        .where(RECORDS.c.mentor.is_not(None))
        .group_by(RECORDS.c.commune_code, RECORDS.c.programme, RECORDS.c.mentor)
        .subquery("per_mentor")
    )
    threshold = case(mentees, value=per_mentor.c.programme, else_=1)
    return select(
        *kinds.part(
            MentorLine,
            commune_code=per_mentor.c.commune_code,
            programme=per_mentor.c.programme,
            mentors=func.count(),
            reached=func.sum(case((per_mentor.c.mentees >= threshold, 1), else_=0)),
        )
    ).group_by(per_mentor.c.commune_code, per_mentor.c.programme)


def _figures_part(kinds: LineKinds, in_area: list[ColumnElement[bool]], start: Any) -> Select[Any] | None:
    """The communes' figures of the month for the shipped programmes' indicators (None when none has one)."""
    indicators = sorted({p.indicator for p in shipped() if p.indicator})
    if not indicators:
        return None
    return select(
        *kinds.part(
            FigureLine,
            commune_code=FIGURES.c.commune_code,
            indicator=FIGURES.c.indicator,
            numerator=FIGURES.c.numerator,
            denominator=FIGURES.c.denominator,
        )
    ).where(*in_area, FIGURES.c.month == start, _one_of(FIGURES.c.indicator, indicators))


def _entered_part(kinds: LineKinds, in_area: list[ColumnElement[bool]], january: Any, start: Any) -> Select[Any]:
    """The figures the area's communes entered in /chiso from January to the month asked, each with its month's
    number."""
    number = case(*((ENTERED.c.month == bindparam(f"m{n}", type_=Date), n) for n in range(1, 13)), else_=0)
    return select(
        *kinds.part(
            EnteredLine,
            commune_code=ENTERED.c.commune_code,
            programme=ENTERED.c.programme,
            month=number,
            value=ENTERED.c.value,
            denominator=ENTERED.c.denominator,
        )
    ).where(*in_area, ENTERED.c.month >= january, ENTERED.c.month <= start)


def _one_of(column: Any, ids: Any) -> ColumnElement[bool]:
    """The column equal to one of the catalog's ids, written into the statement (ids are [a-z0-9_] only, so
    quoting is plain; a list bound at run time would need expanding, which a prepared statement has not)."""
    return or_(*(column == literal_column(f"'{value}'", String) for value in ids))


def and_records(
    area: list[ColumnElement[bool]], enabled: Select[Any], january: Any, end: Any
) -> list[ColumnElement[bool]]:
    """Live records of the area's villages, of a programme the province runs, from January to the month's end."""
    return [
        *area,
        RECORDS.c.programme.in_(enabled),
        RECORDS.c.record_date >= january,
        RECORDS.c.record_date <= end,
        RECORDS.c.deleted_at.is_(None),
    ]


STATEMENTS = {
    COMMUNE: PreparedRollup(KINDS, lambda kinds: _statement(kinds, COMMUNE)),
    VILLAGE: PreparedRollup(KINDS, lambda kinds: _statement(kinds, VILLAGE)),
    PROVINCE: PreparedRollup(KINDS, lambda kinds: _statement(kinds, PROVINCE)),
}


def monthly_logged(
    session: Session, month: dt.date, units: dict[str, str], communes: list[int]
) -> dict[tuple[int, str], dict[int, int]]:
    """What the villages of these communes logged for these programmes (id -> the unit counted) in each month
    of the year up to `month`: (commune, programme) -> month number -> sum. One read grouped by the month, told
    by a CASE over the months' ends (the same SQL on SQLite and PostgreSQL)."""
    if not communes or not units:
        return {}
    ends = [month_of(dt.date(month.year, number, 1))[1] for number in range(1, month.month + 1)]
    number = case(*((RECORDS.c.record_date <= end, index + 1) for index, end in enumerate(ends)), else_=0)
    rows = session.execute(
        select(RECORDS.c.commune_code, RECORDS.c.programme, number, func.sum(RECORDS.c.count))
        .where(
            RECORDS.c.commune_code.in_(communes),
            or_(*(and_(RECORDS.c.programme == pid, RECORDS.c.unit == unit) for pid, unit in units.items())),
            RECORDS.c.record_date >= dt.date(month.year, 1, 1),
            RECORDS.c.record_date <= ends[-1],
            RECORDS.c.deleted_at.is_(None),
        )
        .group_by(RECORDS.c.commune_code, RECORDS.c.programme, number)
    )
    out: dict[tuple[int, str], dict[int, int]] = {}
    for commune_code, programme_id, month_number, total in rows:
        out.setdefault((int(commune_code), str(programme_id)), {})[int(month_number)] = int(total or 0)
    return out
