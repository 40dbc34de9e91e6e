"""Time as an injectable object: tests freeze or move it, nothing sleeps on it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Tells the current time as an aware UTC datetime."""

    def now(self) -> dt.datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The real time, in UTC."""
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and previews."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        """The time the test set."""
        return self._at

    def set(self, at: dt.datetime) -> None:
        """Move to a given moment (kept in UTC)."""
        self._at = at.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        """Move time forward by a delta."""
        self._at += delta


def local_today(clock: Clock, tz: ZoneInfo) -> dt.date:
    """Today's date where the teams are (the deployment's timezone)."""
    return clock.now().astimezone(tz).date()
