"""The monthly report reminder names the province's own indicators the commune has not entered for the month;
a province without any reads what it read before."""

from __future__ import annotations

import datetime as dt

from storage import province_indicators
from storage.db import Database
from storage.programmes import monthly, provinces
from tests.reminders.conftest import HA_TINH, SON_KIM_1, SONG_TRI, Area, local
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


def test_the_reminder_names_the_programmes_the_commune_enters_not_yet_entered(database: Database, area: Area) -> None:
    with database.session() as session:
        for programme in ("cho_khong_tien_mat", "cho_so_4t", "gia_dinh_so", "vneid_muc_2"):
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id=programme, now=local(2026, 12, 1))
    text = who(due_at(database, local(2026, 12, 15, 8, 0)))["Chị Lan"]
    # logged by villages only (Gia đình số) or entered as the national «mức 2» figure: not named
    assert (
        "• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): Chợ không dùng tiền mặt, Chợ số – Nông thôn số (4T)."
    ) in text
    assert "✅ Đã nhập đủ" not in text
    with database.session() as session:
        monthly.set_value(
            session,
            actor=None,
            commune_code=SON_KIM_1,
            month=dt.date(2026, 11, 1),
            programme_id="cho_so_4t",
            value=30,
            denominator=None,
            now=local(2026, 12, 16, 9),
        )
        # the same programme's figure for another month does not count for November
        monthly.set_value(
            session,
            actor=None,
            commune_code=SON_KIM_1,
            month=dt.date(2026, 10, 1),
            programme_id="cho_khong_tien_mat",
            value=2,
            denominator=None,
            now=local(2026, 12, 16, 9),
        )
    text = who(due_at(database, local(2026, 12, 18, 8, 0)))["Chị Lan"]
    assert "• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): Chợ không dùng tiền mặt." in text
    with database.session() as session:
        assert monthly.not_entered(session, SON_KIM_1, dt.date(2026, 11, 1)).programmes == [
            provinces.get_programme("cho_khong_tien_mat")
        ]
        assert not monthly.not_entered(session, SONG_TRI, dt.date(2026, 11, 1)).own_indicators
