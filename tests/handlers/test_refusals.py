"""What the bot could not read it says and asks again, never guesses; a whole report typed mid-flow is read anew.

Through the real engine, parser and database (SQLite; PostgreSQL too when configured). The clock is
Wednesday 25/11/2026.
"""

from __future__ import annotations

import pytest

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage.activity import export_commune
from storage.db import Database
from tests.chat import ChatDriver, Sent, last_with_buttons
from tests.handlers.test_flows import MEMBER, SON_KIM_1, setup_commune

TODAY = "25/11/2026"


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock) -> ChatDriver:
    chat = ChatDriver(ConversationEngine(database, config, clock, route), database)
    setup_commune(chat, database, clock)
    return chat


def saved(database: Database) -> dict:
    with database.session() as session:
        return export_commune(session, SON_KIM_1)


def nothing_saved(database: Database) -> bool:
    return saved(database) == {"sessions": [], "help_records": []}


def texts(replies: list[Sent]) -> str:
    return "\n".join(r.text for r in replies)


# --- one-line reports -------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["ngày 30/02", "31/04", "ngày 31 tháng 4", "ngày 32/1", "15/13"])
def test_an_impossible_day_is_asked_for_never_today(chat: ChatDriver, database: Database, day: str) -> None:
    replies = chat.say(MEMBER, f"{day} thôn 2 học vneid 11 người")
    said = texts(replies)
    assert "không có trên lịch" in said and day in said
    assert "ngày nào" in replies[-1].text and "Tôi hiểu là" not in said and TODAY not in said
    assert nothing_saved(database)
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm qua")
    assert "Tôi hiểu là" in replies[-1].text and "24/11/2026" in replies[-1].text and "11 người" in replies[-1].text
    assert nothing_saved(database)
    chat.press(MEMBER, replies[-1], "Đúng")
    assert [(s["date"], s["attendees"]) for s in saved(database)["sessions"]] == [("2026-11-24", 11)]


