"""The programmes and own indicators in the report files: the commune and province JSON and CSV, the XLSX
sections read back with openpyxl, and the charts; a province with nothing turned on gets today's report."""

from __future__ import annotations

import csv
import datetime as dt
import io

from bot.i18n import Translator
from bot.reports.data import to_csv
from bot.reports.xlsx import commune_workbook, province_workbook
from storage.db import Database
from storage.programmes import monthly
from tests.reports.conftest import OCTOBER, SON_KIM_1, SON_KIM_2, Month, build_month
from tests.reports.programmes_script import add_programmes
from tests.reports.test_files import TODAY, _cells, _row_with, commune_json, province_json

CONTRACT = ("id", "figure", "denominator", "percent", "target", "on_track")


def by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"]: item for item in items}


def test_commune_json_adds_programmes(database: Database, month: Month) -> None:
    before = commune_json(database)
    add_programmes(database, month)
    after = commune_json(database)
    assert set(after) == set(before) | {"programmes", "own_indicators"}
    assert {k: v for k, v in after.items() if k not in ("programmes", "own_indicators")} == before
    programmes = by_id(after["programmes"])
    assert all(set(CONTRACT) <= set(p) for p in after["programmes"])
    assert [programmes["gia_dinh_so"][k] for k in CONTRACT] == ["gia_dinh_so", 65, 300, 20.0, 100.0, False]
    assert [programmes["dai_su_so"][k] for k in CONTRACT] == ["dai_su_so", 1, 2, 50.0, 10.0, False]
    assert [programmes["cho_so_4t"][k] for k in CONTRACT] == ["cho_so_4t", 34, None, None, 40.0, True]
    assert [programmes["vneid_muc_2"][k] for k in CONTRACT] == ["vneid_muc_2", 3000, 5000, 60.0, 80.0, False]
    assert after["own_indicators"] == [
        {
            "id": "diem_wifi",
            "name": "Điểm wifi công cộng",
            "unit": "điểm",
            "value": 4,
            "year_to_date": 7,
            "target": 24,
            "on_track": False,
        }
    ]


def test_province_json_adds_programmes(database: Database, month: Month) -> None:
    before = province_json(database)
    add_programmes(database, month)
    after = province_json(database)
    assert set(after) == set(before) | {"programmes", "own_indicators"}
    for old, new in zip(before["communes"], after["communes"], strict=True):
        assert {k: v for k, v in new.items() if k not in ("programmes", "own_indicators")} == old
    total = by_id(after["programmes"])
    assert [total["gia_dinh_so"][k] for k in CONTRACT] == ["gia_dinh_so", 75, 350, 20.0, 100.0, False]
    assert [total["dai_su_so"][k] for k in CONTRACT] == ["dai_su_so", 2, 3, 66.67, 10.0, False]
    assert total["gia_dinh_so"]["month_figure"] == 55
    communes = {c["code"]: c for c in after["communes"]}
    second = by_id(communes[SON_KIM_2]["programmes"])
    assert [second["dai_su_so"][k] for k in CONTRACT] == ["dai_su_so", 1, 1, 100.0, 10.0, False]
    quiet = next(c for c in after["communes"] if c["code"] not in (SON_KIM_1, SON_KIM_2))
    assert by_id(quiet["programmes"])["gia_dinh_so"]["figure"] == 0
    assert quiet["own_indicators"][0]["value"] is None
    wifi = after["own_indicators"][0]
    assert (wifi["value"], wifi["year_to_date"], wifi["communes_reporting"]) == (6, 9, 2)


def test_nothing_turned_on_keeps_the_json(database: Database) -> None:
    build_month(database)
    for data in (commune_json(database), province_json(database)):
        assert "programmes" not in data and "own_indicators" not in data
        assert all("programmes" not in c for c in data.get("communes", []))


def _sections(text: str) -> list[list[list[str]]]:
    return [list(csv.reader(io.StringIO(block))) for block in text.strip().split("\n\n")]


def test_csv_programme_tables(database: Database, month: Month) -> None:
    assert len(_sections(to_csv(commune_json(database)))) == 4
    add_programmes(database, month)
    sections = _sections(to_csv(commune_json(database)))
    assert len(sections) == 6
    programmes = sections[4]
    assert programmes[0][:4] == ["commune_code", "commune", "programme", "figure"]
    family = next(r for r in programmes if r[2] == "gia_dinh_so")
    assert (
        family
        == [str(SON_KIM_1), "Xã Sơn Kim 1", "gia_dinh_so", "65", "45", "300", "20.0", "100.0", "false"] + [""] * 4
    )  # the columns of a programme entered both ways, empty for the others
    four_t = next(r for r in programmes if r[2] == "cho_so_4t")
    assert four_t[-4:] == ["", "22", "34", ""]  # no commune figure of the month; logged in the month, the year
    assert sections[5][1] == [str(SON_KIM_1), "Xã Sơn Kim 1", "diem_wifi", "điểm", "4", "7", "24", "false"]
    province = _sections(to_csv(province_json(database)))
    total = next(r for r in province[3] if r[1] == "TOTAL" and r[2] == "dai_su_so")
    assert total[3:7] == ["2", "11", "3", "66.67"]
    assert any(r[0] == str(SON_KIM_2) and r[2] == "gia_dinh_so" and r[3] == "10" for r in province[3])
    assert OCTOBER.month == 10


