"""The programmes and own indicators in chat: /tiendo of a commune and of a village, /tinh, and the plain
questions, against the figures of `programmes_script.py` worked out by hand for November (today 25/11/2026)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage.db import Database
from tests.chat import ChatDriver, last_with_buttons
from tests.conftest import VN
from tests.reports.conftest import ADMIN, MEMBER, VIEWER, Month
from tests.reports.programmes_script import add_programmes


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 25/11/2026, 10:00 in Vietnam."""
    return FixedClock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN))


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock, month: Month) -> ChatDriver:
    add_programmes(database, month)
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def test_progress_shows_a_line_per_programme(chat: ChatDriver) -> None:
    text = chat.say(ADMIN, "/tiendo")[-1].text
    assert "🗂️ Chương trình của tỉnh (tháng 11/2026):" in text
    # November: Thôn 1 7 more households; Hoa guided 6 on 02/11 (2 of 3 mentors reached 5)
    assert "🔴 Gia đình số: 72 hộ từ đầu năm (tháng này 7) · 22,3% (67/300 hộ) · chỉ tiêu 100% · chậm tiến độ" in text
    assert "🔴 Đại sứ số: 2/3 đại sứ số đủ 5 người được hướng dẫn · chỉ tiêu 10 đại sứ số · chậm tiến độ" in text
    assert "Chợ số – Nông thôn số (4T): 34 tiểu thương, nông dân từ đầu năm (tháng này 0)" in text
    assert "⚪ Mỗi công dân – Một định danh số: chưa có số liệu" in text
    assert "• Điểm wifi công cộng: tháng này chưa nhập · từ đầu năm 7 điểm · chỉ tiêu 24 · chậm tiến độ" in text
    own = chat.say(MEMBER, "/tiendo")[-1].text  # Thôn 2 only, and no commune figures
    assert "🔴 Gia đình số: 10 hộ từ đầu năm (tháng này 0) · 10% (10/100 hộ)" in own
    assert "Điểm wifi" not in own


def test_province_shows_the_programmes_summed(chat: ChatDriver) -> None:
    text = chat.say(VIEWER, "/tinh")[-1].text  # October
    assert "🗂️ Chương trình của tỉnh (tháng 10/2026):" in text
    assert "🔴 Gia đình số: 75 hộ từ đầu năm (tháng này 55) · 20% (70/350 hộ) · chỉ tiêu 100% · chậm tiến độ" in text
    assert "🟢 Chợ số – Nông thôn số (4T): 34 tiểu thương, nông dân từ đầu năm (tháng này 22)" in text
    assert "🔴 Định danh điện tử mức 2 (VNeID) báo cáo riêng: 60% (3.000/5.000) · chỉ tiêu 80% · chậm tiến độ" in text
    assert "• Điểm wifi công cộng: tháng này 6 điểm · từ đầu năm 9 · chỉ tiêu 24 · chậm tiến độ" in text


def test_english(chat: ChatDriver) -> None:
    chat.press(ADMIN, last_with_buttons(chat.say(ADMIN, "/lang")), "English")
    text = chat.say(ADMIN, "/tiendo")[-1].text
    assert "Digital family" in text
