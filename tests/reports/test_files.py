"""Report files: the JSON contract, CSV, the XLSX form read back with openpyxl, charts, and `bdhvs report`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.i18n import Translator
from bot.reports.charts import commune_chart, province_chart, village_chart
from bot.reports.data import commune_report, province_report, to_csv
from bot.reports.xlsx import commune_workbook, province_workbook
from storage.db import Database
from storage.migrate import upgrade
from storage.progress import Period, Scope, commune_progress, province_rollup
from storage.reports import submit
from tests.reports.conftest import (
    ADMIN,
    ADMIN_2,
    HA_TINH,
    MEMBER,
    OCTOBER,
    SON_KIM_1,
    SON_KIM_2,
    Month,
    at,
    build_month,
    member_of,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = dt.date(2026, 11, 25)
PNG = b"\x89PNG\r\n\x1a\n"


def submit_both(database: Database, script: Month) -> None:
    """Sơn Kim 1 on the 19th (on time), Sơn Kim 2 on the 22nd (late)."""
    admin, admin_2 = member_of(database, ADMIN, script), member_of(database, ADMIN_2, script)
    with database.session() as session:
        submit(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 19), 9),
            today=dt.date(2026, 11, 19),
        )
        submit(
            session,
            actor=admin_2,
            commune_code=SON_KIM_2,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 22), 16),
            today=dt.date(2026, 11, 22),
        )


def commune_json(database: Database) -> dict:
    with database.session() as session:
        return commune_report(session, Scope.operator(), SON_KIM_1, OCTOBER, today=TODAY, tz=VN)


def province_json(database: Database) -> dict:
    with database.session() as session:
        return province_report(session, Scope.operator(), HA_TINH, OCTOBER, tz=VN)


def test_commune_json_contract(database: Database, month: Month) -> None:
    draft = commune_json(database)
    assert (draft["submitted_at"], draft["on_time"], draft["status"]) == (None, None, "draft")
    submit_both(database, month)
    data = commune_json(database)
    assert data["month"] == "2026-10" and data["commune"] == {"code": SON_KIM_1, "name": "Xã Sơn Kim 1"}
    assert data["submitted_at"] == "2026-11-19T09:00:00+07:00" and data["on_time"] is True
    assert data["deadline"] == "2026-11-20"
    assert [
        {k: v[k] for k in ("name", "sessions", "attendees", "help", "weeks_with_session")} for v in data["villages"]
    ] == [
        {
            "name": "Thôn 1",
            "sessions": 4,
            "attendees": 57,
            "help": {"public_service_filing": 5, "vneid_level2": 13},
            "weeks_with_session": 3,
        },
        {"name": "Thôn 2", "sessions": 1, "attendees": 30, "help": {"e_health": 7}, "weeks_with_session": 1},
        {"name": "Thôn 3", "sessions": 0, "attendees": 0, "help": {}, "weeks_with_session": 0},
    ]
    indicators = {i["id"]: (i["numerator"], i["denominator"], i["percent"], i["target"]) for i in data["indicators"]}
    assert indicators == {
        "officials_digital_skills": (120, 120, 100.0, 100.0),
        "students_digital_skills": (950, 1000, 95.0, 90.0),
        "adults_digital_skills": (None, None, None, None),
        "adults_vneid_confirmed": (1234, 5000, 24.68, 80.0),
        "workers_digital_skills": (None, None, None, None),
        "vneid_level2_activated": (3000, 5000, 60.0, None),
    }
    assert data["totals"]["sessions"] == 5 and data["totals"]["attendees"] == 87
    assert [s["date"] for s in data["sessions"]] == [
        "2026-10-03",
        "2026-10-04",
        "2026-10-10",
        "2026-10-24",
        "2026-10-31",
    ]
    json.dumps(data)  # plain JSON


def test_province_json_contract(database: Database, month: Month) -> None:
    submit_both(database, month)
    data = province_json(database)
    assert (data["communes_expected"], data["communes_submitted"], data["communes_on_time"]) == (69, 2, 1)
    assert data["reporting_rate"] == 2.9 and data["on_time_rate"] == 1.45
    communes = {c["code"]: c for c in data["communes"]}
    assert len(communes) == 69
    one, two = communes[SON_KIM_1], communes[SON_KIM_2]
    assert (one["submitted"], one["on_time"], one["sessions"], one["attendees"], one["weeks_with_session"]) == (
        True,
        True,
        5,
        87,
        4,
    )
    assert one["help"] == {"e_health": 7, "public_service_filing": 5, "vneid_level2": 13}
    assert (two["submitted"], two["on_time"], two["sessions"], two["submitted_at"]) == (
        True,
        False,
        2,
        "2026-11-22T16:00:00+07:00",
    )
    other = next(c for c in data["communes"] if c["code"] not in (SON_KIM_1, SON_KIM_2))
    assert (other["submitted"], other["on_time"], other["sessions"], other["help"]) == (False, None, 0, {})
    vneid = next(i for i in data["indicators"] if i["id"] == "adults_vneid_confirmed")
    assert (vneid["numerator"], vneid["denominator"], vneid["percent"], vneid["target"]) == (1734, 6000, 28.9, 80.0)


def test_csv(database: Database, month: Month) -> None:
    text = to_csv(commune_json(database))
    sections = [list(csv.reader(io.StringIO(block))) for block in text.strip().split("\n\n")]
    villages = {row[0]: row for row in sections[1][1:]}
    header = sections[1][0]
    assert villages["Thôn 1"][header.index("sessions")] == "4"
    assert villages["TOTAL"][header.index("attendees")] == "87"
    assert villages["Thôn 1"][header.index("vneid_level2")] == "13"
    indicators = {row[0]: row for row in sections[2][1:]}
    assert indicators["adults_vneid_confirmed"][1:5] == ["1234", "5000", "24.68", "80.0"]
    province = [list(csv.reader(io.StringIO(b))) for b in to_csv(province_json(database)).strip().split("\n\n")]
    assert province[0][1][3] == "69"


def _cells(content: bytes) -> tuple[list[list[object]], object]:
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def _row_with(rows: list[list[object]], value: object) -> list[object]:
    return next(r for r in rows if value in r)


def test_commune_xlsx_reads_back(database: Database, month: Month) -> None:
    submit_both(database, month)
    rows, sheet = _cells(commune_workbook(commune_json(database), today=TODAY))
    flat = [v for r in rows for v in r if v is not None]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat and "Độc lập - Tự do - Hạnh phúc" in flat
    assert "UBND XÃ SƠN KIM 1" in flat and "Tháng 10 năm 2026" in flat
    assert any("đã nộp ngày 19/11/2026 (đúng hạn" in str(v) for v in flat)
    vneid = _row_with(rows, "Người dân được xác nhận phổ cập kỹ năng số trên VNeID")
    assert [v for v in vneid if isinstance(v, (int, float))][1:5] == [1234, 5000, 24.68, 80]
    thon1 = _row_with(rows, "Thôn 1")
    assert [v for v in thon1 if isinstance(v, int)][:4] == [1, 4, 57, 3]
    total = _row_with(rows, "Tổng cộng")
    assert [v for v in total if isinstance(v, int)][:3] == [5, 87, 4]
    sessions = [r for r in rows if "Ứng dụng VNeID" in r]
    assert len(sessions) == 5 and "03/10/2026" in sessions[0] and 20 in sessions[0]
    assert sheet.page_setup.orientation == "landscape"


def test_province_xlsx_reads_back(database: Database, month: Month) -> None:
    submit_both(database, month)
    rows, _sheet = _cells(province_workbook(province_json(database), today=TODAY))
    flat = [v for r in rows for v in r if v is not None]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in flat
    one = _row_with(rows, "Xã Sơn Kim 1")
    assert "Đã nộp" in one and "Đúng hạn" in one and "19/11/2026" in one and 87 in one and 24.68 in one
    two = _row_with(rows, "Xã Sơn Kim 2")
    assert "Muộn" in two and "22/11/2026" in two
    assert sum(1 for r in rows if "Chưa nộp" in r) == 67


def test_charts_are_phone_sized_pngs(database: Database, month: Month) -> None:
    from PIL import Image

    tr = Translator("vi")
    member = member_of(database, MEMBER, month)
    with database.session() as session:
        progress = commune_progress(session, Scope.operator(), SON_KIM_1, Period.month(OCTOBER), TODAY)
        own = commune_progress(session, Scope.of(member), SON_KIM_1, Period.month(OCTOBER), TODAY)
        rollup = province_rollup(session, Scope.operator(), HA_TINH, OCTOBER)
    for picture in (
        commune_chart(progress, tr, "Xã Sơn Kim 1 — tháng 10/2026"),
        village_chart(own, tr, "Thôn 2 — tháng 10/2026"),
        province_chart(rollup, tr, "Tỉnh Hà Tĩnh — tháng 10/2026"),
        commune_chart(progress, Translator("en"), "Son Kim 1"),
    ):
        assert picture.startswith(PNG)
        image = Image.open(io.BytesIO(picture))
        image.verify()
        assert image.size[0] == 1080 and 600 < image.size[1] < 4000


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("BDHVS_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("BDHVS_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("BDHVS_CONFIG", raising=False)
    database = Database(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(database)
    yield database
    database.dispose()


def test_cli_report(cli_db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = build_month(cli_db)
    submit_both(cli_db, script)
    assert main(["report", "--commune", str(SON_KIM_1), "--month", "2026-10", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["on_time"] is True and data["villages"][0]["sessions"] == 4
    target = tmp_path / "tinh.xlsx"
    assert (
        main(["report", "--province", str(HA_TINH), "--month", "2026-10", "--format", "xlsx", "-o", str(target)]) == 0
    )
    rows, _ = _cells(target.read_bytes())
    assert any("Xã Sơn Kim 2" in r for r in rows)
    assert main(["report", "--province", str(HA_TINH), "--month", "2026-10", "--format", "csv"]) == 0
    assert "reporting_rate" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["report", "--commune", str(SON_KIM_1), "--month", "10/2026"])
    assert main(["report", "--commune", "99999", "--month", "2026-10"]) == 1
    assert main(["province", "deadline", "--province", str(HA_TINH), "--day", "22"]) == 0
    assert "day 22" in capsys.readouterr().out