def test_commune_xlsx_programme_sections(database: Database, month: Month) -> None:
    rows_before, _ = _cells(commune_workbook(commune_json(database), today=TODAY))
    assert not any("CÁC CHƯƠNG TRÌNH CỦA TỈNH" in str(v) for r in rows_before for v in r)
    add_programmes(database, month)
    rows, _sheet = _cells(commune_workbook(commune_json(database), today=TODAY))
    assert _row_with(rows, "IV. CÁC CHƯƠNG TRÌNH CỦA TỈNH")
    family = _numbers(_row_with(rows, "Gia đình số"))
    assert family == [3, 45, 65, 300, 20, 100]  # STT, month, year, households, percent, target
    assert "Chậm tiến độ" in _row_with(rows, "Gia đình số")
    assert _numbers(_row_with(rows, "Đại sứ số")) == [2, 6, 1, 2, 50, 10]
    four_t = _row_with(rows, "Chợ số – Nông thôn số (4T)")
    assert _numbers(four_t) == [1, 22, 34, 40] and "Đúng tiến độ" in four_t
    assert "Chưa có số liệu" in _row_with(rows, "Mỗi công dân – Một định danh số")
    assert any("1 thôn chưa có số hộ" in str(v) for r in rows for v in r)
    wifi = _row_with(rows, "Điểm wifi công cộng")
    assert _numbers(wifi) == [1, 4, 7, 24] and "Chậm tiến độ" in wifi
    assert _row_with(rows, "V. CHỈ SỐ RIÊNG CỦA TỈNH")
    english, _sheet = _cells(commune_workbook(commune_json(database), Translator("en"), today=TODAY))
    assert _row_with(english, "Digital family")


def test_province_xlsx_programme_sections(database: Database, month: Month) -> None:
    add_programmes(database, month)
    rows, _sheet = _cells(province_workbook(province_json(database), today=TODAY))
    assert _row_with(rows, "III. CÁC CHƯƠNG TRÌNH CỦA TỈNH")
    assert _numbers(_row_with(rows, "Gia đình số")) == [3, 55, 75, 350, 20, 100]
    header = _row_with(rows, "Gia đình số (%)")
    below = rows[rows.index(header) :]
    second = _row_with(below, "Xã Sơn Kim 2")
    family = header.index("Gia đình số (%)")
    assert second[family] == 20 and second[header.index("Đại sứ số (%)")] == 100
    whole = _row_with(below, "Toàn tỉnh")
    assert whole[family] == 20 and whole[header.index("Chợ số – Nông thôn số (4T) (tiểu thương, nông dân)")] == 34
    assert _numbers(_row_with(rows, "Điểm wifi công cộng")) == [1, 6, 9, 24]


def _numbers(row: list[object]) -> list[object]:
    return [v for v in row if isinstance(v, (int, float)) and not isinstance(v, bool)]


def test_a_programme_entered_both_ways_in_the_files(database: Database, month: Month) -> None:
    """Sơn Kim 2 types 8 traders for Chợ số 4T in October (its villages logged none): the province counts
    34 + 8 = 42, and the files show the commune's figure beside the logged sums."""
    add_programmes(database, month)
    with database.session() as session:
        monthly.set_value(
            session, actor=None, commune_code=SON_KIM_2, month=OCTOBER, programme_id="cho_so_4t", value=8,
            denominator=None, now=dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC),
        )  # fmt: skip
    data = province_json(database)
    total = by_id(data["programmes"])["cho_so_4t"]
    assert [total[k] for k in CONTRACT] == ["cho_so_4t", 42, None, None, 40.0, True]
    assert (total["month_figure"], total["commune_month_figure"], total["communes_entered"]) == (30, 8, 1)
    assert (total["logged_month_figure"], total["logged_figure"]) == (22, 34)
    rows = _sections(to_csv(data))[3]
    assert next(r for r in rows if r[1] == "TOTAL" and r[2] == "cho_so_4t")[-4:] == ["8", "22", "34", "1"]
    assert next(r for r in rows if r[0] == str(SON_KIM_2) and r[2] == "cho_so_4t")[3:5] == ["8", "8"]
    cells, _sheet = _cells(province_workbook(data, today=TODAY))
    assert any("Tháng này xã nhập: 8; các thôn ghi: tháng này 22, từ đầu năm 34." in str(v) for r in cells for v in r)
    assert _numbers(_row_with(cells, "Chợ số – Nông thôn số (4T)"))[:3] == [1, 30, 42]
