"""A reminder still queued when the quiet hours begin waits for 07:00; replies never wait."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import BotApplication
from bot.config import Config
from storage.outbox import OutboxItem

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def item(key: str | None) -> OutboxItem:
    return OutboxItem(
        id=1, channel="telegram", chat_id="7", kind="message", payload={"text": "nhắc"}, idempotency_key=key
    )


def test_the_app_holds_reminders_in_the_quiet_hours_only(tmp_path: Path) -> None:
    app = BotApplication(Config(database_url=f"sqlite:///{tmp_path / 'bot.db'}", demo_data=False))
    hold = app._quiet_hours_hold
    reminder = item("reminder:weekly_session:2026-W48:1:m7")
    evening = dt.datetime(2026, 11, 26, 20, 59, tzinfo=VN)
    assert hold(reminder, evening) is None
    assert hold(reminder, dt.datetime(2026, 11, 26, 21, 0, tzinfo=VN)) == dt.datetime(2026, 11, 27, 7, 0, tzinfo=VN)
    assert hold(reminder, dt.datetime(2026, 11, 27, 6, 59, tzinfo=VN)) == dt.datetime(2026, 11, 27, 7, 0, tzinfo=VN)
    assert hold(reminder, dt.datetime(2026, 11, 27, 7, 0, tzinfo=VN)) is None
    night = dt.datetime(2026, 11, 26, 23, 30, tzinfo=VN)
    assert hold(item(None), night) is None  # a reply to someone who wrote at night goes out
    assert hold(item("unreachable:m3:i9:a1"), night) is None  # not a reminder
    app.database.dispose()
