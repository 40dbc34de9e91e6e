"""Progress, indicators, the monthly report, the province view and plain-word questions, through the real engine."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage import indicators
from storage.db import Database
from storage.models import MonthlyReport, StoredFile
from tests.chat import ChatDriver, Sent, last_with_buttons
from tests.conftest import VN
from tests.reports.conftest import (
    ADMIN,
    ADMIN_2,
    LEADER,
    MEMBER,
    OCTOBER,
    OTHER_VIEWER,
    SON_KIM_1,
    SON_KIM_2,
    VIEWER,
    Month,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 25/11/2026, 10:00 in Vietnam."""
    return FixedClock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN))


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock, month: Month) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def stored(database: Database, sent: Sent) -> StoredFile:
    token = sent.payload.get("file_token")
    assert token, f"no file in {sent.payload}"
    with database.session() as session:
        row = session.exec(select(StoredFile).where(StoredFile.token == token)).one()
        session.expunge(row)
        return row


def to(sent: list[Sent], user: int) -> list[str]:
    return [s.text for s in sent if s.chat_id == str(user)]


def test_progress_for_the_commune_and_a_village(chat: ChatDriver, database: Database) -> None:
    text = chat.say(ADMIN, "/tiendo")[-1].text
    assert "Tiến độ tháng 11/2026" in text and "Xã Sơn Kim 1" in text
    assert "• Thôn 2: 1 · 8 · 0 · 1/5" in text  # 01/11 only; the weeks of 26/10 … 23/11 so far
    assert "Tuần này (23/11 – 29/11) chưa có buổi: Thôn 1, Thôn 2, Thôn 3." in text
    # no November figures yet: October's are shown, with the change since September
    assert "tháng 11/2026 chưa nhập, đây là số liệu tháng 10/2026" in text
    assert "Xác nhận trên VNeID: 24,7% (1.234/5.000) · chỉ tiêu 80% · chậm tiến độ · +4,7 điểm" in text
    assert "Báo cáo tháng 11/2026: chưa nộp, hạn 20/12/2026" in text
    quarter = chat.say(ADMIN, "/tiendo quý")[-1]
    assert "quý 4/2026" in quarter.text and "• Thôn 1: 4 · 57 · 18 · 3/9" in quarter.text
    picture = chat.press(ADMIN, quarter, "Biểu đồ")[-1]
    assert picture.payload["file_kind"] == "photo" and "quý 4/2026" in picture.text
    image = stored(database, picture)
    assert image.content.startswith(PNG) and image.mime_type == "image/png"
    assert image.expires_at > image.created_at
    own = chat.say(MEMBER, "/tiendo tháng")[-1].text
    assert "Thôn 2, Xã Sơn Kim 1" in own and "Thôn 1" not in own and "Thôn 3" not in own
    assert "⚠️ Tuần này (23/11 – 29/11) thôn chưa có buổi sinh hoạt" in own
    assert "Tiến độ tuần" in chat.say(LEADER, "/tiendo tuần")[-1].text
    assert "không thuộc vai trò" in chat.say(VIEWER, "/tiendo")[-1].text


def test_figures_guided_and_in_one_line(chat: ChatDriver, database: Database) -> None:
    table = chat.say(ADMIN, "/chiso")[-1]
    assert "Số liệu chỉ số tháng 10/2026" in table.text and "1.234/5.000 = 24,7%" in table.text
    replies = chat.say(ADMIN, "vneid 1300/5000, học sinh 960/1000")
    assert "Đã lưu Xác nhận trên VNeID: 26%" in replies[-1].text and "960/1.000 = 96%" in replies[-1].text
    refused = chat.say(ADMIN, "lao động 60/0")[-1].text
    assert "mẫu số) phải lớn hơn 0" in refused and "Chưa lưu" in refused
    refused = chat.say(ADMIN, "vneid 100/200, học sinh 1100/1000")[-1].text
    assert "lớn hơn tổng số (1.000)" in refused and "vượt 100%" in refused
    replies = chat.press(ADMIN, last_with_buttons(replies), "Lao động DN")
    assert "số đạt/tổng số" in replies[-1].text
    assert "hai số" in chat.say(ADMIN, "bốn mươi")[-1].text
    assert "Lao động DN: 80%" in chat.say(ADMIN, "40/50")[-1].text
    chat.say(ADMIN, "/huy")
    # idle: a line of figures is saved at once, no command needed
    assert "Đã lưu VNeID mức 2: 62%" in chat.say(ADMIN, "mức 2 3100/5000")[-1].text
    with database.session() as session:
        saved = indicators.figures(session, SON_KIM_1, OCTOBER)
        assert {k: (v.numerator, v.denominator) for k, v in saved.items()} == {
            "adults_vneid_confirmed": (1300, 5000),
            "students_digital_skills": (960, 1000),
            "officials_digital_skills": (120, 120),
            "vneid_level2_activated": (3100, 5000),
            "workers_digital_skills": (40, 50),
        }
    assert "không thuộc vai trò" in chat.say(LEADER, "/chiso")[-1].text


