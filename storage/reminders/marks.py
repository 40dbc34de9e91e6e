"""The marks the schedulers share in the settings table: the rules' version and how far reminders were queued."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from storage.models import BotSetting

VERSION_KEY = "reminders.version"
CHECKED_KEY = "reminders.checked_until"


def bump_version(session: Session, now: dt.datetime) -> None:
    """Note that rules or deadlines changed, so every running scheduler rebuilds its jobs."""
    row = session.get(BotSetting, VERSION_KEY)
    if row is None:
        row = BotSetting(key=VERSION_KEY, value="1", updated_at=now)
    else:
        row.value, row.updated_at = str(int(row.value or 0) + 1), now
    session.add(row)


def rules_version(session: Session) -> str:
    """Changes whenever a rule or a deadline changes."""
    row = session.get(BotSetting, VERSION_KEY)
    return row.value if row is not None else "0"


def checked_until(session: Session) -> dt.datetime | None:
    """Up to when some scheduler has queued the due reminders (None: no scheduler ever ran)."""
    row = session.get(BotSetting, CHECKED_KEY)
    return dt.datetime.fromisoformat(row.value) if row is not None else None


def set_checked_until(session: Session, moment: dt.datetime, now: dt.datetime) -> None:
    """Move the mark forward (never back: another process may be ahead)."""
    row = session.get(BotSetting, CHECKED_KEY)
    if row is not None and dt.datetime.fromisoformat(row.value) >= moment:
        return
    if row is None:
        row = BotSetting(key=CHECKED_KEY, value=moment.isoformat(), updated_at=now)
    else:
        row.value, row.updated_at = moment.isoformat(), now
    session.add(row)
