"""The monthly report reminder names the province's own indicators the commune has not entered for the month;
a province without any reads what it read before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from storage import province_indicators
from storage.db import Database
from storage.programmes import monthly, provinces
from tests.reminders.conftest import HA_TINH, SON_KIM_1, SONG_TRI, Area, local
from tests.reminders.test_due import due_at, who

NOVEMBER = dt.date(2026, 11, 1)  # the month the reminders of December 15 and 18 ask for
Enter = Callable[..., None]


def reminder_of_lan(database: Database, at: dt.datetime) -> str:
    """What Sơn Kim 1's commune admin (Chị Lan) is reminded of at `at`."""
    return who(due_at(database, at))["Chị Lan"]


@pytest.fixture
def own_indicators(database: Database, area: Area) -> None:
    """Hà Tĩnh adds two indicators of its own on December 1."""
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


@pytest.fixture
def programmes(database: Database, area: Area) -> None:
    """Hà Tĩnh runs four programmes: two entered monthly by the commune, one logged by villages (Gia đình số),
    one entered as the national «mức 2» figure."""
    with database.session() as session:
        for programme in ("cho_khong_tien_mat", "cho_so_4t", "gia_dinh_so", "vneid_muc_2"):
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id=programme, now=local(2026, 12, 1))


@pytest.fixture
def enter(database: Database) -> Enter:
    """Sơn Kim 1 enters a month's figure (November unless `month`): an own indicator's (`indicator=`) or a
    programme's (`programme=`)."""

    def enter_figure(
        value: int, *, indicator: str | None = None, programme: str | None = None, month: dt.date = NOVEMBER
    ) -> None:
        with database.session() as session:
            if indicator is not None:
                province_indicators.set_value(
                    session,
                    actor=None,
                    commune_code=SON_KIM_1,
                    month=month,
                    indicator_id=indicator,
                    value=value,
                    now=local(2026, 12, 2, 9),
                )
            if programme is not None:
                monthly.set_value(
                    session,
                    actor=None,
                    commune_code=SON_KIM_1,
                    month=month,
                    programme_id=programme,
                    value=value,
                    denominator=None,
                    now=local(2026, 12, 16, 9),
                )

    return enter_figure


def test_a_province_without_own_indicators_reads_as_before(database: Database, area: Area) -> None:
    assert "Chỉ số riêng" not in reminder_of_lan(database, local(2026, 12, 15, 8, 0))


@pytest.mark.usefixtures("own_indicators")
def test_the_reminder_names_own_indicators_not_entered(database: Database, enter: Enter) -> None:
    enter(2, indicator="cho_4t")
    text = reminder_of_lan(database, local(2026, 12, 18, 8, 0))
    assert "• Chỉ số riêng của tỉnh chưa nhập (/chiso): Điểm wifi công cộng." in text
    assert "Chợ áp dụng 4T" not in text


@pytest.mark.usefixtures("programmes")
def test_the_reminder_names_the_programmes_the_commune_enters_not_yet_entered(database: Database, enter: Enter) -> None:
    text = reminder_of_lan(database, local(2026, 12, 15, 8, 0))
    # logged by villages only (Gia đình số) or entered as the national «mức 2» figure: not named
    assert (
        "• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): Chợ không dùng tiền mặt, Chợ số – Nông thôn số (4T)."
    ) in text
    assert "✅ Đã nhập đủ" not in text
    enter(30, programme="cho_so_4t")
    enter(2, programme="cho_khong_tien_mat", month=dt.date(2026, 10, 1))  # another month: not November's
    text = reminder_of_lan(database, local(2026, 12, 18, 8, 0))
    assert "• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): Chợ không dùng tiền mặt." in text
    with database.session() as session:
        assert monthly.not_entered(session, SON_KIM_1, NOVEMBER).programmes == [
            provinces.get_programme("cho_khong_tien_mat")
        ]
        assert not monthly.not_entered(session, SONG_TRI, NOVEMBER).own_indicators
