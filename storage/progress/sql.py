"""The SQL side of the roll-ups: the tables, the week number, the kinds of line and prepared statements.

Each roll-up is ONE statement, a UNION ALL of grouped parts. Each part makes one kind of line, a
`NamedTuple` naming its fields (a village's activity, a kind of help, an indicator's figure…); the parts
share the statement's columns by type (`LineKinds`), and its rows come back as those named lines. The
statement is compiled once per dialect with bound parameters and run on the session's own DB-API cursor,
so a commune's month costs one round trip whatever the number of villages. The week of a session is
counted Monday–Sunday from a fixed Monday (2000-01-03), the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import typing
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy import (
    CTE,
    Date,
    Float,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CompoundSelect
from sqlalchemy.types import TypeEngine
from sqlmodel import Session

from storage.models import (
    Commune,
    HelpRecord,
    IndicatorTarget,
    IndicatorValue,
    MonthlyReport,
    Province,
    TrainingSession,
    Village,
    table_of,
)

SESSIONS = table_of(TrainingSession)
HELP = table_of(HelpRecord)
VILLAGES = table_of(Village)
COMMUNES = table_of(Commune)
PROVINCES = table_of(Province)
FIGURES = table_of(IndicatorValue)
TARGETS = table_of(IndicatorTarget)
REPORTS = table_of(MonthlyReport)


class week_index(FunctionElement[int]):
    """Whole weeks since Monday 2000-01-03: equal for all days of one Monday–Sunday week."""

    type = Integer()
    inherit_cache = True
    name = "week_index"


@compiles(week_index, "sqlite")
def _week_sqlite(element: week_index, compiler: SQLCompiler, **kw: Any) -> str:
    """The week number on SQLite, from the Julian day."""
    return f"CAST((julianday({compiler.process(element.clauses, **kw)}) - 2451546.5) / 7 AS INTEGER)"


@compiles(week_index)
def _week_default(element: week_index, compiler: SQLCompiler, **kw: Any) -> str:
    """The week number on PostgreSQL (date minus date is a number of days)."""
    return f"(({compiler.process(element.clauses, **kw)} - DATE '2000-01-03') / 7)"


class month_index(FunctionElement[int]):
    """Months since January 2000 (year × 12 + month − 1 − 24000): equal for all days of one month."""

    type = Integer()
    inherit_cache = True
    name = "month_index"


@compiles(month_index, "sqlite")
def _month_sqlite(element: month_index, compiler: SQLCompiler, **kw: Any) -> str:
    """The month number on SQLite, from the ISO date's year and month."""
    day = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%Y', {day}) AS INTEGER) * 12 + CAST(strftime('%m', {day}) AS INTEGER) - 24001)"


@compiles(month_index)
def _month_default(element: month_index, compiler: SQLCompiler, **kw: Any) -> str:
    """The month number on PostgreSQL."""
    day = compiler.process(element.clauses, **kw)
    return f"(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {day}) AS INTEGER) - 24001)"


def month_number(day: dt.date) -> int:
    """`month_index` of a day, in Python."""
    return day.year * 12 + day.month - 24001


