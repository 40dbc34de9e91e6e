"""Logging by one line of plain Vietnamese, through the real engine and parser."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage.activity import export_commune
from storage.db import Database
from storage.models import TrainingSession
from tests.chat import ChatDriver, last_with_buttons
from tests.handlers.test_flows import ADMIN, MEMBER, SON_KIM_1, setup_commune


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    chat = ChatDriver(ConversationEngine(database, config, clock, route), database)
    setup_commune(chat, database, clock)
    return chat


def saved(database: Database) -> dict:
    with database.session() as session:
        return export_commune(session, SON_KIM_1)


def test_one_line_is_read_back_and_saved_only_on_yes(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(MEMBER, "toi qua hoc cai VNeID 23 nguoi, giup 10 nguoi kich hoat muc 2 va 5 nguoi nop ho so DVC")
    text = replies[-1].text
    assert "Tôi hiểu là" in text and "24/11/2026" in text and "Thôn 2" in text
    assert "Ứng dụng VNeID — 23 người tham dự" in text
    assert "Kích hoạt định danh điện tử mức 2: 10 người" in text and "dịch vụ công trực tuyến: 5 người" in text
    assert saved(database) == {"sessions": [], "help_records": []}
    replies = chat.press(MEMBER, replies[-1], "Đúng")
    assert "Đã lưu" in replies[-1].text
    data = saved(database)
    assert [(s["date"], s["village"], s["topics"], s["attendees"], s["source"]) for s in data["sessions"]] == [
        ("2026-11-24", "Thôn 2", ["vneid"], 23, "text")
    ]
    assert [(h["kind"], h["count"]) for h in data["help_records"]] == [
        ("vneid_level2", 10),
        ("public_service_filing", 5),
    ]


def test_fix_one_field_without_starting_over(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(MEMBER, "hôm nay thôn 2 học dịch vụ công 15 người")
    replies = chat.press(MEMBER, replies[-1], "Sửa")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Số người dự")
    replies = chat.say(MEMBER, "mười tám")
    assert "18 người tham dự" in replies[-1].text and "Dịch vụ công trực tuyến" in replies[-1].text
    chat.press(MEMBER, replies[-1], "Đúng")
    assert [s["attendees"] for s in saved(database)["sessions"]] == [18]


def test_missing_parts_are_asked_not_guessed(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(ADMIN, "hom qua hoc VNeID 20 nguoi")  # an admin must say which village
    assert "thôn nào" in replies[-1].text
    replies = chat.press(ADMIN, last_with_buttons(replies), "Thôn 1")
    assert "Thôn 1" in replies[-1].text and "20 người tham dự" in replies[-1].text
    replies = chat.say(MEMBER, "hôm nay có buổi sinh hoạt 12 người")  # no topic named
    assert "nội dung" in replies[-1].text


def test_not_understood_gives_examples_and_the_guided_button(chat: ChatDriver) -> None:
    replies = chat.say(MEMBER, "xin chào bot")
    assert "chưa hiểu" in replies[-1].text and "Ví dụ" in replies[-1].text
    assert any("Ghi buổi sinh hoạt" in b.label for b in replies[-1].buttons)


def test_future_date_in_a_line_is_refused_then_asked(chat: ChatDriver) -> None:
    replies = chat.say(MEMBER, "ngày 28/11/2026 học VNeID 10 người")
    assert any("chưa tới" in r.text for r in replies) and "ngày nào" in replies[-1].text


def test_photo_with_a_caption_is_attached(chat: ChatDriver, database: Database) -> None:
    replies = chat.photo(MEMBER, "sheet-1", caption="hôm nay học chống lừa đảo 30 người")
    assert "Kèm 1 ảnh" in replies[-1].text
    chat.press(MEMBER, replies[-1], "Đúng")
    with database.session() as session:
        row = session.exec(select(TrainingSession)).one()
    assert row.topics == ["online_safety"] and [e["file_id"] for e in row.evidence] == ["sheet-1"]


def test_a_question_is_answered(chat: ChatDriver) -> None:
    replies = chat.say(ADMIN, "thôn nào chưa có buổi học tuần này?")
    assert "Chưa có buổi sinh hoạt" in replies[-1].text


def test_several_sessions_in_one_line_are_asked_about_never_logged_as_one(chat: ChatDriver, database: Database) -> None:
    for line in ("3 buổi 20 người", "tuần này thôn 2 tổ chức 3 buổi học VNeID 20 người", "2 lớp học VNeID 30 người"):
        text = chat.say(MEMBER, line)[-1].text
        assert "ghi nhiều buổi sinh hoạt cùng lúc" in text and "chưa lưu gì" in text, line
        assert "Bạn gửi từng buổi một được không ạ?" in text and "Tôi hiểu là" not in text
    assert saved(database) == {"sessions": [], "help_records": []}
    # one session named as one is read as always
    assert "Tôi hiểu là" in chat.say(MEMBER, "hôm nay 1 buổi học VNeID 20 người")[-1].text
