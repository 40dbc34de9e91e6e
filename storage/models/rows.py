"""Helpers for any table model: its Core table, the id of a saved row, and the factories of empty JSON fields."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Table
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements built with SQLAlchemy Core.

    SQLModel sets `__table__` only at run time, so a type checker cannot see it on the class.
    """
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


class _Stored(Protocol):
    """A row with an id given by the database."""

    id: int | None


def saved_id(row: _Stored) -> int:
    """The id of a row already in the database (its type says optional because a new row has none yet)."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no id: it was never saved")
    return row.id


# A field's default factory is inspected by pydantic each time a row is built without that field (does it take
# the validated data?). A builtin such as `list` has its signature parsed from text for that, about 0.1 ms a
# time (a saved session paid it on every save, for its evidence); a plain function's is read in microseconds.


def empty_list() -> list[Any]:
    """A new empty list: the default of a JSON list field."""
    return []


def empty_dict() -> dict[str, Any]:
    """A new empty dict: the default of a JSON object field."""
    return {}
