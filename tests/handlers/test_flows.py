"""The conversation end to end through the real engine and database (no messenger)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine, Outcome
from handlers.router import route
from storage import invites
from storage.activity import export_commune
from storage.db import Database
from storage.models import AuditEntry, ConversationState, Member
from tests.chat import ChatDriver, last_with_buttons

SON_KIM_1 = 18196
ADMIN, MEMBER, LEAD, STRANGER = 1001, 1002, 1003, 1004


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    engine = ConversationEngine(database, config, clock, route)
    return ChatDriver(engine, database)


def admin_code(database: Database, clock: FixedClock) -> str:
    with database.session() as session:
        return invites.create_invite(
            session, role="commune_admin", commune_code=SON_KIM_1, now=clock.now(), days=7, max_uses=1
        ).code


def setup_commune(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    """The admin joins, adds villages, invites a member of Thôn 2; the member joins."""
    replies = chat.say(ADMIN, f"/start {admin_code(database, clock)}", name="Chị Lan")
    assert "cán bộ xã phụ trách" in replies[0].text and "Xã Sơn Kim 1" in replies[0].text
    chat.say(ADMIN, "/thon")
    replies = chat.say(ADMIN, "Thôn 1\nThôn 2\nthôn 2\nBản Nà Sang")
    assert "Thôn 1" in replies[0].text and replies[0].text.count("•") == 3
    replies = chat.press(ADMIN, replies[0], "Đúng")
    assert "Đã thêm 3 thôn" in replies[-1].text
    replies = chat.say(ADMIN, "/moi")
    replies = chat.press(ADMIN, last_with_buttons(replies), "Thành viên tổ")
    replies = chat.press(ADMIN, last_with_buttons(replies), "Thôn 2")
    code = replies[-1].text.split("Mã mời: ")[1].split()[0]
    replies = chat.say(MEMBER, code.lower(), name="Bác Hùng")
    assert "thành viên tổ CNSCĐ" in replies[0].text and "Thôn 2" in replies[0].text


def test_join_refuses_wrong_code_politely(chat: ChatDriver) -> None:
    replies = chat.say(STRANGER, "/start")
    assert "mã mời" in replies[0].text
    replies = chat.say(STRANGER, "ZZZZ9999")
    assert "không đúng" in replies[0].text
    replies = chat.say(STRANGER, "/ghibuoi")
    assert "tham gia" in replies[0].text


def test_expired_and_used_up_codes(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    code = admin_code(database, clock)
    assert "Chào mừng" in chat.say(ADMIN, f"/start {code}")[0].text
    assert "dùng hết" in chat.say(STRANGER, f"/start {code}")[0].text
    with database.session() as session:
        old = invites.create_invite(
            session,
            role="commune_leader",
            commune_code=SON_KIM_1,
            now=clock.now() - dt.timedelta(days=30),
            days=7,
            max_uses=5,
        ).code
    assert "hết hạn" in chat.say(STRANGER, f"/start {old}")[0].text


def test_member_logs_a_session_by_buttons(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    replies = chat.say(MEMBER, "/ghibuoi")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm qua")
    assert replies[0].kind == "edit" and "Hôm qua" in replies[0].text  # the pressed message is closed
    topics = last_with_buttons(replies)
    replies = chat.press(MEMBER, topics, "VNeID")
    assert replies[0].kind == "edit" and any(b.label.startswith("✅") for b in replies[0].buttons)
    replies = chat.press(MEMBER, replies[0], "Dịch vụ công")
    replies = chat.press(MEMBER, replies[0], "Xong")
    assert "bao nhiêu người" in replies[-1].text
    assert "chưa phải là một con số" in chat.say(MEMBER, "abc")[0].text
    assert "số âm" in chat.say(MEMBER, "-3")[0].text
    assert "từ 1 trở lên" in chat.say(MEMBER, "0")[0].text
    replies = chat.say(MEMBER, "17 người")
    confirm = replies[-1]
    assert "Thôn 2" in confirm.text and "24/11/2026" in confirm.text and "17" in confirm.text
    with database.session() as session:
        assert export_commune(session, SON_KIM_1)["sessions"] == []  # nothing saved before «Đúng»
    replies = chat.press(MEMBER, confirm, "Đúng")
    assert "Đã lưu buổi sinh hoạt" in replies[-1].text
    with database.session() as session:
        sessions = export_commune(session, SON_KIM_1)["sessions"]
    assert [(s["date"], s["village"], s["topics"], s["attendees"]) for s in sessions] == [
        ("2026-11-24", "Thôn 2", ["vneid", "public_services"], 17)
    ]
    # Pressing «Đúng» again (a double tap) saves nothing more.
    again = chat.press(MEMBER, confirm, "Đúng")
    assert "đã cũ" in again[-1].text or "đã xong" in again[-1].text
    with database.session() as session:
        assert len(export_commune(session, SON_KIM_1)["sessions"]) == 1
        audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "training_session")).all()
        assert len(audit) == 1 and audit[0].after["attendees"] == 17


def test_future_date_is_refused_and_asked_again(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    replies = chat.say(MEMBER, "/ghibuoi")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Ngày khác")
    assert "ngày/tháng" in replies[-1].text
    assert "chưa tới" in chat.say(MEMBER, "30/11/2026")[0].text
    assert "chưa đọc được" in chat.say(MEMBER, "thứ hai tuần sau")[0].text
    replies = chat.say(MEMBER, "20/11")
    assert "nội dung" in replies[-1].text


def test_help_record_with_two_kinds_and_fix(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    replies = chat.say(MEMBER, "/ghigiup")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm nay")
    replies = chat.press(MEMBER, last_with_buttons(replies), "mức 2")
    replies = chat.say(MEMBER, "10")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Thêm việc")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Nộp hồ sơ")
    replies = chat.say(MEMBER, "5")
    assert "mức 2: 10 người" in replies[-1].text and "Nộp hồ sơ dịch vụ công trực tuyến: 5 người" in replies[-1].text
    replies = chat.press(MEMBER, replies[-1], "Sửa")
    replies = chat.press(MEMBER, last_with_buttons(replies), "mức 2")
    replies = chat.say(MEMBER, "12")
    replies = chat.press(MEMBER, replies[-1], "Đúng")
    assert "Đã lưu số người được hỗ trợ" in replies[-1].text
    with database.session() as session:
        helps = export_commune(session, SON_KIM_1)["help_records"]
    assert sorted((h["kind"], h["count"]) for h in helps) == [("public_service_filing", 5), ("vneid_level2", 12)]


def test_redelivered_update_changes_and_sends_nothing(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    replies = chat.say(MEMBER, "/ghibuoi")
    chat.press(MEMBER, last_with_buttons(replies), "Hôm nay")
    before = len(chat.all_items())
    first = chat.say(MEMBER, "/tuannay", update_id="same-1")
    assert first and chat.last_outcome is Outcome.HANDLED
    assert chat.say(MEMBER, "/tuannay", update_id="same-1") == []
    assert chat.last_outcome is Outcome.DUPLICATE
    assert len(chat.all_items()) == before + 1


def test_state_survives_a_new_engine(database: Database, config: Config, clock: FixedClock) -> None:
    """A restart in the middle of a flow: the next process continues where the person was."""
    first = ChatDriver(ConversationEngine(database, config, clock, route), database)
    setup_commune(first, database, clock)
    replies = first.say(MEMBER, "/ghibuoi")
    first.press(MEMBER, last_with_buttons(replies), "Hôm nay")
    second = ChatDriver(ConversationEngine(database, config, clock, route), database)
    topics = [s for s in second.all_items() if s.kind == "message" and "VNeID" in str(s.payload)][-1]
    replies = second.press(MEMBER, topics, "VNeID")
    replies = second.press(MEMBER, replies[0], "Xong")
    replies = second.say(MEMBER, "9")
    assert "9" in replies[-1].text and "Thôn 2" in replies[-1].text


def test_cancel_language_and_scope(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    chat.say(MEMBER, "/ghibuoi")
    assert "Đã huỷ" in chat.say(MEMBER, "/huy")[0].text
    with database.session() as session:
        assert session.get(ConversationState, ("telegram", str(MEMBER), "")).name == "idle"
    assert "không thuộc vai trò" in chat.say(MEMBER, "/moi")[0].text
    replies = chat.say(MEMBER, "/lang")
    replies = chat.press(MEMBER, last_with_buttons(replies), "English")
    assert "English" in replies[-1].text or "Switched" in replies[-1].text
    with database.session() as session:
        member = session.exec(select(Member).where(Member.role == "member")).one()
        assert member.locale == "en"


def test_week_view_for_member_and_admin(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    replies = chat.say(MEMBER, "/tuannay")
    assert "chưa có buổi sinh hoạt" in replies[0].text
    replies = chat.say(ADMIN, "/tuannay")
    assert "Chưa có buổi sinh hoạt: Thôn 1, Thôn 2, Bản Nà Sang" in replies[0].text


def log_session_by_buttons(chat: ChatDriver, user: int, day_button: str, topic: str, count: str) -> list:
    replies = chat.say(user, "/ghibuoi")
    replies = chat.press(user, last_with_buttons(replies), day_button)
    replies = chat.press(user, last_with_buttons(replies), topic)
    replies = chat.press(user, replies[0], "Xong")
    replies = chat.say(user, count)
    return chat.press(user, replies[-1], "Đúng")


def test_duplicate_session_asks_before_logging_again(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    log_session_by_buttons(chat, MEMBER, "Hôm nay", "VNeID", "12")
    replies = log_session_by_buttons(chat, MEMBER, "Hôm nay", "VNeID", "15")
    assert "ghi thêm một buổi nữa" in replies[-1].text
    replies = chat.press(MEMBER, replies[-1], "Vẫn ghi")
    assert "Đã lưu" in replies[-1].text
    with database.session() as session:
        assert [s["attendees"] for s in export_commune(session, SON_KIM_1)["sessions"]] == [12, 15]


def test_fix_and_remove_the_last_entry(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    log_session_by_buttons(chat, MEMBER, "Hôm nay", "VNeID", "12")
    replies = chat.say(MEMBER, "/sua")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Buổi sinh hoạt")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Số người")
    replies = chat.say(MEMBER, "21")
    assert "Sửa thành: 21" in replies[-1].text
    replies = chat.press(MEMBER, replies[-1], "Lưu")
    assert "Đã sửa" in replies[-1].text and "21 người" in replies[-1].text
    replies = chat.say(MEMBER, "/xoa")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Buổi sinh hoạt")
    assert "Xoá mục này?" in replies[-1].text
    with database.session() as session:
        assert len(export_commune(session, SON_KIM_1)["sessions"]) == 1  # nothing removed before the confirm
    replies = chat.press(MEMBER, replies[-1], "Xoá")
    assert "Đã xoá" in replies[-1].text
    with database.session() as session:
        assert export_commune(session, SON_KIM_1)["sessions"] == []
        trail = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "training_session").order_by(AuditEntry.id)
        ).all()
    assert [a.action for a in trail] == ["create", "update", "delete"]
    assert trail[1].before["attendees"] == 12 and trail[1].after["attendees"] == 21


def test_submitted_month_is_locked(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    from storage.models import MonthlyReport

    setup_commune(chat, database, clock)
    log_session_by_buttons(chat, MEMBER, "Hôm nay", "VNeID", "12")
    with database.session() as session:
        session.add(
            MonthlyReport(
                commune_code=SON_KIM_1,
                month=dt.date(2026, 11, 1),
                status="submitted",
                submitted_at=clock.now(),
                on_time=True,
            )
        )
    replies = chat.say(MEMBER, "/ghibuoi")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm qua")
    assert "đã nộp báo cáo" in replies[1].text and "ngày nào" in replies[-1].text  # asked again
    replies = chat.say(MEMBER, "/xoa")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Buổi sinh hoạt")
    assert "đã nộp báo cáo" in replies[-1].text
    with database.session() as session:
        assert len(export_commune(session, SON_KIM_1)["sessions"]) == 1


def test_photo_is_attached_by_file_reference(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    from storage.models import TrainingSession

    setup_commune(chat, database, clock)
    assert "ghi buổi sinh hoạt trước" in chat.photo(MEMBER, "photo-0")[0].text
    log_session_by_buttons(chat, MEMBER, "Hôm nay", "VNeID", "12")
    replies = chat.photo(MEMBER, "photo-1")
    assert "Đã đính kèm ảnh" in replies[0].text
    # During a flow the photo waits for the save.
    replies = chat.say(MEMBER, "/ghibuoi")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm qua")
    assert "Đã nhận ảnh" in chat.photo(MEMBER, "photo-2")[0].text
    replies = chat.press(MEMBER, last_with_buttons(chat.all_items()), "Dịch vụ công")
    replies = chat.press(MEMBER, replies[0], "Xong")
    replies = chat.say(MEMBER, "8")
    chat.press(MEMBER, replies[-1], "Đúng")
    with database.session() as session:
        rows = session.exec(select(TrainingSession).order_by(TrainingSession.id)).all()
    assert [[e["file_id"] for e in r.evidence] for r in rows] == [["photo-1"], ["photo-2"]]


def test_team_lead_logs_on_behalf_of_a_member(chat: ChatDriver, database: Database, clock: FixedClock) -> None:
    setup_commune(chat, database, clock)
    with database.session() as session:
        from storage.areas import find_village

        village = find_village(session, SON_KIM_1, "Thôn 2")
        code = invites.create_invite(
            session,
            role="team_lead",
            commune_code=SON_KIM_1,
            village_id=village.id,
            now=clock.now(),
            days=7,
            max_uses=1,
        ).code
    chat.say(LEAD, f"/start {code}", name="Chị Mai")
    replies = chat.say(LEAD, "/ghigiup")
    replies = chat.press(LEAD, last_with_buttons(replies), "Hôm nay")
    replies = chat.press(LEAD, last_with_buttons(replies), "Chữ ký số")
    replies = chat.say(LEAD, "4")
    replies = chat.press(LEAD, replies[-1], "Ghi thay")
    replies = chat.press(LEAD, last_with_buttons(replies), "Bác Hùng")
    assert "Ghi thay cho: Bác Hùng" in replies[-1].text
    replies = chat.press(LEAD, replies[-1], "Đúng")
    assert "Ghi thay cho: Bác Hùng" in replies[-1].text
    with database.session() as session:
        record = export_commune(session, SON_KIM_1)["help_records"][0]
        member_id = session.exec(select(Member.id).where(Member.display_name == "Bác Hùng")).one()
        lead_id = session.exec(select(Member.id).where(Member.display_name == "Chị Mai")).one()
    assert (record["kind"], record["count"], record["member_id"], record["author_id"]) == (
        "digital_signature",
        4,
        member_id,
        lead_id,
    )
    # The member sees it among their entries and can fix it.
    replies = chat.say(MEMBER, "/sua")
    assert any("Chữ ký số" in b.label for b in last_with_buttons(replies).buttons)
