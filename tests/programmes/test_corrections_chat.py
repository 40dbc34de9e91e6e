"""/sua and /xoa reach a programme figure and a session's priority groups as they reach sessions and help:
read back before any change, removal asked first, audited, scoped by role, exactly once under redelivery;
through the real engine, on both channels (buttons on Telegram, numbered choices on Zalo), on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from bot.messages import Incoming
from storage.db import Database
from storage.models import (
    AuditEntry,
    ConversationState,
    Member,
    MonthlyReport,
    ProgrammeRecord,
    SessionPriorityGroup,
    TrainingSession,
    Village,
)
from tests.chat import ChatDriver, Sent
from tests.programmes import test_logging_chat
from tests.programmes.test_logging_chat import MEMBER, SON_KIM_1, choose, figures, texts, user
from tests.reports.conftest import add_member

LEAD, OTHER_MEMBER, ADMIN = 7111, 7112, 7113
chat = test_logging_chat.chat  # the same people and programmes, on Telegram and on Zalo


def live(database: Database) -> list[tuple[str, int, str | None]]:
    with database.session() as session:
        rows = session.exec(select(ProgrammeRecord).order_by(ProgrammeRecord.id))  # type: ignore[arg-type]
        return [(r.programme, r.count, r.mentor) for r in rows if r.deleted_at is None]


def groups(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {g.group: g.count for g in session.exec(select(SessionPriorityGroup))}


def trail(database: Database, entity: str) -> list[str]:
    with database.session() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id))  # type: ignore[arg-type]
        return [r.action for r in rows]


def log(chat: ChatDriver, line: str) -> None:
    sent = chat.say(user(chat, MEMBER), line)
    assert "✅ Đã lưu" in texts(choose(chat, MEMBER, sent, "Đúng"))


def test_a_programme_figure_is_fixed_with_a_read_back(chat: ChatDriver, database: Database) -> None:
    log(chat, "dai su so Lan da huong dan xong 5 nguoi")
    who = user(chat, MEMBER)
    listing = chat.say(who, "/sua")
    assert "Đại sứ số 25/11 · Thôn 1: 5 người" in [b.label for b in listing[-1].buttons]
    fields = choose(chat, MEMBER, listing, "Đại sứ số")
    assert "Sửa mục này:\nĐại sứ số 25/11 · Thôn 1: 5 người\n🧑‍🏫 Người hướng dẫn: Lan" in texts(fields)
    asked = choose(chat, MEMBER, fields, "Con số")
    assert "Con số đúng là bao nhiêu (người)?" in texts(asked)
    assert "phần lẻ" in texts(chat.say(who, "6,5"))
    confirm = chat.say(who, "7")
    assert "Sửa thành: 7 người" in texts(confirm) and "Lưu thay đổi này?" in texts(confirm)
    assert live(database) == [("dai_su_so", 5, "Lan")]  # nothing before «Lưu»
    assert "✅ Đã sửa:\nĐại sứ số 25/11 · Thôn 1: 7 người" in texts(choose(chat, MEMBER, confirm, "Lưu"))
    # the mentor's name: a name only, never a phone number
    fields = choose(chat, MEMBER, chat.say(who, "/sua"), "Đại sứ số")
    choose(chat, MEMBER, fields, "Người hướng dẫn")
    refused = texts(chat.say(who, "0912345678"))
    assert "0912345678" in refused and "Sửa thành" not in refused
    confirm = chat.say(who, "Chị Hoa")
    assert "Sửa thành: Chị Hoa" in texts(confirm)
    choose(chat, MEMBER, confirm, "Lưu")
    assert live(database) == [("dai_su_so", 7, "Chị Hoa")]
    assert trail(database, "programme_record") == ["create", "update", "update"]


def test_a_programme_figure_is_removed_after_asking(chat: ChatDriver, database: Database) -> None:
    log(chat, "hôm nay thôn 1 thêm 6 hộ gia đình số")
    who = user(chat, MEMBER)
    asked = choose(chat, MEMBER, chat.say(who, "/xoa"), "Gia đình số")
    assert "Xoá mục này?\nGia đình số 25/11 · Thôn 1: 6 hộ" in texts(asked)
    assert live(database) == [("gia_dinh_so", 6, None)]
    kept = choose(chat, MEMBER, asked, "Không xoá")
    assert "Đã huỷ, không thay đổi gì." in texts(kept) and live(database) == [("gia_dinh_so", 6, None)]
    asked = choose(chat, MEMBER, chat.say(who, "/xoa"), "Gia đình số")
    assert "🗑️ Đã xoá: Gia đình số 25/11 · Thôn 1: 6 hộ" in texts(choose(chat, MEMBER, asked, "Xoá"))
    assert live(database) == [] and figures(database) != []  # kept, marked deleted
    assert trail(database, "programme_record") == ["create", "delete"]
    assert "Bạn chưa ghi mục nào" in texts(chat.say(who, "/xoa"))


def test_a_session_s_priority_groups_are_fixed(chat: ChatDriver, database: Database) -> None:
    log(chat, "hôm nay học VNeID 20 người, 15 người cao tuổi, đại sứ số Minh kèm 5 người")
    who = user(chat, MEMBER)
    fields = choose(chat, MEMBER, chat.say(who, "/sua"), "Buổi sinh hoạt")
    shown = texts(fields)
    assert "👥 Trong đó: 15 người cao tuổi" in shown and "🏅 Đại sứ số: 5 người" in shown
    asked = choose(chat, MEMBER, fields, "Nhóm ưu tiên")
    assert "Trong 20 người dự buổi, có bao nhiêu người thuộc nhóm ưu tiên?" in texts(asked)
    assert "Tôi chưa đọc được nhóm ưu tiên" in texts(chat.say(who, "nhiều lắm"))
    assert "Bạn gõ lại" in texts(chat.say(who, "30 người cao tuổi"))  # over the 20 attendees: asked again
    confirm = chat.say(who, "10 người cao tuổi, 3 người dân tộc thiểu số")
    assert "Sửa thành: 10 người cao tuổi; 3 người dân tộc thiểu số" in texts(confirm)
    assert groups(database) == {"elderly": 15}
    choose(chat, MEMBER, confirm, "Lưu")
    assert groups(database) == {"elderly": 10, "ethnic_minority": 3}
    # the attendees may not fall below a group
    fields = choose(chat, MEMBER, chat.say(who, "/sua"), "Buổi sinh hoạt")
    choose(chat, MEMBER, fields, "Số người")
    refused = texts(choose(chat, MEMBER, chat.say(who, "8"), "Lưu"))
    assert "10" in refused and "Bạn muốn sửa phần nào?" in refused
    with database.session() as session:
        assert session.exec(select(TrainingSession)).one().attendees == 20
    # «không» removes the breakdown
    fields = choose(chat, MEMBER, chat.say(who, "/sua"), "Buổi sinh hoạt")
    choose(chat, MEMBER, fields, "Nhóm ưu tiên")
    confirm = chat.say(who, "không")
    assert "Sửa thành: không có" in texts(confirm)
    choose(chat, MEMBER, confirm, "Lưu")
    assert groups(database) == {}
    assert trail(database, "session_priority_groups") == ["create", "update", "update"]


def test_removing_a_session_removes_its_programme_figures(chat: ChatDriver, database: Database) -> None:
    log(chat, "hôm nay học VNeID 20 người, đại sứ số Minh kèm 5 người")
    log(chat, "hôm nay thôn 1 thêm 6 hộ gia đình số")
    who = user(chat, MEMBER)
    asked = choose(chat, MEMBER, chat.say(who, "/xoa"), "Buổi sinh hoạt")
    assert "🏅 Đại sứ số: 5 người" in texts(asked)
    assert "Số liệu chương trình ghi kèm buổi này cũng sẽ được xoá." in texts(asked)
    choose(chat, MEMBER, asked, "Xoá")
    assert live(database) == [("gia_dinh_so", 6, None)]  # the one logged apart stays
    assert trail(database, "programme_record") == ["create", "create", "delete"]


def test_a_session_moved_to_another_day_takes_its_figures(chat: ChatDriver, database: Database) -> None:
    log(chat, "hôm nay học VNeID 20 người, đại sứ số Minh kèm 5 người")
    who = user(chat, MEMBER)
    fields = choose(chat, MEMBER, chat.say(who, "/sua"), "Buổi sinh hoạt")
    choose(chat, MEMBER, fields, "Ngày")
    confirm = chat.say(who, "23/11/2026")
    choose(chat, MEMBER, confirm, "Lưu")
    with database.session() as session:
        held = session.exec(select(TrainingSession)).one()
        figure = session.exec(select(ProgrammeRecord)).one()
        assert held.session_date == figure.record_date == dt.date(2026, 11, 23)


def nonce_of(database: Database, who: str) -> str:
    with database.session() as session:
        state = session.exec(select(ConversationState).where(ConversationState.user_id == who)).one()
        return str(state.data.get("nonce"))


def press(chat: ChatDriver, who: str, payload: str, update_id: str) -> list[Sent]:
    """A payload pressed as is, with the update id given (a redelivery sends the same one)."""
    return chat.send(
        Incoming(
            channel=chat.channel, update_id=update_id, user_id=who, chat_id=who, payload=payload,
            callback_id=f"cb{who}", message_id="1", message_text="…",
        )
    )  # fmt: skip


def record_id(database: Database) -> int:
    with database.session() as session:
        return int(session.exec(select(ProgrammeRecord)).one().id or 0)


def test_a_redelivered_removal_happens_once(chat: ChatDriver, database: Database) -> None:
    if chat.channel == "zalo":
        pytest.skip("the same update twice is the engine's matter, whatever the channel: Telegram shows it")
    log(chat, "hôm nay thôn 1 thêm 6 hộ gia đình số")
    who = user(chat, MEMBER)
    chat.say(who, "/xoa")
    nonce = nonce_of(database, who)
    press(chat, who, f"x:{nonce}:pick:p{record_id(database)}", "pick-1")
    first = press(chat, who, f"x:{nonce}:delete", "delete-1")
    again = press(chat, who, f"x:{nonce}:delete", "delete-1")
    assert "Đã xoá" in texts(first) and again == []
    assert trail(database, "programme_record") == ["create", "delete"]


def test_a_figure_is_reached_by_role_only(chat: ChatDriver, database: Database) -> None:
    if chat.channel == "zalo":
        pytest.skip("the rules are the channel's neither: forged payloads on Telegram show them")
    with database.session() as session:
        thon_1 = session.exec(select(Village).where(Village.name == "Thôn 1")).one()
        thon_2 = session.exec(select(Village).where(Village.name == "Thôn 2")).one()
        add_member(session, LEAD, "team_lead", commune=SON_KIM_1, village=thon_2.id, name="Tổ trưởng thôn 2")
        add_member(session, OTHER_MEMBER, "member", commune=SON_KIM_1, village=thon_1.id, name="Chị Mơ")
        add_member(session, ADMIN, "commune_admin", commune=SON_KIM_1, name="Chị Lan")
    log(chat, "hôm nay thôn 1 thêm 6 hộ gia đình số")
    entry = record_id(database)

    def fix(who: int, update: str) -> str:
        chat.say(str(who), "/ghibuoi")  # any flow, so that the person has a nonce to forge with
        chat.say(str(who), "/sua")
        nonce = nonce_of(database, str(who))
        said = texts(press(chat, str(who), f"x:{nonce}:pick:p{entry}", f"{update}-pick"))
        press(chat, str(who), f"x:{nonce}:field:figure", f"{update}-field")
        chat.say(str(who), "9")
        press(chat, str(who), f"x:{nonce}:save", f"{update}-save")
        return said

    assert "Không tìm thấy" in fix(OTHER_MEMBER, "m") or live(database) == [("gia_dinh_so", 6, None)]
    assert live(database) == [("gia_dinh_so", 6, None)]  # another member of the village: not theirs
    fix(LEAD, "l")
    assert live(database) == [("gia_dinh_so", 6, None)]  # the lead of another village
    fix(ADMIN, "a")
    assert live(database) == [("gia_dinh_so", 9, None)]  # the commune's admin
    # a submitted month is locked for everyone
    with database.session() as session:
        session.add(MonthlyReport(commune_code=SON_KIM_1, month=dt.date(2026, 11, 1), status="submitted"))
        admin = session.exec(select(Member).where(Member.display_name == "Chị Lan")).one()
        assert admin.role == "commune_admin"
    chat.say(str(MEMBER), "/xoa")
    nonce = nonce_of(database, str(MEMBER))
    said = texts(press(chat, str(MEMBER), f"x:{nonce}:pick:p{entry}", "locked-pick"))
    assert "đã nộp" in said or "khoá" in said
    assert live(database) == [("gia_dinh_so", 9, None)]
