"""The SQL side of the roll-ups: the tables, the week number, named line shapes and prepared statements.

Each roll-up is ONE statement, a UNION ALL of grouped parts. Every part returns the same named columns (a
`NamedTuple` per roll-up declares them): its tag, the area the line is about (`key`), a label, and the
figures, the ones a part does not compute left NULL. The statement is compiled once per dialect with bound
parameters and run on the session's own DB-API cursor, so a commune's month costs one round trip whatever
the number of villages. The week of a session is counted Monday–Sunday from a fixed Monday (2000-01-03),
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections.abc import Callable, Iterable
from typing import Any, Generic, NamedTuple, TypeVar

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


def live_sessions(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Sessions not deleted whose date lies in the period (:s to :e), and the given conditions."""
    return and_(SESSIONS.c.session_date >= bindparam("s", type_=Date),
                SESSIONS.c.session_date <= bindparam("e", type_=Date), SESSIONS.c.deleted_at.is_(None), *conditions)


def live_help(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Help records not deleted whose date lies in the period (:s to :e), and the given conditions."""
    return and_(HELP.c.record_date >= bindparam("s", type_=Date), HELP.c.record_date <= bindparam("e", type_=Date),
                HELP.c.deleted_at.is_(None), *conditions)


def village_weeks(*conditions: ColumnElement[bool], per_commune: bool = True) -> CTE:
    """Per village (and commune) and week of the period: the sessions held and their attendees.

    A commune's roll-up leaves the commune out (`per_commune=False`): one grouping key less is measurably
    faster on SQLite.
    """
    week = week_index(SESSIONS.c.session_date)
    keys = [SESSIONS.c.commune_code, SESSIONS.c.village_id] if per_commune else [SESSIONS.c.village_id]
    return (
        select(*keys, week.label("week"), func.count().label("sessions"),
               func.sum(SESSIONS.c.attendees).label("attendees"))
        .where(live_sessions(*conditions))
        .group_by(*keys, week)
        .cte("village_weeks")
    )


SUBMITTED = case((REPORTS.c.status == "submitted", 1), else_=0)
ON_TIME = case((and_(REPORTS.c.status == "submitted", REPORTS.c.on_time.is_(True)), 1), else_=0)

Line = TypeVar("Line", bound=NamedTuple)
_SQL_TYPES: dict[type, type[TypeEngine[Any]]] = {int: Integer, str: String, float: Float}


def _sql_type(hint: Any) -> TypeEngine[Any]:
    """The SQL type of a line's field from its annotation (`int`, `str`, `float`, optionally `| None`)."""
    python_type = next(t for t in typing.get_args(hint) or (hint,) if t is not type(None))
    return _SQL_TYPES[python_type]()


def _typed(value: Any, type_: TypeEngine[Any]) -> ColumnElement[Any]:
    """A part's value for one column: NULL, a constant written into the SQL, or an expression."""
    if value is None:
        return cast(null(), type_)
    if isinstance(value, int):
        return literal_column(str(value), type_)
    if isinstance(value, str):
        return literal_column("'" + value.replace("'", "''") + "'", type_)
    return typing.cast(ColumnElement[Any], value)


class LineShape(Generic[Line]):
    """The named columns of one roll-up's lines (from its NamedTuple): what each part selects, how rows read."""

    def __init__(self, line: type[Line]) -> None:
        """Read the fields and their SQL types from the NamedTuple (its first field is the tag)."""
        hints = typing.get_type_hints(line)
        self.line = line
        self._make = functools.partial(tuple.__new__, line)  # as `line._make`, without a Python frame per row
        self.columns = [(name, _sql_type(hints[name])) for name in line._fields[1:]]
        self.names = frozenset(line._fields[1:])

    def part(self, tag: str | ColumnElement[str], **values: Any) -> list[ColumnElement[Any]]:
        """The columns of one part of the UNION ALL: its tag, then every named column (NULL if not given).

        The tag is a constant, or a CASE choosing between constants where one scan serves two tags.
        """
        unknown = values.keys() - self.names
        if unknown:
            raise ValueError(f"{self.line.__name__} has no column {', '.join(sorted(unknown))}")
        return [_typed(tag, String()).label("tag"),
                *(_typed(values.get(name), type_).label(name) for name, type_ in self.columns)]

    def read(self, rows: Iterable[tuple[Any, ...]]) -> list[Line]:
        """The driver's rows as named lines."""
        return list(map(self._make, rows))


class PreparedRollup(Generic[Line]):
    """One roll-up statement: built and compiled once per dialect, then run on the session's DB-API cursor.

    A commune's month is a small query (~0.5 ms on SQLite), so the per-call work of a Core execution
    (compiled-cache lookup, bind and result processing, Row objects) would be a third of it. The statement
    runs on the session's own connection, inside its transaction; dates are the only values needing
    conversion (ISO text on SQLite, native on PostgreSQL).
    """

    def __init__(self, shape: LineShape[Line], build: Callable[[LineShape[Line]], CompoundSelect]) -> None:
        """Keep how to build the statement; it is built at its first run on each dialect."""
        self.shape = shape
        self._build = build
        self._compiled: dict[str, SQLCompiler] = {}

    def _compiled_for(self, dialect: Any) -> SQLCompiler:
        """The statement compiled for this dialect (once)."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            built = self._build(self.shape).compile(dialect=dialect)
            if not isinstance(built, SQLCompiler):
                raise TypeError(f"a roll-up compiled to {type(built).__name__}, not SQL")
            compiled = self._compiled[dialect.name] = built
        return compiled

    def fetch(self, session: Session, params: dict[str, Any]) -> list[Line]:
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
            return self.shape.read(cursor.fetchall())
        finally:
            cursor.close()
