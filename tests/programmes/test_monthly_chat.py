"""The monthly figures a commune enters for its province's programmes, in /chiso: through the real engine, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage import province_indicators
from storage.areas import add_villages
from storage.db import Database
from storage.models import AuditEntry, IndicatorValue, MonthlyReport, ProgrammeMonthValue
from storage.programmes import monthly, provinces
from tests.chat import ChatDriver, last_with_buttons
from tests.programmes.test_chat import (
    ADMIN,
    HA_TINH,
    LEADER,
    MEMBER,
    OTHER_ADMIN,
    OTHER_PROVINCE,
    SON_KIM_1,
    VUNG_TAU,
    chat_now,
    nonce_of,
    press_raw,
    texts,
)
from tests.reports.conftest import add_member

OCTOBER = dt.date(2026, 10, 1)


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    with database.session() as session:
        (thon_1, _thon_2), _ = add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2"], now=clock.now(), actor_id=None)
        add_member(session, ADMIN, "commune_admin", commune=SON_KIM_1, name="Chị Lan")
        add_member(session, LEADER, "commune_leader", commune=SON_KIM_1, name="Ông Thắng")
        add_member(session, MEMBER, "member", commune=SON_KIM_1, village=thon_1.id, name="Bác Hùng")
        add_member(session, OTHER_ADMIN, "commune_admin", province=OTHER_PROVINCE, commune=VUNG_TAU, name="Anh Nam")
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def turn_on(database: Database, *programmes: str) -> None:
    with database.session() as session:
        for programme in programmes:
            provinces.enable(session, actor=None, province_code=HA_TINH, programme_id=programme, now=chat_now())


def saved(database: Database) -> dict[str, tuple[int, int | None]]:
    with database.session() as session:
        rows = session.exec(select(ProgrammeMonthValue).where(ProgrammeMonthValue.commune_code == SON_KIM_1)).all()
        return {r.programme: (r.value, r.denominator) for r in rows if r.month == OCTOBER}


def test_a_province_running_none_sees_chiso_as_before(chat: ChatDriver, database: Database) -> None:
    before = texts(chat.say(ADMIN, "/chiso"))
    turn_on(database, "gia_dinh_so", "dai_su_so")  # logged by villages only: nothing for the commune to enter
    assert texts(chat.say(ADMIN, "/chiso")) == before
    assert "Chương trình của tỉnh" not in before


def test_the_commune_enters_its_programmes_monthly_figures(chat: ChatDriver, database: Database) -> None:
    turn_on(database, "cho_khong_tien_mat", "moi_cong_dan_mot_dinh_danh_so", "cho_so_4t", "vneid_muc_2")
    shown = last_with_buttons(chat.say(ADMIN, "/chiso"))
    assert (
        "Chương trình của tỉnh (xã nhập hằng tháng):\n"
        "• Chợ không dùng tiền mặt: chưa nhập\n"
        "• Chợ số – Nông thôn số (4T): chưa nhập (các thôn đã ghi trong tháng: 0 tiểu thương, nông dân)\n"
        "• Mỗi công dân – Một định danh số: chưa nhập"
    ) in shown.text
    assert "Định danh điện tử mức 2" not in shown.text  # entered as the national «mức 2» indicator
    assert "ví dụ: chợ không dùng tiền mặt 12" in shown.text
    # several in one line, with a national figure
    reply = texts(chat.say(ADMIN, "chợ không tiền mặt 3; định danh số 4.100/5.000, vneid 1234/5000"))
    assert "✅ Đã lưu Chợ không dùng tiền mặt: 3 chợ" in reply
    assert "✅ Đã lưu Mỗi công dân – Một định danh số: 4.100/5.000 = 82%" in reply
    assert "✅ Đã lưu Xác nhận trên VNeID: 24,7%" in reply
    assert "• Chợ không dùng tiền mặt: 3 chợ" in reply
    assert saved(database) == {"cho_khong_tien_mat": (3, None), "moi_cong_dan_mot_dinh_danh_so": (4100, 5000)}
    # refused politely, and nothing of the message saved
    for line, why in [
        ("chợ không tiền mặt -2", "Số «-2» không dùng được"),
        ("chợ không tiền mặt 2,5", "Số «2,5» không dùng được"),
        ("chợ không tiền mặt 20000000", "Số này lớn quá (tối đa 10.000.000)"),
        ("chợ không tiền mặt 5/8", "bạn gõ một số nguyên, không cần tổng số"),
        ("định danh số 4100", "bạn gõ số đạt/tổng số"),
        ("định danh số 6000/5000", "số đạt (6.000) lớn hơn tổng số (5.000)"),
        ("định danh số 1/0", "tổng số (mẫu số) phải lớn hơn 0"),
    ]:
        reply = texts(chat.say(ADMIN, f"4t 30, {line}"))
        assert why in reply and "Chưa lưu số liệu nào của tin nhắn này." in reply, line
    assert saved(database) == {"cho_khong_tien_mat": (3, None), "moi_cong_dan_mot_dinh_danh_so": (4100, 5000)}
    # one at a time by its button: the question says what is counted
    shown = last_with_buttons(chat.say(ADMIN, "/chiso"))
    asked = texts(chat.press(ADMIN, shown, "Chợ số – Nông thôn số"))
    assert "«Chợ số – Nông thôn số (4T)» (tiểu thương, nông dân được tập huấn mô hình 4t)" in asked
    assert "không dùng được" in texts(chat.say(ADMIN, "-4"))
    assert "✅ Đã lưu Chợ số – Nông thôn số (4T): 25 tiểu thương, nông dân" in texts(chat.say(ADMIN, "25 người"))
    shown = last_with_buttons(chat.say(ADMIN, "/chiso"))
    asked = texts(chat.press(ADMIN, shown, "Mỗi công dân"))
    assert "bạn gõ số đạt/tổng số (công dân từ đủ 16 tuổi)" in asked
    assert "4.200/5.000 = 84%" in texts(chat.say(ADMIN, "4200 trên 5000"))
    assert saved(database) == {
        "cho_khong_tien_mat": (3, None),
        "moi_cong_dan_mot_dinh_danh_so": (4200, 5000),
        "cho_so_4t": (25, None),
    }
    with database.session() as session:
        changes = session.exec(select(AuditEntry).where(AuditEntry.entity == "programme_month_value")).all()
        assert [c.action for c in changes] == ["create", "create", "create", "update"]
    # changeable until the month's report is submitted, like the indicators
    with database.session() as session:
        session.add(
            MonthlyReport(commune_code=SON_KIM_1, month=OCTOBER, status="submitted", submitted_at=chat_now())
        )  # fmt: skip
    locked = texts(chat.say(ADMIN, "chợ không tiền mặt 9"))
    assert "Chưa lưu số liệu nào" in locked
    assert saved(database)["cho_khong_tien_mat"] == (3, None)


def test_only_the_commune_admin_of_a_province_running_it_enters_it(chat: ChatDriver, database: Database) -> None:
    turn_on(database, "cho_khong_tien_mat")
    assert "Việc này không thuộc vai trò của bạn" in texts(chat.say(LEADER, "/chiso chợ không tiền mặt 3"))
    other = last_with_buttons(chat.say(OTHER_ADMIN, "/chiso"))
    assert "Chương trình của tỉnh" not in other.text and not any(":prog:" in b.payload for b in other.buttons)
    press_raw(chat, OTHER_ADMIN, f"i:{nonce_of(database, OTHER_ADMIN)}:prog:cho_khong_tien_mat")
    chat.say(OTHER_ADMIN, "chợ không tiền mặt 9")
    with database.session() as session:
        assert session.exec(select(ProgrammeMonthValue)).all() == []
        with pytest.raises(Exception, match="programme_not_monthly"):
            monthly.set_value(
                session, actor=None, commune_code=SON_KIM_1, month=OCTOBER, programme_id="gia_dinh_so", value=1,
                denominator=None, now=chat_now(),
            )  # fmt: skip


def test_baocao_names_what_the_commune_has_not_entered(chat: ChatDriver, database: Database) -> None:
    before = texts(chat.say(ADMIN, "/baocao"))
    assert "chưa nhập số liệu tháng" not in before and "Chỉ số riêng" not in before
    turn_on(database, "cho_khong_tien_mat", "cho_so_4t", "dai_su_so")
    with database.session() as session:
        province_indicators.add_indicator(
            session, province_code=HA_TINH, indicator_id="diem_wifi", name="Điểm wifi công cộng",
            name_en=None, unit="điểm", now=chat_now(),
        )  # fmt: skip
    shown = texts(chat.say(ADMIN, "/baocao"))
    assert "📋 Báo cáo tháng 10/2026" in shown
    assert "• Chỉ số riêng của tỉnh chưa nhập (/chiso): Điểm wifi công cộng." in shown
    assert (
        "• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): Chợ không dùng tiền mặt, Chợ số – Nông thôn số (4T)."
    ) in shown
    chat.say(ADMIN, "/chiso 4t 30, điểm wifi 2")
    shown = last_with_buttons(chat.say(ADMIN, "/baocao"))
    assert "Chỉ số riêng của tỉnh chưa nhập" not in shown.text
    assert "• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): Chợ không dùng tiền mặt." in shown.text
    asked = texts(chat.press(ADMIN, shown, "Nộp báo cáo"))
    assert "• Chương trình của tỉnh chưa nhập số liệu tháng (/chiso): Chợ không dùng tiền mặt." in asked


def test_chiso_saves_for_the_month_its_line_names_and_asks_about_an_impossible_one(
    chat: ChatDriver, database: Database
) -> None:
    """Today is 25/11/2026 and the working month October: a line naming September saves for September; a
    month that does not exist or is still to come is asked about, and nothing is saved."""
    turn_on(database, "cho_khong_tien_mat")

    def by_month() -> dict[tuple[str, dt.date], int]:
        with database.session() as session:
            rows = session.exec(select(ProgrammeMonthValue)).all()
            figures = session.exec(select(IndicatorValue)).all()
            return {(r.programme, r.month): r.value for r in rows} | {
                (f.indicator, f.month): f.numerator for f in figures
            }

    september = dt.date(2026, 9, 1)
    reply = texts(chat.say(ADMIN, "/chiso tháng 9 chợ không tiền mặt 3, vneid 1000/5000"))
    assert "📥 Số liệu chỉ số tháng 09/2026" in reply and "✅ Đã lưu Chợ không dùng tiền mặt: 3 chợ" in reply
    assert by_month() == {("cho_khong_tien_mat", september): 3, ("adults_vneid_confirmed", september): 1000}
    chat.say(ADMIN, "chợ không tiền mặt 4 tháng 9/2026")  # the month after the figures, typed without /chiso
    chat.say(ADMIN, "/chiso T9 vneid 1200/5000")
    assert by_month() == {("cho_khong_tien_mat", september): 4, ("adults_vneid_confirmed", september): 1200}
    for line in ("/chiso tháng 13 chợ không tiền mặt 5", "/chiso tháng 12/2026 vneid 1/2", "tháng 0 vneid 1/2"):
        reply = texts(chat.say(ADMIN, line))
        assert (
            "không phải một tháng đã qua hoặc đang diễn ra" in reply and "Bạn muốn nhập số liệu cho tháng nào?" in reply
        )
        assert "Chưa lưu số liệu nào của tin nhắn này." in reply, line
    assert by_month() == {("cho_khong_tien_mat", september): 4, ("adults_vneid_confirmed", september): 1200}
    # no month named: the working month, as before
    chat.say(ADMIN, "/chiso chợ không tiền mặt 7")
    assert by_month()[("cho_khong_tien_mat", OCTOBER)] == 7
