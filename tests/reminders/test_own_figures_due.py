"""The monthly report reminder names the province's own indicators the commune has not entered for the month;
a province without any reads what it read before."""

from __future__ import annotations

import datetime as dt

from storage import province_indicators
from storage.db import Database
from tests.reminders.conftest import HA_TINH, SON_KIM_1, Area, local
from tests.reminders.test_due import due_at, who


def add_own(database: Database) -> None:
    with database.session() as session:
        for indicator_id, name in (("diem_wifi", "Điểm wifi công cộng"), ("cho_4t", "Chợ áp dụng 4T")):
            province_indicators.add_indicator(
                session,
                province_code=HA_TINH,
                indicator_id=indicator_id,
                name=name,
                name_en="Public wifi points" if indicator_id == "diem_wifi" else None,
                unit="điểm",
                now=local(2026, 12, 1, 9),
            )


def test_the_reminder_names_own_indicators_not_entered(database: Database, area: Area) -> None:
    before = who(due_at(database, local(2026, 12, 15, 8, 0)))["Chị Lan"]
    assert "Chỉ số riêng" not in before
    add_own(database)
    with database.session() as session:
        province_indicators.set_value(
            session,
            actor=None,
            commune_code=SON_KIM_1,
            month=dt.date(2026, 11, 1),
            indicator_id="cho_4t",
            value=2,
            now=local(2026, 12, 2, 9),
        )
    text = who(due_at(database, local(2026, 12, 18, 8, 0)))["Chị Lan"]
    assert "• Chỉ số riêng của tỉnh chưa nhập (/chiso): Điểm wifi công cộng." in text
    assert "Chợ áp dụng 4T" not in text
