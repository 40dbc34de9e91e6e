"""The programmes' and own indicators' roll-up of a commune, a village and a province, against the figures
worked out by hand in `programmes_script.py`; a province with nothing turned on gets nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.db import Database
from storage.errors import DomainError
from storage.programmes import monthly
from storage.progress.own_indicators import commune_own_indicators, province_own_indicators
from storage.progress.programmes import BothWays, ProgrammeProgress, commune_programmes, province_programmes
from storage.scope import Scope
from tests.reports.conftest import HA_TINH, MEMBER, OCTOBER, OTHER_VIEWER, SON_KIM_1, SON_KIM_2, Month, member_of
from tests.reports.programmes_script import add_programmes


@pytest.fixture
def programmes(database: Database, month: Month) -> Month:
    add_programmes(database, month)
    return month


def by_id(lines: list[ProgrammeProgress]) -> dict[str, ProgrammeProgress]:
    return {line.id: line for line in lines}


def test_commune_programmes_by_hand(database: Database, programmes: Month) -> None:
    with database.session(readonly=True) as session:
        lines = commune_programmes(session, Scope.operator(), SON_KIM_1, OCTOBER)
    assert [line.id for line in lines] == [
        "cho_so_4t",
        "dai_su_so",
        "gia_dinh_so",
        "moi_cong_dan_mot_dinh_danh_so",
        "vneid_muc_2",
    ]
    got = {line.id: line.as_json() for line in lines}
    assert got["gia_dinh_so"] == {
        "id": "gia_dinh_so",
        "figure": 65,
        "denominator": 300,
        "percent": 20.0,
        "target": 100.0,
        "on_track": False,
        "name": "Gia đình số",
        "unit": "households",
        "rule": "percent",
        "month_figure": 45,
        "villages_without_households": 1,
    }
    assert got["dai_su_so"] == {
        "id": "dai_su_so",
        "figure": 1,
        "denominator": 2,
        "percent": 50.0,
        "target": 10.0,
        "on_track": False,
        "name": "Đại sứ số",
        "unit": "people",
        "rule": "per_mentor",
        "month_figure": 6,
        "also": {"people": 9},
        "mentees_per_mentor": 5,
    }
    four_t = got["cho_so_4t"]
    assert (four_t["figure"], four_t["month_figure"], four_t["percent"], four_t["target"]) == (34, 22, None, 40.0)
    assert four_t["on_track"] is True and four_t["also"] == {"markets": 1}
    vneid = got["vneid_muc_2"]
    assert (vneid["figure"], vneid["denominator"], vneid["percent"], vneid["on_track"]) == (3000, 5000, 60.0, False)
    identity = got["moi_cong_dan_mot_dinh_danh_so"]
    assert (identity["figure"], identity["percent"], identity["target"], identity["on_track"]) == (
        None,
        None,
        100.0,
        None,
    )


def test_a_village_sees_its_own_figures(database: Database, programmes: Month) -> None:
    member = member_of(database, MEMBER, programmes)  # of Thôn 2
    with database.session(readonly=True) as session:
        lines = by_id(commune_programmes(session, Scope.of(member), SON_KIM_1, OCTOBER))
    assert (lines["gia_dinh_so"].figure, lines["gia_dinh_so"].denominator, lines["gia_dinh_so"].percent) == (
        10,
        100,
        10.0,
    )
    assert (lines["dai_su_so"].figure, lines["dai_su_so"].denominator) == (0, 2)  # Lan 2 and Minh 4 here
    assert lines["vneid_muc_2"].figure is None  # a commune's figure, not a village's


def test_province_programmes_by_hand(database: Database, programmes: Month) -> None:
    with database.session(readonly=True) as session:
        rollup = province_programmes(session, Scope.operator(), HA_TINH, OCTOBER)
    total = by_id(rollup.total)
    assert (total["gia_dinh_so"].month_figure, total["gia_dinh_so"].figure) == (55, 75)
    assert (total["gia_dinh_so"].covered, total["gia_dinh_so"].denominator, total["gia_dinh_so"].percent) == (
        70,
        350,
        20.0,
    )
    assert (total["dai_su_so"].figure, total["dai_su_so"].denominator, total["dai_su_so"].percent) == (2, 3, 66.67)
    assert total["dai_su_so"].also == {"people": 14} and total["dai_su_so"].month_figure == 11
    assert (total["cho_so_4t"].figure, total["cho_so_4t"].on_track) == (34, True)
    assert (total["vneid_muc_2"].figure, total["vneid_muc_2"].denominator) == (3000, 5000)
    second = by_id(rollup.communes[SON_KIM_2])
    assert (second["gia_dinh_so"].figure, second["gia_dinh_so"].percent) == (10, 20.0)
    assert (second["dai_su_so"].figure, second["dai_su_so"].percent) == (1, 100.0)
    assert second["vneid_muc_2"].figure is None
    first = by_id(rollup.communes[SON_KIM_1])
    assert first["gia_dinh_so"].as_json() == by_id(commune_programmes_of(database, SON_KIM_1))["gia_dinh_so"].as_json()


def commune_programmes_of(database: Database, code: int) -> list[ProgrammeProgress]:
    with database.session(readonly=True) as session:
        return commune_programmes(session, Scope.operator(), code, OCTOBER)


def test_own_indicators_by_hand(database: Database, programmes: Month) -> None:
    with database.session(readonly=True) as session:
        (wifi,) = commune_own_indicators(session, Scope.operator(), SON_KIM_1, OCTOBER)
        rollup = province_own_indicators(session, Scope.operator(), HA_TINH, OCTOBER)
        (september,) = commune_own_indicators(session, Scope.operator(), SON_KIM_2, dt.date(2026, 9, 1))
    assert wifi.as_json() == {
        "id": "diem_wifi",
        "name": "Điểm wifi công cộng",
        "unit": "điểm",
        "value": 4,
        "year_to_date": 7,
        "target": 24,
        "on_track": False,
    }
    (total,) = rollup.total
    assert (total.value, total.year_to_date, total.communes_entered) == (6, 9, 2)
    assert (september.value, september.year_to_date) == (None, 0)


def test_nothing_turned_on_gives_nothing(database: Database, month: Month) -> None:
    with database.session(readonly=True) as session:
        assert commune_programmes(session, Scope.operator(), SON_KIM_1, OCTOBER) == []
        assert not province_programmes(session, Scope.operator(), HA_TINH, OCTOBER)
        assert commune_own_indicators(session, Scope.operator(), SON_KIM_1, OCTOBER) == []
        assert not province_own_indicators(session, Scope.operator(), HA_TINH, OCTOBER)


def test_scoped_by_the_asker(database: Database, programmes: Month) -> None:
    outsider = member_of(database, OTHER_VIEWER, programmes)
    with database.session(readonly=True) as session, pytest.raises(DomainError):
        province_programmes(session, Scope.of(outsider), HA_TINH, OCTOBER)
    with database.session(readonly=True) as session, pytest.raises(DomainError):
        commune_programmes(session, Scope.of(outsider), SON_KIM_1, OCTOBER)


def test_the_communes_entered_figures_count_for_a_programme_only_the_commune_enters(
    database: Database, programmes: Month
) -> None:
    """«định danh số 4.100/5.000» typed in /chiso by Sơn Kim 1 and «1.000/2.000» by Sơn Kim 2 for October: each
    commune's figure and percent, the province's sums (5.100/7.000 = 72,86 %); a village has none; another month
    none either."""
    now = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC)
    with database.session() as session:
        for code, value, of in ((SON_KIM_1, 4100, 5000), (SON_KIM_2, 1000, 2000)):
            monthly.set_value(
                session,
                actor=None,
                commune_code=code,
                month=OCTOBER,
                programme_id="moi_cong_dan_mot_dinh_danh_so",
                value=value,
                denominator=of,
                now=now,
            )
    identity = by_id(commune_programmes_of(database, SON_KIM_1))["moi_cong_dan_mot_dinh_danh_so"].as_json()
    assert (identity["figure"], identity["denominator"], identity["percent"], identity["target"]) == (
        4100,
        5000,
        82.0,
        100.0,
    )
    assert identity["month_figure"] is None
    with database.session(readonly=True) as session:
        rollup = province_programmes(session, Scope.operator(), HA_TINH, OCTOBER)
        november = by_id(commune_programmes(session, Scope.operator(), SON_KIM_1, dt.date(2026, 11, 1)))
        village = by_id(
            commune_programmes(session, Scope.of(member_of(database, MEMBER, programmes)), SON_KIM_1, OCTOBER)
        )
    total = by_id(rollup.total)["moi_cong_dan_mot_dinh_danh_so"]
    assert (total.figure, total.denominator, total.percent) == (5100, 7000, 72.86)
    assert by_id(rollup.communes[SON_KIM_2])["moi_cong_dan_mot_dinh_danh_so"].percent == 50.0
    assert november["moi_cong_dan_mot_dinh_danh_so"].figure is None
    assert village["moi_cong_dan_mot_dinh_danh_so"].figure is None


def test_a_programme_entered_both_ways_counts_the_commune_s_figure_in_the_months_it_entered_one(
    database: Database, programmes: Month
) -> None:
    """Chợ số 4T, worked by hand. Logged by the villages: Sơn Kim 1 12 traders in August, 22 in October; Sơn Kim 2
    none. Typed in /chiso: Sơn Kim 1 15 for August and 5 for September; Sơn Kim 2 8 for October.
    Sơn Kim 1 in October: August 15 (the commune's, not the 12 logged) + September 5 + October 22 (logged, none
    typed) = 42; the month 22; logged 22 in the month, 34 in the year; no figure of its own for October.
    Sơn Kim 2 in October: 8 (typed), logged 0. The province: 42 + 8 = 50 against 40 (reached), the month
    22 + 8 = 30, the communes' own October figures 8 from 1 commune, logged 22 and 34.
    Sơn Kim 1 in September: 15 + 5 = 20, the month 5 (typed), logged 0 in the month, 12 in the year."""
    now = dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC)
    with database.session() as session:
        for code, month, value in ((SON_KIM_1, 8, 15), (SON_KIM_1, 9, 5), (SON_KIM_2, 10, 8)):
            monthly.set_value(
                session,
                actor=None,
                commune_code=code,
                month=dt.date(2026, month, 1),
                programme_id="cho_so_4t",
                value=value,
                denominator=None,
                now=now,
            )
    first = by_id(commune_programmes_of(database, SON_KIM_1))["cho_so_4t"].as_json()
    assert {k: first[k] for k in ("figure", "month_figure", "target", "on_track", "also")} == {
        "figure": 42,
        "month_figure": 22,
        "target": 40.0,
        "on_track": True,
        "also": {"markets": 1},
    }
    assert (first["commune_month_figure"], first["logged_month_figure"], first["logged_figure"]) == (None, 22, 34)
    assert "communes_entered" not in first
    second = by_id(commune_programmes_of(database, SON_KIM_2))["cho_so_4t"].as_json()
    assert (second["figure"], second["month_figure"], second["commune_month_figure"]) == (8, 8, 8)
    assert (second["logged_month_figure"], second["logged_figure"]) == (0, 0)
    with database.session(readonly=True) as session:
        rollup = province_programmes(session, Scope.operator(), HA_TINH, OCTOBER)
        september = by_id(commune_programmes(session, Scope.operator(), SON_KIM_1, dt.date(2026, 9, 1)))
        village = by_id(
            commune_programmes(session, Scope.of(member_of(database, MEMBER, programmes)), SON_KIM_1, OCTOBER)
        )
    total = by_id(rollup.total)["cho_so_4t"].as_json()
    assert (total["figure"], total["month_figure"], total["commune_month_figure"], total["communes_entered"]) == (
        50,
        30,
        8,
        1,
    )
    assert (total["logged_month_figure"], total["logged_figure"]) == (22, 34)
    assert by_id(rollup.communes[SON_KIM_1])["cho_so_4t"].as_json() == first
    assert by_id(rollup.communes[SON_KIM_2])["cho_so_4t"].figure == 8
    sept = september["cho_so_4t"]
    assert (sept.figure, sept.month_figure, sept.both) == (20, 5, BothWays(5, 0, 12))
    # a village keeps what its own teams logged (Thôn 2 logged no 4T)
    assert (village["cho_so_4t"].figure, village["cho_so_4t"].month_figure) == (0, 0)
