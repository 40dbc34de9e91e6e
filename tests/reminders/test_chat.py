"""/nhacnho in chat: members pause and resume; commune admins and province viewers set times and deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.reminders.planner import preview
from handlers.router import route
from storage import reminders
from storage.db import Database
from storage.models import Member, ReminderDeadline, ReminderRule
from tests.chat import ChatDriver, last_with_buttons
from tests.conftest import VN
from tests.reminders.conftest import SON_KIM_1, Area, local


@pytest.fixture
def chat(database: Database, config: Config, week_clock: FixedClock) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, week_clock, route), database)


def test_member_pauses_and_resumes(chat: ChatDriver, database: Database, area: Area) -> None:
    user = area.people["mem2"]
    replies = chat.say(user, "/nhacnho")
    assert "Bạn đang nhận nhắc việc" in replies[0].text and "Lịch nhắc" not in replies[0].text
    replies = chat.press(user, replies[0], "Tạm dừng")
    assert "Đã tạm dừng nhắc việc" in replies[-1].text and area.member("mem2").reminders_paused
    with database.session() as session:
        assert "Anh Tuấn" not in {d.name for d in preview(session, VN, local(2026, 11, 26, 19))}
    replies = chat.say(user, "/nhacnho")
    assert "TẠM DỪNG" in replies[0].text
    replies = chat.press(user, replies[0], "Nhận lại")
    assert "Đã bật lại" in replies[-1].text and not area.member("mem2").reminders_paused
    chat.say(user, "/nhacnho tắt")
    assert area.member("mem2").reminders_paused
    chat.say(user, "/nhacnho bật")
    assert not area.member("mem2").reminders_paused


def test_commune_admin_changes_the_weekly_times(chat: ChatDriver, database: Database, area: Area) -> None:
    user = area.people["admin"]
    replies = chat.say(user, "/nhacnho")
    text = replies[0].text
    assert "Lịch nhắc của Xã Sơn Kim 1" in text and "Thứ Năm 19:00, Thứ Bảy 08:00 (mặc định)" in text
    assert "Nhắc Sở tổng hợp" not in text  # not a commune's rule
    replies = chat.press(user, replies[0], "Đổi lịch")
    replies = chat.press(user, last_with_buttons(replies), "thôn chưa có buổi sinh hoạt")
    assert "Thứ 5 19:00, Thứ 7 8:00" in replies[-1].text
    assert "chưa đọc được" in chat.say(user, "hôm nào cũng được")[0].text
    replies = chat.say(user, "thứ 4 lúc 18h30 và chủ nhật 22h")
    confirm = replies[-1]
    assert "Thứ Tư 18:30" in confirm.text and "Chủ Nhật 22:00 (giờ nghỉ: gửi lúc 07:00)" in confirm.text
    replies = chat.press(user, confirm, "Lưu")
    assert "Đã lưu" in replies[-1].text and "riêng của xã" in replies[-1].text
    with database.session() as session:
        row = session.exec(reminders.select(ReminderRule).where(ReminderRule.scope == "commune")).one()
        assert (row.kind, row.area_code, row.times) == ("weekly_session", SON_KIM_1, ["wed 18:30", "sun 22:00"])
        assert {d.name for d in preview(session, VN, local(2026, 11, 25, 18, 30))} == {
            "Bác Hùng",
            "Chị Mai",
            "Anh Tuấn",
            "Mr Nam",
        }
        assert {d.name for d in preview(session, VN, local(2026, 11, 26, 19))} == {"Chị Vân"}  # Sông Trí
    # Back to the common schedule.
    replies = chat.say(user, "/nhacnho")
    replies = chat.press(user, replies[0], "Đổi lịch")
    replies = chat.press(user, last_with_buttons(replies), "thôn chưa có buổi sinh hoạt")
    replies = chat.press(user, last_with_buttons(replies), "lịch chung")
    assert "mặc định" in replies[-1].text
    with database.session() as session:
        assert session.exec(reminders.select(ReminderRule).where(ReminderRule.scope == "commune")).first() is None


def test_province_viewer_creates_a_deadline_for_commune_admins(
    chat: ChatDriver, database: Database, area: Area
) -> None:
    user = area.people["viewer"]
    replies = chat.say(user, "/nhacnho")
    assert "Lịch nhắc của Tỉnh Hà Tĩnh" in replies[0].text and "Nhắc Sở tổng hợp" in replies[0].text
    replies = chat.press(user, replies[0], "Thêm hạn chót")
    replies = chat.say(user, "Gửi danh sách đề cử khen thưởng")
    assert "Hạn chót là ngày nào" in replies[-1].text
    assert "đã qua" in chat.say(user, "20/11/2026")[0].text
    replies = chat.say(user, "10/12")
    roles = last_with_buttons(replies)
    replies = chat.press(user, roles, "Xong")
    assert "ít nhất một" in replies[-2].text
    replies = chat.press(user, last_with_buttons(replies), "cán bộ xã phụ trách")
    replies = chat.press(user, last_with_buttons(replies), "Xong")
    confirm = replies[-1]
    assert "10/12/2026" in confirm.text and "cán bộ xã phụ trách" in confirm.text
    replies = chat.press(user, confirm, "Lưu")
    assert "Đã tạo hạn chót «Gửi danh sách đề cử khen thưởng» ngày 10/12/2026" in replies[-1].text
    with database.session() as session:
        deadline = session.exec(reminders.select(ReminderDeadline)).one()
        assert (deadline.scope, deadline.area_code, deadline.roles) == ("province", 42, ["commune_admin"])
        assert {d.name for d in preview(session, VN, local(2026, 12, 3, 8))} == {"Chị Lan", "Anh Phúc"}
    # An admin of a commune sees it among their coming deadlines? Only the commune's own; members see theirs.
    replies = chat.say(area.people["admin"], "/nhacnho")
    assert "Gửi danh sách" not in replies[0].text
    replies = chat.say(user, "/nhacnho")
    replies = chat.press(user, replies[0], "Huỷ một hạn chót")
    replies = chat.press(user, last_with_buttons(replies), "Gửi danh sách")
    assert "Đã huỷ hạn chót" in replies[-1].text
    with database.session() as session:
        assert preview(session, VN, local(2026, 12, 3, 8)) == []


def test_members_cannot_edit_rules(chat: ChatDriver, database: Database, area: Area) -> None:
    replies = chat.say(area.people["leader"], "/nhacnho")
    assert not any("Đổi lịch" in b.label for b in replies[0].buttons)
    with database.session() as session:
        leader = session.get(Member, area.people["leader"])
        assert leader is not None
        with pytest.raises(reminders.DomainError):
            reminders.set_rule(
                session,
                actor=leader,
                kind="weekly_session",
                scope="commune",
                area_code=SON_KIM_1,
                times=["mon 08:00"],
                now=dt.datetime(2026, 11, 23, tzinfo=VN),
            )


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("weekly_session", "Thứ 5 19h, thứ 7 8:00", ["thu 19:00", "sat 08:00"]),
        ("weekly_session", "T2 7h30 tối", ["mon 19:30"]),
        ("weekly_summary", "Chủ nhật 20:00", ["sun 20:00"]),
        ("weekly_summary", "sun 20:00", ["sun 20:00"]),
        ("monthly_report", "ngày 15, 18, 19 lúc 8h", ["15 08:00", "18 08:00", "19 08:00"]),
        ("monthly_report", "10", ["10 08:00"]),
        ("custom", "7 và 1 ngày trước, lúc 9:00", ["-7 09:00", "-1 09:00"]),
    ],
)
def test_times_as_people_type_them(kind: str, typed: str, stored: list[str]) -> None:
    assert reminders.parse_times(kind, typed) == stored


@pytest.mark.parametrize(
    ("kind", "typed", "code"),
    [
        ("monthly_report", "ngày 31", "reminder_day_invalid"),
        ("weekly_session", "25:00 thứ 2", "reminder_time_invalid"),
        ("weekly_session", "khi nào rảnh", "reminder_times_unreadable"),
    ],
)
def test_times_refused(kind: str, typed: str, code: str) -> None:
    with pytest.raises(reminders.DomainError) as caught:
        reminders.parse_times(kind, typed)
    assert caught.value.code == code
