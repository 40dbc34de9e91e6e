"""The audit trail: every create, edit and delete with who, when, and the values before and after."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from storage.models import AuditEntry, table_of

_INSERT = insert(table_of(AuditEntry))


def snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The JSON-safe values of some fields of a row."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return out


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: Any,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one entry, inserted at once in the session's transaction (a prebuilt statement: entries are only
    ever written here and read elsewhere, so no ORM object is needed)."""
    session.connection().execute(
        _INSERT,
        {
            "at": now,
            "actor_id": actor_id,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "before": before,
            "after": after,
        },
    )


def save(
    session: Session,
    row: Any,
    *,
    actor_id: int | None,
    entity: str,
    now: dt.datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    entity_id: Any = None,
) -> None:
    """Write a created or changed row and its entry: `create` when there was nothing `before`, else `update`;
    the entry names the row by its id unless `entity_id` names it otherwise."""
    session.add(row)
    session.flush()
    record(
        session,
        actor_id=actor_id,
        action="update" if before else "create",
        entity=entity,
        entity_id=row.id if entity_id is None else entity_id,
        now=now,
        before=before,
        after=after,
    )