def test_two_different_days_in_one_line_are_asked_for_never_the_first(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(MEMBER, "ngày 20/11 và ngày 23/11 thôn 2 học vneid 11 người")
    said = texts(replies)
    assert "hai ngày khác nhau" in said and "ngày nào" in replies[-1].text and "Tôi hiểu là" not in said
    assert nothing_saved(database)
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm qua")
    assert "24/11/2026" in replies[-1].text and "11 người" in replies[-1].text
    # the same day twice is one day: «hôm qua (24/11)»
    assert "hai ngày" not in texts(chat.say(MEMBER, "hôm qua 24/11 thôn 2 học vneid 12 người"))


def test_a_dashed_range_of_sessions_is_not_a_day(chat: ChatDriver, database: Database) -> None:
    said = texts(chat.say(MEMBER, "hôm qua thôn 2 tổ chức 2-3 buổi học vneid 15 người"))
    assert "24/11/2026" in said and "02/03" not in said and "không có trên lịch" not in said


def test_a_typed_day_after_an_impossible_one_is_checked_too(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(MEMBER, "ngày 30/02 học vneid 11 người")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Ngày khác")
    assert "không có trên lịch" in chat.say(MEMBER, "31/04")[-1].text
    replies = chat.say(MEMBER, "23/11")
    assert "Tôi hiểu là" in replies[-1].text and "23/11/2026" in replies[-1].text
    assert nothing_saved(database)


@pytest.mark.parametrize(
    ("line", "number", "why"),
    [
        ("hôm qua học VNeID -5 người", "-5", "số âm"),
        ("hôm qua học VNeID 3,5 người", "3,5", "số nguyên"),
        ("hôm qua học VNeID 3.5 người", "3.5", "số nguyên"),
        ("hôm qua học VNeID 1e18", "1e18", "chữ số thường"),
        ("hôm qua học VNeID 2E5 người", "2E5", "chữ số thường"),
        ("hôm qua học VNeID 15-20 người", "15-20", "số người cụ thể"),
        ("hôm qua học VNeID 15 đến 20 người", "15 đến 20", "số người cụ thể"),
    ],
)
def test_a_refused_attendee_count_is_named_and_asked_again(
    chat: ChatDriver, database: Database, line: str, number: str, why: str
) -> None:
    replies = chat.say(MEMBER, line)
    said = texts(replies)
    assert f"«{number}»" in said and why in said
    assert "bao nhiêu người tham dự" in replies[-1].text and "Tôi hiểu là" not in said
    replies = chat.say(MEMBER, "12")
    assert "Tôi hiểu là" in replies[-1].text and "12 người tham dự" in replies[-1].text
    assert nothing_saved(database)
    chat.press(MEMBER, replies[-1], "Đúng")
    assert [s["attendees"] for s in saved(database)["sessions"]] == [12]


def test_a_refused_help_count_is_asked_for_its_kind(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(MEMBER, "hôm qua học VNeID 20 người, giúp -3 người kích hoạt mức 2")
    assert "«-3»" in texts(replies) and "số âm" in texts(replies)
    assert "mức 2" in replies[-1].text and "bao nhiêu người được hỗ trợ" in replies[-1].text
    replies = chat.say(MEMBER, "3,5")
    assert "số nguyên" in replies[-1].text and "Bạn gõ lại số người được hỗ trợ nhé." in replies[-1].text
    replies = chat.say(MEMBER, "4")
    assert "mức 2: 4 người" in replies[-1].text and "20 người tham dự" in replies[-1].text
    assert nothing_saved(database)
    chat.press(MEMBER, replies[-1], "Đúng")
    data = saved(database)
    assert [s["attendees"] for s in data["sessions"]] == [20]
    assert [(h["kind"], h["count"]) for h in data["help_records"]] == [("vneid_level2", 4)]


def test_a_lone_refused_number_is_named(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(MEMBER, "-5 người")
    assert "«-5»" in replies[-1].text and "chưa hiểu" in replies[-1].text
    assert nothing_saved(database)


def test_a_dash_between_words_is_not_a_minus(chat: ChatDriver) -> None:
    replies = chat.say(MEMBER, "hôm qua học VNeID - 20 người")
    assert "20 người tham dự" in replies[-1].text and "số âm" not in texts(replies)


# --- guided flows -----------------------------------------------------------------------------


def _to_attendees(chat: ChatDriver) -> None:
    replies = chat.say(MEMBER, "/ghibuoi")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm qua")
    replies = chat.press(MEMBER, last_with_buttons(replies), "VNeID")
    replies = chat.press(MEMBER, replies[0], "Xong")
    assert "bao nhiêu người tham dự" in replies[-1].text


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("-5", "số âm"),
        ("3,5", "số nguyên"),
        ("3.5", "số nguyên"),
        ("1e3", "chữ số thường"),
        ("0", "từ 1 trở lên"),
        ("-5 người", "số âm"),
        ("15-20", "số người cụ thể"),
    ],
)
def test_guided_attendees_refuses_and_asks_for_attendees(
    chat: ChatDriver, database: Database, typed: str, why: str
) -> None:
    _to_attendees(chat)
    replies = chat.say(MEMBER, typed)
    assert len(replies) == 1 and why in replies[0].text
    assert "Bạn gõ lại số người tham dự nhé." in replies[0].text and "người giúp" not in replies[0].text
    replies = chat.say(MEMBER, "17")
    assert "17" in replies[-1].text and "Thông tin đã đúng chưa?" in replies[-1].text
    assert nothing_saved(database)


@pytest.mark.parametrize(
    ("typed", "why"), [("-2", "số âm"), ("2,5", "số nguyên"), ("1E2", "chữ số thường"), ("0", "từ 1 trở lên")]
)
def test_guided_help_count_refuses_and_asks_for_people_helped(
    chat: ChatDriver, database: Database, typed: str, why: str
) -> None:
    replies = chat.say(MEMBER, "/ghigiup")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Hôm nay")
    replies = chat.press(MEMBER, last_with_buttons(replies), "mức 2")
    replies = chat.say(MEMBER, typed)
    assert why in replies[0].text and "Bạn gõ lại số người được hỗ trợ nhé." in replies[0].text
    replies = chat.say(MEMBER, "6")
    assert "mức 2: 6 người" in replies[-1].text
    assert nothing_saved(database)


@pytest.mark.parametrize("typed", ["30/02", "31/04", "31/4/2026", "32/1", "ngày 31 tháng 4"])
def test_guided_impossible_day_is_refused_and_asked_again(chat: ChatDriver, typed: str) -> None:
    replies = chat.say(MEMBER, "/ghibuoi")
    replies = chat.press(MEMBER, last_with_buttons(replies), "Ngày khác")
    replies = chat.say(MEMBER, typed)
    assert "không có trên lịch" in replies[-1].text and "ngày/tháng" in replies[-1].text
    replies = chat.say(MEMBER, "20 / 11")  # spaces around the separator are fine
    assert "nội dung" in replies[-1].text


# --- a whole report typed in the middle of a flow -----------------------------------------------


def test_a_report_typed_mid_flow_sets_it_aside(chat: ChatDriver, database: Database) -> None:
    replies = chat.say(MEMBER, "/ghibuoi")
    old = chat.press(MEMBER, last_with_buttons(replies), "Hôm nay")
    replies = chat.say(MEMBER, "hôm qua thôn 2 học vneid 12 người")
    assert "bỏ phần đang ghi dở" in replies[0].text and "/huy" not in texts(replies)
    assert "Tôi hiểu là" in replies[-1].text and "24/11/2026" in replies[-1].text and "12 người" in replies[-1].text
    assert nothing_saved(database)
    stale = chat.press(MEMBER, last_with_buttons(old), "VNeID")  # the set-aside flow's buttons are dead
    assert "đã cũ" in stale[-1].text or "đã xong" in stale[-1].text
    chat.press(MEMBER, replies[-1], "Đúng")
    assert [(s["date"], s["attendees"]) for s in saved(database)["sessions"]] == [("2026-11-24", 12)]


def test_a_report_typed_at_a_waiting_read_back_replaces_it(chat: ChatDriver, database: Database) -> None:
    first = chat.say(MEMBER, "hôm nay học dịch vụ công 15 người")[-1]
    replies = chat.say(MEMBER, "hôm qua giúp 4 người kích hoạt mức 2")
    assert "bỏ phần đang ghi dở" in replies[0].text and "mức 2: 4 người" in replies[-1].text
    assert "đã xong hoặc đã huỷ" in texts(chat.press(MEMBER, first, "Đúng"))  # the replaced read-back saves nothing
    assert nothing_saved(database)
    chat.press(MEMBER, replies[-1], "Đúng")
    data = saved(database)
    assert data["sessions"] == [] and [(h["kind"], h["count"]) for h in data["help_records"]] == [("vneid_level2", 4)]


def test_a_report_with_a_refused_number_mid_flow_is_read_and_asked(chat: ChatDriver, database: Database) -> None:
    _to_attendees(chat)
    replies = chat.say(MEMBER, "hôm qua học dịch vụ công -5 người")
    assert "bỏ phần đang ghi dở" in replies[0].text and "«-5»" in texts(replies)
    assert "bao nhiêu người tham dự" in replies[-1].text
    assert nothing_saved(database)


@pytest.mark.parametrize("answer", ["17 người", "mười bảy"])
def test_a_plain_answer_is_not_mistaken_for_a_report(chat: ChatDriver, answer: str) -> None:
    _to_attendees(chat)
    replies = chat.say(MEMBER, answer)
    assert "bỏ phần đang ghi dở" not in texts(replies) and "Thông tin đã đúng chưa?" in replies[-1].text


def test_topic_words_at_a_choice_step_are_not_a_new_report(chat: ChatDriver) -> None:
    replies = chat.say(MEMBER, "/ghibuoi")
    chat.press(MEMBER, last_with_buttons(replies), "Hôm nay")
    replies = chat.say(MEMBER, "học vneid")
    assert "bỏ phần đang ghi dở" not in texts(replies) and "/huy" in replies[-1].text
