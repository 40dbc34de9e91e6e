"""Helpers for any table model: its Core table, and the id of a saved row."""

from __future__ import annotations

from typing import Protocol

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
