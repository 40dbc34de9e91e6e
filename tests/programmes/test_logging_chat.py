"""Logging the provinces' programmes and a session's priority groups in one line: read back, saved only on
«Đúng» in the same transaction, only for programmes the province runs; through the real engine, on both
channels, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.messages import Incoming
from handlers.router import route
from storage.areas import add_villages
from storage.db import Database
from storage.models import (
    AuditEntry,
    ChannelAccount,
    ConversationState,
    HelpRecord,
    Member,
    ProgrammeRecord,
    SessionPriorityGroup,
    TrainingSession,
)
from storage.programmes import provinces
from tests.chat import ChatDriver, Sent, last_with_buttons
from tests.reports.conftest import add_member

HA_TINH, SON_KIM_1 = 42, 18196
VIEWER, MEMBER = 7101, 7102
RUNNING = ("gia_dinh_so", "dai_su_so", "cho_so_4t")  # not dang_vien_so
_forged = itertools.count(1)


def user(chat: ChatDriver, who: int) -> str:
    return f"z{who}" if chat.channel == "zalo" else str(who)


@pytest.fixture(params=["telegram", "zalo"])
def chat(request: pytest.FixtureRequest, database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    with database.session() as session:
        (thon_1, _), _ = add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2"], now=clock.now(), actor_id=None)
        viewer = add_member(session, VIEWER, "province_viewer", name="Chị Hà")
        member = add_member(session, MEMBER, "member", commune=SON_KIM_1, village=thon_1.id, name="Bác Hùng")
        session.add(
            ChannelAccount(
                member_id=member.id, channel="zalo", user_id=f"z{MEMBER}", chat_id=f"z{MEMBER}", created_at=clock.now()
            )
        )
        for programme in RUNNING:
            provinces.enable(session, actor=viewer, province_code=HA_TINH, programme_id=programme, now=clock.now())
    return ChatDriver(ConversationEngine(database, config, clock, route), database, channel=request.param)


def texts(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


def choose(chat: ChatDriver, who: int, sent: list[Sent], label: str) -> list[Sent]:
    """Press a button on Telegram; type its number on Zalo, as a person there does."""
    message = last_with_buttons(sent)
    if chat.channel == "zalo":
        number = next(i for i, b in enumerate(message.buttons, start=1) if label in b.label)
        return chat.say(user(chat, who), str(number))
    return chat.press(user(chat, who), message, label)


def figures(database: Database) -> list[tuple[str, int, str, str | None, int | None]]:
    with database.session() as session:
        rows = session.exec(select(ProgrammeRecord).order_by(ProgrammeRecord.id))  # type: ignore[arg-type]
        return [(r.programme, r.count, r.unit, r.mentor, r.session_id) for r in rows]


def test_a_programme_figure_is_read_back_and_saved_on_yes(chat: ChatDriver, database: Database) -> None:
    sent = chat.say(user(chat, MEMBER), "hôm nay thôn 1 thêm 6 hộ gia đình số")
    assert "🏅 Chương trình của tỉnh:\n• Gia đình số: 6 hộ" in texts(sent)
    assert figures(database) == []  # nothing before «Đúng»
    saved = choose(chat, MEMBER, sent, "Đúng")
    assert "✅ Đã lưu" in texts(saved)
    assert figures(database) == [("gia_dinh_so", 6, "households", None, None)]
    with database.session() as session:
        trail = session.exec(select(AuditEntry).where(AuditEntry.entity == "programme_record")).one()
        assert trail.after["count"] == 6  # type: ignore[index]


def test_a_mentor_is_saved_by_name(chat: ChatDriver, database: Database) -> None:
    sent = chat.say(user(chat, MEMBER), "dai su so Lan da huong dan xong 5 nguoi")
    assert "• Đại sứ số (người hướng dẫn: Lan): 5 người" in texts(sent)
    choose(chat, MEMBER, sent, "Đúng")
    assert figures(database) == [("dai_su_so", 5, "people", "Lan", None)]


def test_a_programme_the_province_does_not_run_is_named_not_counted(chat: ChatDriver, database: Database) -> None:
    sent = chat.say(user(chat, MEMBER), "giúp 8 đảng viên cài VNeID")
    said = texts(sent)
    assert "• Hỗ trợ khác: 8 người" in said
    assert "Tỉnh mình chưa triển khai «Đảng viên số đi trước»" in said
    choose(chat, MEMBER, sent, "Đúng")
    assert figures(database) == []
    with database.session() as session:
        assert [h.count for h in session.exec(select(HelpRecord))] == [8]
    only = texts(chat.say(user(chat, MEMBER), "hôm nay thêm 5 đảng viên số"))
    assert "chưa triển khai «Đảng viên số đi trước»" in only and "Đúng chưa" not in only


def test_a_session_with_its_priority_groups_and_a_programme(chat: ChatDriver, database: Database) -> None:
    sent = chat.say(user(chat, MEMBER), "tối qua học VNeID 23 người, 15 người cao tuổi, 2 người khuyết tật")
    said = texts(sent)
    assert "23 người tham dự" in said and "👥 Trong đó: 15 người cao tuổi; 2 người khuyết tật" in said
    choose(chat, MEMBER, sent, "Đúng")
    with database.session() as session:
        held = session.exec(select(TrainingSession)).one()
        groups = {g.group: g.count for g in session.exec(select(SessionPriorityGroup))}
        assert groups == {"elderly": 15, "disabled": 2}
        assert all(g.session_id == held.id for g in session.exec(select(SessionPriorityGroup)))


def test_a_group_over_the_attendees_is_asked_never_trimmed(chat: ChatDriver, database: Database) -> None:
    asked = texts(chat.say(user(chat, MEMBER), "hôm nay học VNeID 10 người, 15 người cao tuổi"))
    assert "Trong 10 người dự buổi, có bao nhiêu người cao tuổi?" in asked
    assert "quá lớn (tối đa 10)" in texts(chat.say(user(chat, MEMBER), "12"))
    sent = chat.say(user(chat, MEMBER), "4")
    assert "👥 Trong đó: 4 người cao tuổi" in texts(sent)
    choose(chat, MEMBER, sent, "Đúng")
    with database.session() as session:
        assert [(g.group, g.count) for g in session.exec(select(SessionPriorityGroup))] == [("elderly", 4)]


def test_a_refused_programme_count_is_asked_again(chat: ChatDriver, database: Database) -> None:
    said = texts(chat.say(user(chat, MEMBER), "hôm nay thêm -6 hộ gia đình số"))
    assert "«-6»" in said and "«Gia đình số»: bao nhiêu hộ? Bạn gõ một con số." in said
    assert "phần lẻ" in texts(chat.say(user(chat, MEMBER), "2,5"))
    sent = chat.say(user(chat, MEMBER), "6")
    assert "• Gia đình số: 6 hộ" in texts(sent)
    choose(chat, MEMBER, sent, "Đúng")
    assert figures(database) == [("gia_dinh_so", 6, "households", None, None)]


def test_a_figure_is_fixed_before_saving(chat: ChatDriver, database: Database) -> None:
    sent = chat.say(user(chat, MEMBER), "buổi 4T ở chợ Phố Mới 22 tiểu thương")
    assert "• Chợ số – Nông thôn số (4T): 22 tiểu thương, nông dân" in texts(sent)
    fix = choose(chat, MEMBER, sent, "Sửa")
    asked = choose(chat, MEMBER, fix, "Số liệu: Chợ số")
    assert "bao nhiêu tiểu thương, nông dân?" in texts(asked)
    sent = chat.say(user(chat, MEMBER), "25")
    choose(chat, MEMBER, sent, "Đúng")
    assert figures(database) == [("cho_so_4t", 25, "traders", None, None)]


def test_a_forged_fix_choice_changes_nothing(chat: ChatDriver, database: Database) -> None:
    who = user(chat, MEMBER)
    sent = chat.say(who, "hôm nay thêm 6 hộ gia đình số")
    choose(chat, MEMBER, sent, "Sửa")
    nonce = nonce_of(database, who)
    for forged in ("p7", "g-elderly", "g-khong_co"):
        answer = texts(press_raw(chat, who, f"t:{nonce}:fix_field:{forged}"))
        assert "Tôi hiểu là:" in answer and "• Gia đình số: 6 hộ" in answer  # read back, unchanged
    assert figures(database) == []


def test_a_session_and_a_programme_are_saved_together(chat: ChatDriver, database: Database) -> None:
    sent = chat.say(user(chat, MEMBER), "hôm nay học VNeID 20 người, đại sứ số Minh kèm 5 người")
    choose(chat, MEMBER, sent, "Đúng")
    with database.session() as session:
        held = session.exec(select(TrainingSession)).one()
    assert figures(database) == [("dai_su_so", 5, "people", "Minh", held.id)]


def test_a_province_that_runs_none_sees_what_it_saw(database: Database, config: Config, clock: FixedClock) -> None:
    with database.session() as session:
        (thon_1,), _ = add_villages(session, SON_KIM_1, ["Thôn 1"], now=clock.now(), actor_id=None)
        add_member(session, MEMBER, "member", commune=SON_KIM_1, village=thon_1.id, name="Bác Hùng")
    chat = ChatDriver(ConversationEngine(database, config, clock, route), database)
    said = texts(chat.say(str(MEMBER), "hôm nay thôn 1 thêm 6 hộ gia đình số"))
    assert "Xin lỗi, tôi chưa hiểu tin nhắn này." in said and "chưa triển khai" not in said
    said = texts(chat.say(str(MEMBER), "học VNeID 23 người, 15 người cao tuổi"))
    assert "Trong đó" not in said


# Guided: /ghigiup offers the province's programmes after the help kinds ---------------------------------------


def nonce_of(database: Database, who: str) -> str:
    with database.session() as session:
        state = session.exec(select(ConversationState).where(ConversationState.user_id == who)).one()
        return str(state.data.get("nonce"))


def press_raw(chat: ChatDriver, who: str, payload: str) -> list[Sent]:
    """A payload pressed as is (a forged or copied button)."""
    return chat.send(
        Incoming(
            channel=chat.channel,
            update_id=f"forged-{next(_forged)}",
            user_id=who,
            chat_id=who,
            payload=payload,
            callback_id=f"cb{who}",
            message_id="1",
            message_text="…",
        )
    )


def test_guided_a_programme_figure_after_the_help_kinds(chat: ChatDriver, database: Database) -> None:
    who = user(chat, MEMBER)
    sent = chat.say(who, "/ghigiup")
    kinds = choose(chat, MEMBER, sent, "Hôm nay")
    assert "Hỗ trợ người dân việc gì?" in texts(kinds)
    listing = choose(chat, MEMBER, kinds, "Chương trình của tỉnh")
    labels = [b.label for b in last_with_buttons(listing).buttons]
    assert labels[:3] == ["Chợ số – Nông thôn số (4T)", "Đại sứ số", "Gia đình số"]  # only what the province runs
    assert "«Gia đình số»: bao nhiêu hộ? Bạn gõ một con số." in texts(choose(chat, MEMBER, listing, "Gia đình số"))
    assert "phần lẻ" in texts(chat.say(who, "6,5"))
    back = chat.say(who, "6")
    assert "• Gia đình số: 6 hộ" in texts(back)
    # more help after the programme, then saved together
    kinds = choose(chat, MEMBER, back, "Thêm việc hỗ trợ khác")
    asked = choose(chat, MEMBER, kinds, "Chữ ký số")
    assert "bao nhiêu người" in texts(asked)
    back = chat.say(who, "3")
    assert "• Chữ ký số: 3 người" in texts(back) and "• Gia đình số: 6 hộ" in texts(back)
    assert "✅ Đã lưu" in texts(choose(chat, MEMBER, back, "Đúng"))
    assert figures(database) == [("gia_dinh_so", 6, "households", None, None)]
    with database.session() as session:
        assert [(h.kind, h.count) for h in session.exec(select(HelpRecord))] == [("digital_signature", 3)]
        assert session.exec(select(ProgrammeRecord)).one().source == "guided"


def test_guided_old_and_forged_programme_buttons_change_nothing(chat: ChatDriver, database: Database) -> None:
    who = user(chat, MEMBER)
    kinds = choose(chat, MEMBER, chat.say(who, "/ghigiup"), "Hôm nay")
    listing = choose(chat, MEMBER, kinds, "Chương trình của tỉnh")
    choose(chat, MEMBER, listing, "Đại sứ số")  # now asked the count
    nonce = nonce_of(database, who)
    # a programme the province does not run, and one not in the catalog: refused, asked to choose again
    for forged in ("dang_vien_so", "khong_co"):
        answer = texts(press_raw(chat, who, f"h:{nonce}:programme:{forged}"))
        assert "Nút này đã cũ" in answer  # offered only at the programme question
    # the old kinds message's button, as pressed (on Zalo a typed number is an answer here, never an old button)
    listing = chat.press(who, last_with_buttons(kinds), "Chương trình của tỉnh")
    assert "Nút này đã cũ" in texts(listing)
    back_to_list = press_raw(chat, who, f"h:{nonce}:fix:")
    assert "Nút này đã cũ" in texts(back_to_list)
    # at the programme question itself, a forged id is refused by name, never saved
    chat.say(who, "/huy")
    kinds = choose(chat, MEMBER, chat.say(who, "/ghigiup"), "Hôm nay")
    choose(chat, MEMBER, kinds, "Chương trình của tỉnh")
    nonce = nonce_of(database, who)
    answer = texts(press_raw(chat, who, f"h:{nonce}:programme:dang_vien_so"))
    assert "Tỉnh mình chưa triển khai chương trình này" in answer
    assert figures(database) == []


def test_guided_offers_no_programme_where_the_province_runs_none(
    database: Database, config: Config, clock: FixedClock
) -> None:
    with database.session() as session:
        (thon_1,), _ = add_villages(session, SON_KIM_1, ["Thôn 1"], now=clock.now(), actor_id=None)
        add_member(session, MEMBER, "member", commune=SON_KIM_1, village=thon_1.id, name="Bác Hùng")
    chat = ChatDriver(ConversationEngine(database, config, clock, route), database)
    kinds = chat.press(str(MEMBER), last_with_buttons(chat.say(str(MEMBER), "/ghigiup")), "Hôm nay")
    assert not any("Chương trình" in b.label for b in last_with_buttons(kinds).buttons)


def test_guided_session_attendees_with_their_priority_groups(chat: ChatDriver, database: Database) -> None:
    who = user(chat, MEMBER)
    topics = choose(chat, MEMBER, chat.say(who, "/ghibuoi"), "Hôm nay")
    topics = choose(chat, MEMBER, topics, "VNeID")
    asked = choose(chat, MEMBER, topics, "Xong")
    assert "Có bao nhiêu người tham dự?" in texts(asked)
    assert "nhiều hơn 10 người dự buổi" in texts(chat.say(who, "10 người, 15 người cao tuổi"))  # never trimmed
    assert "số âm" in texts(chat.say(who, "23 người, -2 người khuyết tật"))
    back = chat.say(who, "23 người, 15 người cao tuổi")
    assert "👥 Số người tham dự: 23\n👥 Trong đó: 15 người cao tuổi" in texts(back)
    assert "✅ Đã lưu" in texts(choose(chat, MEMBER, back, "Đúng"))
    with database.session() as session:
        held = session.exec(select(TrainingSession)).one()
        assert (held.attendees, held.source) == (23, "guided")
        assert [(g.group, g.count) for g in session.exec(select(SessionPriorityGroup))] == [("elderly", 15)]


def test_one_line_asks_the_attendees_with_their_groups(chat: ChatDriver, database: Database) -> None:
    who = user(chat, MEMBER)
    assert "bao nhiêu người tham dự" in texts(chat.say(who, "tối qua thôn 1 học VNeID"))
    back = chat.say(who, "20 người, trong đó 6 người dân tộc thiểu số")
    assert "👥 Trong đó: 6 người dân tộc thiểu số" in texts(back)
    choose(chat, MEMBER, back, "Đúng")
    with database.session() as session:
        assert [(g.group, g.count) for g in session.exec(select(SessionPriorityGroup))] == [("ethnic_minority", 6)]


def test_the_read_back_in_english(chat: ChatDriver, database: Database) -> None:
    with database.session() as session:
        member = session.exec(select(Member).where(Member.display_name == "Bác Hùng")).one()
        member.locale = "en"
        session.add(member)
    said = texts(chat.say(user(chat, MEMBER), "đại sứ số Lan đã hướng dẫn xong 5 người, giúp 8 đảng viên cài VNeID"))
    assert "🏅 The province's programmes:\n• Digital ambassadors (mentor: Lan): 5 people" in said
    assert "Your province does not run «Party members go digital first» here yet" in said


def test_guided_a_mentor_s_name_or_none(chat: ChatDriver, database: Database) -> None:
    who = user(chat, MEMBER)
    kinds = choose(chat, MEMBER, chat.say(who, "/ghigiup"), "Hôm nay")
    listing = choose(chat, MEMBER, kinds, "Chương trình của tỉnh")
    choose(chat, MEMBER, listing, "Đại sứ số")
    asked = chat.say(who, "5")
    assert "Ai là người hướng dẫn (đại sứ số)?" in texts(asked)
    assert "không phải một tên người hướng dẫn" in texts(chat.say(who, "Lan 0912345678"))
    back = chat.say(who, "chị Lan")
    assert "• Đại sứ số (người hướng dẫn: chị Lan): 5 người" in texts(back)
    kinds = choose(chat, MEMBER, back, "Thêm số liệu chương trình")
    choose(chat, MEMBER, kinds, "Gia đình số")
    back = chat.say(who, "2")
    choose(chat, MEMBER, back, "Đúng")
    assert figures(database) == [
        ("dai_su_so", 5, "people", "chị Lan", None),
        ("gia_dinh_so", 2, "households", None, None),
    ]
    # without a name
    kinds = choose(chat, MEMBER, chat.say(who, "/ghigiup"), "Hôm nay")
    choose(chat, MEMBER, choose(chat, MEMBER, kinds, "Chương trình của tỉnh"), "Đại sứ số")
    back = choose(chat, MEMBER, chat.say(who, "3"), "Không ghi tên")
    assert "• Đại sứ số: 3 người" in texts(back)