def live_sessions(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Sessions not deleted whose date lies in the period (:s to :e), and the given conditions."""
    return and_(
        SESSIONS.c.session_date >= bindparam("s", type_=Date),
        SESSIONS.c.session_date <= bindparam("e", type_=Date),
        SESSIONS.c.deleted_at.is_(None),
        *conditions,
    )


def live_help(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Help records not deleted whose date lies in the period (:s to :e), and the given conditions."""
    return and_(
        HELP.c.record_date >= bindparam("s", type_=Date),
        HELP.c.record_date <= bindparam("e", type_=Date),
        HELP.c.deleted_at.is_(None),
        *conditions,
    )


def village_weeks(*conditions: ColumnElement[bool], per_commune: bool = True) -> CTE:
    """Per village (and commune) and week of the period: the sessions held and their attendees.

    A commune's roll-up leaves the commune out (`per_commune=False`): one grouping key less is measurably
    faster on SQLite.
    """
    week = week_index(SESSIONS.c.session_date)
    keys = [SESSIONS.c.commune_code, SESSIONS.c.village_id] if per_commune else [SESSIONS.c.village_id]
    return (
        select(
            *keys, week.label("week"), func.count().label("sessions"), func.sum(SESSIONS.c.attendees).label("attendees")
        )
        .where(live_sessions(*conditions))
        .group_by(*keys, week)
        .cte("village_weeks")
    )


SUBMITTED = case((REPORTS.c.status == "submitted", 1), else_=0)
ON_TIME = case((and_(REPORTS.c.status == "submitted", REPORTS.c.on_time.is_(True)), 1), else_=0)

Line = TypeVar("Line", bound=tuple[Any, ...])
_SQL_TYPES: dict[type, type[TypeEngine[Any]]] = {str: String, int: Integer, float: Float}


def _python_type(hint: Any) -> type:
    """The value type of a line's field from its annotation (`int`, `str`, `float`, optionally `| None`)."""
    python_type = next(t for t in typing.get_args(hint) or (hint,) if t is not type(None))
    if python_type not in _SQL_TYPES:
        raise TypeError(f"a roll-up line holds str, int or float, not {hint}")
    return typing.cast(type, python_type)


def _typed(value: Any, type_: TypeEngine[Any]) -> ColumnElement[Any]:
    """A part's value for one column: NULL, a constant written into the SQL, or an expression."""
    if value is None:
        return cast(null(), type_)
    if isinstance(value, int):
        return literal_column(str(value), type_)
    if isinstance(value, str):
        return literal_column("'" + value.replace("'", "''") + "'", type_)
    return typing.cast(ColumnElement[Any], value)


class LineKinds:
    """The kinds of line one roll-up returns, each a NamedTuple, sharing the columns of one UNION ALL.

    Every part of the statement makes one kind of line. The columns are the kind's number (`tag`), then
    slots by type (`text_1…`, `int_1…`, `float_1…`), as many of each as the widest kind needs: a kind's
    fields fill the slots of their type in order, the rest stay NULL. So the statement is as narrow as
    its widest line, and the lines come back named and typed.
    """

    def __init__(self, *kinds: type[tuple[Any, ...]]) -> None:
        """Lay out the slots and, per kind, which slots its fields read."""
        self.kinds = kinds
        hints = [typing.get_type_hints(kind) for kind in kinds]  # a NamedTuple's annotations: its fields, in order
        self._fields = [tuple(fields) for fields in hints]
        layouts = [[_python_type(hint) for hint in fields.values()] for fields in hints]
        widths = {t: max(layout.count(t) for layout in layouts) for t in _SQL_TYPES}
        self.columns: list[tuple[str, TypeEngine[Any]]] = [
            (f"{t.__name__}_{n + 1}", _SQL_TYPES[t]()) for t in _SQL_TYPES for n in range(widths[t])
        ]
        first = {str: 1, int: 1 + widths[str], float: 1 + widths[str] + widths[int]}
        self._slots: list[list[int]] = []  # per kind, the column of each field
        for layout in layouts:
            used = dict.fromkeys(_SQL_TYPES, 0)
            slots = []
            for t in layout:
                slots.append(first[t] + used[t])
                used[t] += 1
            self._slots.append(slots)
        self._readers = [self._reader(kind, slots) for kind, slots in zip(kinds, self._slots, strict=True)]

    @staticmethod
    def _reader(kind: type[tuple[Any, ...]], slots: list[int]) -> Callable[[list[tuple[Any, ...]]], list[Any]]:
        """How the rows of this kind become its NamedTuples (as `kind._make` on the kind's slots, in C)."""
        make = functools.partial(tuple.__new__, kind)
        if len(slots) == 1:
            slot = slots[0]
            return lambda rows: [make((row[slot],)) for row in rows]
        get = operator.itemgetter(*slots)
        return lambda rows: list(map(make, map(get, rows)))

    def part(self, line_kind: type[tuple[Any, ...]], /, **values: Any) -> list[ColumnElement[Any]]:
        """The columns of one part of the UNION ALL, making lines of `line_kind` (a field not given is NULL)."""
        index = self.kinds.index(line_kind)
        fields = self._fields[index]
        unknown = values.keys() - set(fields)
        if unknown:
            raise ValueError(f"{line_kind.__name__} has no field {', '.join(sorted(unknown))}")
        columns = [_typed(None, type_) for _, type_ in self.columns]
        for name, slot in zip(fields, self._slots[index], strict=True):
            columns[slot - 1] = _typed(values.get(name), self.columns[slot - 1][1])
        return [
            literal_column(str(index), Integer).label("tag"),
            *(column.label(name) for column, (name, _) in zip(columns, self.columns, strict=True)),
        ]

    def read(self, rows: Iterable[tuple[Any, ...]]) -> Lines:
        """The driver's rows as the NamedTuples of their kinds, sorted out by kind."""
        buckets: list[list[tuple[Any, ...]]] = [[] for _ in self.kinds]
        for row in rows:
            buckets[row[0]].append(row)
        return Lines(
            {kind: read(bucket) for kind, read, bucket in zip(self.kinds, self._readers, buckets, strict=True)}
        )


class Lines:
    """A roll-up's lines by kind."""

    def __init__(self, by_kind: dict[type[tuple[Any, ...]], list[Any]]) -> None:
        """Keep the lines of each kind."""
        self._by_kind = by_kind

    def of(self, kind: type[Line]) -> list[Line]:
        """The lines of one kind, in no order."""
        return self._by_kind[kind]


class PreparedRollup:
    """One roll-up statement: built and compiled once per dialect, then run on the session's DB-API cursor.

    A commune's month is a small query (~0.5 ms on SQLite), so the per-call work of a Core execution
    (compiled-cache lookup, bind and result processing, Row objects) would be a third of it. The statement
    runs on the session's own connection, inside its transaction; dates are the only values needing
    conversion (ISO text on SQLite, native on PostgreSQL).
    """

    def __init__(self, kinds: LineKinds, build: Callable[[LineKinds], CompoundSelect]) -> None:
        """Keep how to build the statement; it is built at its first run on each dialect."""
        self.kinds = kinds
        self._build = build
        self._compiled: dict[str, SQLCompiler] = {}

    def _compiled_for(self, dialect: Any) -> SQLCompiler:
        """The statement compiled for this dialect (once)."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            built = self._build(self.kinds).compile(dialect=dialect)
            if not isinstance(built, SQLCompiler):
                raise TypeError(f"a roll-up compiled to {type(built).__name__}, not SQL")
            compiled = self._compiled[dialect.name] = built
        return compiled

    def fetch(self, session: Session, params: dict[str, Any]) -> Lines:
        """Run the statement with these parameters in the session's transaction; its lines, in no order."""
        connection = session.connection()
        dialect = connection.dialect
        compiled = self._compiled_for(dialect)
        values = compiled.construct_params(params)
        if dialect.name == "sqlite":
            values = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}
        positions = compiled.positiontup
        arguments: Any = tuple(values[n] for n in positions) if positions is not None else values
        driver = connection.connection.driver_connection
        if driver is None:
            raise RuntimeError("the session's database connection is closed")
        cursor = driver.cursor()
        try:
            cursor.execute(compiled.string, arguments)
            return self.kinds.read(cursor.fetchall())
        finally:
            cursor.close()
