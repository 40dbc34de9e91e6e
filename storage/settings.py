"""Small key/value facts kept by the running bot (e.g. its username on each messenger)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from storage.models import BotSetting


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(BotSetting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str, now: dt.datetime) -> None:
    row = session.get(BotSetting, key)
    if row is None:
        session.add(BotSetting(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
        session.add(row)