def test_targets(chat: ChatDriver, database: Database) -> None:
    text = chat.say(ADMIN, "/chitieu")[-1].text
    assert "Chỉ tiêu năm 2026" in text and "90% (của xã)" in text and "80% (của tỉnh)" in text
    assert "Đã đặt Xác nhận trên VNeID: 85%" in chat.say(ADMIN, "vneid 85%")[-1].text
    assert "vượt quá 100%" in chat.say(ADMIN, "học sinh 120%")[-1].text
    leader = chat.say(LEADER, "/chitieu")[-1].text
    assert "85% (của xã)" in leader and "Để đặt chỉ tiêu" not in leader
    viewer = chat.say(VIEWER, "/chitieu người dân 92,5%")[-1].text
    assert "Đã đặt Người dân có KNS: 92,5%" in viewer and "Tỉnh Hà Tĩnh" in viewer
    with database.session() as session:
        assert indicators.commune_targets(session, SON_KIM_2, 2026)["adults_digital_skills"].percent == 92.5
        assert indicators.commune_targets(session, SON_KIM_2, 2026)["adults_vneid_confirmed"].percent == 80


def test_submit_notify_reopen(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    clock.set(dt.datetime(2026, 11, 19, 9, 30, tzinfo=VN))
    draft = chat.say(ADMIN, "/baocao")[-1]
    assert "Báo cáo tháng 10/2026 — Xã Sơn Kim 1" in draft.text and "Bản nháp" in draft.text
    assert "2/3 thôn có buổi sinh hoạt; cả xã 5 buổi, 87 người dự" in draft.text
    assert "Cả tháng chưa có buổi nào: Thôn 3" in draft.text
    leader = chat.say(LEADER, "/baocao tháng 10")[-1]
    assert not any("Nộp" in b.label for b in leader.buttons)
    confirm = chat.press(ADMIN, draft, "Nộp báo cáo")[-1]
    assert "được khoá" in confirm.text and "đúng hạn" in confirm.text and "Còn 2 chỉ số chưa nhập" in confirm.text
    sent = chat.press(ADMIN, confirm, "✅ Nộp")
    assert "Đã nộp báo cáo tháng 10/2026 — đúng hạn" in to(sent, ADMIN)[-1]
    assert "Đã báo cho 1 cán bộ Sở KH&CN" in to(sent, ADMIN)[-1]
    told = to(sent, VIEWER)
    assert len(told) == 1
    assert "Xã Sơn Kim 1 đã nộp báo cáo tháng 10/2026 lúc 09:30 ngày 19/11/2026 (đúng hạn)" in told[0]
    assert "1/69 xã" in told[0] and to(sent, OTHER_VIEWER) == []
    # locked: a session in October is refused, in chat too
    refused = chat.say(ADMIN, "ngày 30/10 thôn 1 học vneid 10 người")
    assert any("đã nộp báo cáo" in r.text for r in refused)
    assert "Đã nộp lúc 09:30 ngày 19/11/2026 — đúng hạn" in chat.say(LEADER, "/baocao tháng 10")[-1].text
    # the other commune submits late, on the 22nd
    clock.set(dt.datetime(2026, 11, 22, 16, 0, tzinfo=VN))
    draft = chat.say(ADMIN_2, "/baocao tháng 10")[-1]
    confirm = chat.press(ADMIN_2, draft, "Nộp báo cáo")[-1]
    assert "muộn" in confirm.text
    sent = chat.press(ADMIN_2, confirm, "✅ Nộp")
    assert "nộp muộn" in to(sent, ADMIN_2)[-1] and "(muộn)" in to(sent, VIEWER)[0]
    # the province viewer reopens Sơn Kim 1 with a reason
    ask = chat.say(VIEWER, "/molai")[-1]
    assert "Mở lại báo cáo tháng 10/2026" in ask.text
    assert "Bạn chọn xã" in chat.say(VIEWER, "sơn kim")[-1].text
    replies = chat.say(VIEWER, "son kim 1")
    assert "lý do" in replies[-1].text
    assert "ít nhất 5 ký tự" in chat.say(VIEWER, "sai")[-1].text
    confirm = chat.say(VIEWER, "Số liệu VNeID chưa khớp với Công an xã")[-1]
    sent = chat.press(VIEWER, confirm, "Mở lại")
    assert "Đã mở lại báo cáo tháng 10/2026 của Xã Sơn Kim 1" in to(sent, VIEWER)[-1]
    assert "Lý do: Số liệu VNeID chưa khớp với Công an xã" in to(sent, ADMIN)[0]
    with database.session() as session:
        report = session.exec(select(MonthlyReport).where(MonthlyReport.commune_code == SON_KIM_1)).one()
        assert (report.status, report.reopen_reason) == ("draft", "Số liệu VNeID chưa khớp với Công an xã")
    assert "chưa nộp" in chat.say(VIEWER, "/molai 18196")[-1].text
    assert "không thuộc vai trò" in chat.say(ADMIN, "/molai")[-1].text


def test_province_view(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    clock.set(dt.datetime(2026, 11, 19, 9, 30, tzinfo=VN))
    draft = chat.say(ADMIN, "/baocao")[-1]
    chat.press(ADMIN, chat.press(ADMIN, draft, "Nộp báo cáo")[-1], "✅ Nộp")
    clock.set(dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN))
    view = chat.say(VIEWER, "/tinh")[-1]
    text = view.text
    assert "Tỉnh Hà Tĩnh — báo cáo tháng 10/2026 (hạn 20/11/2026)" in text
    assert "Đã nộp 1/69 xã (1,4%); đúng hạn 1 (1,4%); muộn 0" in text
    assert "Chưa nộp (68):" in text and "và 53 xã khác" in text
    assert "Xác nhận trên VNeID: 28,9% (1.734/6.000) · chỉ tiêu 80% · chậm tiến độ · 2 xã" in text
    assert "Xã chậm nhất" in text and "Xã Sơn Kim 2" in text
    document = chat.press(VIEWER, view, "File Excel")[-1]
    assert document.payload["file_kind"] == "document"
    workbook = stored(database, document)
    assert workbook.filename == "bao-cao-tinh-42-2026-10.xlsx" and workbook.content[:2] == b"PK"
    view = last_with_buttons(chat.say(VIEWER, "/tinh tháng 10"))
    assert stored(database, chat.press(VIEWER, view, "Biểu đồ")[-1]).content.startswith(PNG)
    assert "không thuộc vai trò" in chat.say(ADMIN, "/tinh")[-1].text


@pytest.mark.parametrize("accents", [True, False])
def test_questions_with_and_without_diacritics(chat: ChatDriver, database: Database, accents: bool) -> None:
    def ask(user: int, with_marks: str, without: str) -> list[Sent]:
        return chat.say(user, with_marks if accents else without)

    text = ask(ADMIN, "thôn nào chưa có buổi học tuần này?", "thon nao chua co buoi hoc tuan nay")[-1].text
    assert "Chưa có buổi sinh hoạt tuần 23/11 – 29/11/2026 (3/3 thôn): Thôn 1, Thôn 2, Thôn 3." in text
    text = ask(ADMIN, "xã mình đạt bao nhiêu phần trăm vneid?", "xa minh dat bao nhieu phan tram vneid")[-1].text
    assert "Người dân được xác nhận phổ cập kỹ năng số trên VNeID: 24,7% (1.234/5.000)" in text
    assert "CBCCVC" not in text
    text = ask(ADMIN, "tháng 10 có bao nhiêu buổi?", "thang 10 co bao nhieu buoi")[-1].text
    assert "Tháng 10/2026, Xã Sơn Kim 1 có 5 buổi sinh hoạt." in text and "• Thôn 1: 4" in text
    text = ask(ADMIN, "tháng 10 có bao nhiêu người được hỗ trợ?", "thang 10 co bao nhieu nguoi duoc ho tro")[-1].text
    assert "đã hỗ trợ 25 lượt người" in text and "Kích hoạt định danh điện tử mức 2: 13" in text
    text = ask(MEMBER, "tháng 10 có bao nhiêu buổi?", "thang 10 co bao nhieu buoi")[-1].text
    assert "Tháng 10/2026, Thôn 2 có 1 buổi sinh hoạt." in text
    document = ask(ADMIN, "xuất báo cáo tháng 10", "xuat bao cao thang 10")[-1]
    assert document.payload["file_kind"] == "document" and "Báo cáo tháng 10/2026" in document.text
    assert stored(database, document).filename == "bao-cao-18196-2026-10.xlsx"
    text = ask(ADMIN, "hạn nộp báo cáo là ngày nào?", "han nop bao cao la ngay nao")[-1].text
    assert "Hạn nộp báo cáo tháng 10/2026 là ngày 20/11/2026" in text and "quá hạn 5 ngày" in text
    text = ask(VIEWER, "xã nào chưa nộp báo cáo?", "xa nao chua nop bao cao")[-1].text
    assert "Chưa nộp (69)" in text
    document = ask(VIEWER, "xuất báo cáo xã Sơn Kim 1 tháng 10", "xuat bao cao xa son kim 1 thang 10")[-1]
    assert stored(database, document).filename == "bao-cao-18196-2026-10.xlsx", "the commune named, not the province"
    assert "Xã Sơn Kim 1" in document.text
    text = ask(VIEWER, "tỉnh đạt bao nhiêu phần trăm vneid?", "tinh dat bao nhieu phan tram vneid")[-1].text
    assert "1.734/6.000" in text
    text = ask(LEADER, "tiến độ quý này thế nào?", "tien do quy nay the nao")[-1].text
    assert "Tiến độ quý 4/2026" in text
    text = ask(LEADER, "hôm nay trời có mưa không nhỉ?", "hom nay troi co mua khong nhi")[-1].text
    assert "Bạn có thể hỏi" in text and "tháng 10 có bao nhiêu buổi" in text
