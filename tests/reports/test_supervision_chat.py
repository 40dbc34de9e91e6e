"""Supervision in chat through the real engine: /kiemtra (and its alias and plain question) and /bieuduong by
role; a team member is refused politely."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage.db import Database
from tests.chat import ChatDriver
from tests.conftest import VN
from tests.reports.conftest import ADMIN_2, LEADER, MEMBER, OTHER_LEADER, VIEWER, Month
from tests.web.test_supervision import d, enter


@pytest.fixture
def clock() -> FixedClock:
    """Thursday 19/11/2026, 09:30 in Vietnam."""
    return FixedClock(dt.datetime(2026, 11, 19, 9, 30, tzinfo=VN))


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock, month: Month) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def test_a_commune_leader_reads_the_months_flags_and_honour_roll(
    chat: ChatDriver, database: Database, month: Month
) -> None:
    enter(database, month, MEMBER, "Thôn 1", d(5), 50, d(5))
    enter(database, month, MEMBER, "Thôn 2", d(2), 10, d(10))
    text = chat.say(LEADER, "/kiemtra")[-1].text
    assert text.startswith("🔎 Mục nên xem lại – Xã Sơn Kim 1, tháng 11/2026")
    assert "không phải kết luận sai phạm" in text
    assert "• Thôn 1, ngày 05/11/2026: 50 người dự, hơn 3 lần mức thường của thôn" in text
    assert "• Thôn 2, ngày 02/11/2026: ghi sau 8 ngày (ngày ghi 10/11/2026). Người ghi: Bác Hùng." in text
    # November so far: the weeks of 26/10 … 16/11 (four); Thôn 2 held sessions in two of them.
    assert "🏅 Biểu dương – các thôn sinh hoạt đều đặn nhất:\n1. Thôn 2: 2/4 tuần có buổi sinh hoạt" in text
    assert chat.say(LEADER, "/giamsat")[-1].text == text
    assert chat.say(LEADER, "có gì cần kiểm tra không?")[-1].text == text
    other = chat.say(OTHER_LEADER, "/kiemtra")[-1].text  # Sơn Kim 2: nothing this month, its own commune only
    assert "Xã Sơn Kim 2" in other and "Không có mục nào cần xem lại" in other and "Thôn 1" not in other


def test_a_province_viewer_reads_the_counts_per_commune(chat: ChatDriver, database: Database, month: Month) -> None:
    enter(database, month, MEMBER, "Thôn 2", d(2), 10, d(10))
    enter(database, month, ADMIN_2, "Thôn Trung", d(3), 10, d(12))
    text = chat.say(VIEWER, "/kiemtra")[-1].text
    assert "• Xã Sơn Kim 1: ghi muộn (1)" in text and "• Xã Sơn Kim 2: ghi muộn (1)" in text
    assert "Bác Hùng" not in text  # counts only at the province
    honour = chat.say(VIEWER, "/bieuduong")[-1].text
    # Sơn Kim 2: its one village had a session in 1 of 4 weeks; Sơn Kim 1: 2 village-weeks of 12.
    assert honour.startswith("🏅 Biểu dương – các xã sinh hoạt đều đặn nhất:\n1. Xã Sơn Kim 2: 25% số tuần")
    assert "\n2. Xã Sơn Kim 1: " in honour


def test_a_team_member_is_refused_politely(chat: ChatDriver, month: Month) -> None:
    for command in ("/kiemtra", "/bieuduong", "/giamsat"):
        text = chat.say(MEMBER, command)[-1].text
        assert text.startswith("Việc này không thuộc vai trò của bạn")
