"""Small key/value facts kept by the running bot (e.g. its username on each messenger).

Written with INSERT ... ON CONFLICT DO UPDATE: several instances starting at once on one database all learn the
bot's username and write it, and none of them may fail on the primary key."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from storage.db import conflict_insert
from storage.models import BotSetting


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(BotSetting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str, now: dt.datetime) -> None:
    """Set `key` to `value`, whether or not another writer set it meanwhile (the last write wins)."""
    connection = session.connection()
    table = BotSetting.__table__  # type: ignore[attr-defined]  # set by SQLModel, not in its stubs
    upsert = conflict_insert(connection.dialect.name, table)
    connection.execute(
        upsert.on_conflict_do_update(
            index_elements=["key"], set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at}
        ),
        {"key": key, "value": value, "updated_at": now},
    )
    cached = session.get(BotSetting, key)
    if cached is not None:  # the session may hold the row already: let it see the new value
        session.refresh(cached)
