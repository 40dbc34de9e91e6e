"""/chitieu shows the targets of a province's own indicators and of the programmes it runs, and a province
viewer sets them there beside the national ones; through the real engine, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import select

from storage import province_indicators
from storage.db import Database
from storage.models import AuditEntry, IndicatorTarget, ProgrammeTarget, ProvinceIndicator
from storage.programmes import provinces
from tests.chat import ChatDriver
from tests.programmes import test_chat
from tests.programmes.test_chat import ADMIN, HA_TINH, LEADER, OTHER_VIEWER, VIEWER, chat_now, targets, texts

chat = test_chat.chat  # a province viewer, a commune admin and leader, a member, another province


def set_up(database: Database) -> None:
    with database.session() as session:
        for programme in ("gia_dinh_so", "dai_su_so", "vneid_muc_2"):
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id=programme, now=chat_now())
        province_indicators.add_indicator(
            session, province_code=HA_TINH, indicator_id="cho_4t", name="Chợ áp dụng 4T", unit="markets",
            now=chat_now(),
        )  # fmt: skip


def own_target(database: Database) -> int | None:
    with database.session() as session:
        row = session.get(ProvinceIndicator, (HA_TINH, "cho_4t"))
        return None if row is None else row.target


def test_a_province_with_nothing_sees_chitieu_as_before(chat: ChatDriver, database: Database) -> None:
    shown = texts(chat.say(VIEWER, "/chitieu"))
    assert "Chương trình của tỉnh" not in shown and "Chỉ số riêng" not in shown


def test_a_province_viewer_sets_the_programmes_and_own_indicators_targets(chat: ChatDriver, database: Database) -> None:
    set_up(database)
    shown = texts(chat.say(VIEWER, "/chitieu"))
    assert "Chỉ số riêng của tỉnh (chỉ tiêu của tỉnh):\n• Chợ áp dụng 4T: chưa đặt" in shown
    assert (
        "Chương trình của tỉnh (mục tiêu của tỉnh):\n• Đại sứ số: chưa đặt\n• Gia đình số: 100%" in shown
    )  # the plan's own figure until the province sets one
    assert "Định danh điện tử mức 2" not in shown  # its target is the national «mức 2» indicator's
    assert "ví dụ: đại sứ số 40, gia đình số 95%, chợ áp dụng 4t 12" in shown
    saved = texts(chat.say(VIEWER, "gia đình số 95,5%, đại sứ số 40; chợ áp dụng 4T 12 chợ, vneid 80%"))
    assert "✅ Đã đặt Gia đình số: 95,5%" in saved and "✅ Đã đặt Đại sứ số: 40 đại sứ số đạt chuẩn" in saved
    assert "✅ Đã đặt Chợ áp dụng 4T: 12 chợ" in saved and "✅ Đã đặt Xác nhận trên VNeID: 80%" in saved
    assert "• Gia đình số: 95,5%" in saved and "• Chợ áp dụng 4T: 12 chợ" in saved
    assert targets(database, HA_TINH) == {"gia_dinh_so": 95.5, "dai_su_so": 40.0} and own_target(database) == 12
    # refused with the reason, and nothing of the message saved
    for line, why in [
        ("gia đình số 120%", "không quá 100%"),
        ("đại sứ số 12,5", "Mục tiêu phải là một số nguyên"),
        ("đại sứ số 40%", "là một số lượng, không phải phần trăm"),
        ("chợ áp dụng 4t -3", "không dùng được"),
        ("chợ áp dụng 4t 30%", "không phải phần trăm"),
    ]:
        refused = texts(chat.say(VIEWER, f"vneid 90%, {line}"))
        assert why in refused and "Chưa lưu chỉ tiêu nào của tin nhắn này." in refused, line
    assert targets(database, HA_TINH) == {"gia_dinh_so": 95.5, "dai_su_so": 40.0} and own_target(database) == 12
    with database.session() as session:
        national = session.exec(select(IndicatorTarget)).all()
        assert [(t.indicator, t.percent) for t in national] == [("adults_vneid_confirmed", 80.0)]
        assert session.exec(select(AuditEntry).where(AuditEntry.entity == "programme_target")).all()
    assert set(targets(database, HA_TINH)) == {"gia_dinh_so", "dai_su_so"}
    assert all(isinstance(v, float) for v in targets(database, HA_TINH).values())
    with database.session() as session:
        assert len(session.exec(select(ProgrammeTarget)).all()) == 2


def test_communes_see_them_and_only_the_province_sets_them(chat: ChatDriver, database: Database) -> None:
    set_up(database)
    shown = texts(chat.say(ADMIN, "/chitieu"))
    assert "• Gia đình số: 100%" in shown and "• Chợ áp dụng 4T: chưa đặt" in shown
    refused = texts(chat.say(ADMIN, "gia đình số 50%"))
    assert "do cán bộ Sở KH&CN đặt cho cả tỉnh" in refused
    assert targets(database, HA_TINH) == {}
    read = texts(chat.say(LEADER, "/chitieu"))
    assert "• Gia đình số: 100%" in read
    other = texts(chat.say(OTHER_VIEWER, "/chitieu gia đình số 50%"))  # another province runs none of them
    assert "Gia đình số" not in other.split("Các tên")[0] or "Bạn gõ theo mẫu" in other
    assert targets(database, HA_TINH) == {}
