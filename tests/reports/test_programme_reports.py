"""The programmes and own indicators in the report files: the commune and province JSON and CSV, the XLSX
sections read back with openpyxl, and the charts; a province with nothing turned on gets today's report."""

from __future__ import annotations

import csv
import io

from bot.reports.data import to_csv
from storage.db import Database
from tests.reports.conftest import OCTOBER, SON_KIM_1, SON_KIM_2, Month, build_month
from tests.reports.programmes_script import add_programmes
from tests.reports.test_files import commune_json, province_json

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
    assert family == [str(SON_KIM_1), "Xã Sơn Kim 1", "gia_dinh_so", "65", "45", "300", "20.0", "100.0", "false"]
    assert sections[5][1] == [str(SON_KIM_1), "Xã Sơn Kim 1", "diem_wifi", "điểm", "4", "7", "24", "false"]
    province = _sections(to_csv(province_json(database)))
    total = next(r for r in province[3] if r[1] == "TOTAL" and r[2] == "dai_su_so")
    assert total[3:7] == ["2", "11", "3", "66.67"]
    assert any(r[0] == str(SON_KIM_2) and r[2] == "gia_dinh_so" and r[3] == "10" for r in province[3])
    assert OCTOBER.month == 10
