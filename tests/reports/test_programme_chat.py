"""The programmes and own indicators in chat: /tiendo of a commune and of a village, /tinh, and the plain
questions, against the figures of `programmes_script.py` worked out by hand for November (today 25/11/2026)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from bot.i18n import Translator
from bot.reports.charts import _figure
from bot.reports.programme_charts import _panel
from handlers.router import route
from storage.db import Database
from storage.programmes import monthly
from storage.progress import Scope
from storage.progress.programmes import commune_programmes
from tests.chat import ChatDriver, last_with_buttons
from tests.conftest import VN
from tests.reports.conftest import ADMIN, LEADER, MEMBER, OTHER_VIEWER, SON_KIM_1, VIEWER, Month
from tests.reports.programmes_script import add_programmes
from tests.reports.test_chat import stored


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


def test_plain_questions_about_programmes(chat: ChatDriver) -> None:
    for question in ("xã mình bao nhiêu hộ gia đình số?", "xa minh bao nhieu ho gia dinh so"):
        text = chat.say(ADMIN, question)[-1].text
        assert text.startswith("🗂️ Xã Sơn Kim 1, tháng 11/2026:")
        assert "Gia đình số: 72 hộ từ đầu năm (tháng này 7) · 22,3% (67/300 hộ)" in text
        assert "Đại sứ số" not in text
    for question in ("bao nhiêu đại sứ số đủ 5 người?", "bao nhieu dai su so du 5 nguoi"):
        text = chat.say(LEADER, question)[-1].text
        assert "🔴 Đại sứ số: 2/3 đại sứ số đủ 5 người được hướng dẫn · chỉ tiêu 10 đại sứ số" in text
    for question in ("tiểu thương 4T tháng này?", "tieu thuong 4t thang 10?"):
        text = chat.say(ADMIN, question)[-1].text
        assert "Chợ số – Nông thôn số (4T): 34 tiểu thương, nông dân từ đầu năm" in text
    assert "(tháng này 22)" in text and "tháng 10/2026" in text


def test_programme_questions_are_scoped(chat: ChatDriver) -> None:
    own = chat.say(MEMBER, "thôn mình bao nhiêu hộ gia đình số?")[-1].text  # a member of Thôn 2
    assert own.startswith("🗂️ Thôn 2, Xã Sơn Kim 1, tháng 11/2026:") and "10 hộ từ đầu năm" in own
    province = chat.say(VIEWER, "tỉnh bao nhiêu hộ gia đình số?")[-1].text  # October, being collected
    assert province.startswith("🗂️ Tỉnh Hà Tĩnh, tháng 10/2026:") and "75 hộ từ đầu năm" in province
    commune = chat.say(VIEWER, "xã Sơn Kim 2 bao nhiêu hộ gia đình số tháng 10?")[-1].text
    assert commune.startswith("🗂️ Xã Sơn Kim 2, tháng 10/2026:") and "10 hộ từ đầu năm (tháng này 10)" in commune
    outsider = chat.say(OTHER_VIEWER, "bao nhiêu hộ gia đình số?")[-1].text  # a province running nothing
    assert "Gia đình số" not in outsider and "Tôi chưa trả lời được câu này" in outsider


def test_the_chart_button_also_sends_the_programmes(chat: ChatDriver, database: Database) -> None:
    view = chat.say(ADMIN, "/tiendo")[-1]
    sent = chat.press(ADMIN, view, "Biểu đồ")
    pictures = [s for s in sent if s.payload.get("file_kind") == "photo"]
    assert len(pictures) == 2 and pictures[1].text.startswith("🗂️ Chương trình của tỉnh — ")
    for picture in pictures:
        image = Image.open(io.BytesIO(stored(database, picture).content))
        assert image.size[0] == 1080
    province = chat.press(VIEWER, chat.say(VIEWER, "/tinh")[-1], "Biểu đồ")
    assert sum(1 for s in province if s.payload.get("file_kind") == "photo") == 2


def test_month_labels_are_vietnamese(database: Database, chat: ChatDriver) -> None:

    months = [dt.date(2026, m, 1) for m in range(1, 11)]
    with database.session(readonly=True) as session:
        series = [commune_programmes(session, Scope.operator(), SON_KIM_1, m) for m in months]
    family = [next(i for i in items if i.id == "gia_dinh_so") for items in series]
    axes = _figure(3).add_subplot()
    _panel(axes, months, family, Translator("vi"))
    assert [t.get_text() for t in axes.get_xticklabels()] == [f"T{m}" for m in range(1, 11)]
    assert [round(p.get_height(), 2) for p in axes.patches][7:] == [0.0, 6.67, 20.0]  # August, 20/300, 60/300
    assert axes.get_title(loc="left").startswith("Gia đình số (%) — chỉ tiêu năm 100%")
    english = _figure(3).add_subplot()
    _panel(english, months, family, Translator("en"))
    assert [t.get_text() for t in english.get_xticklabels()][8:] == ["Sep", "Oct"]


def test_a_programme_entered_both_ways_shows_the_commune_s_figure_and_the_logged_sums(
    chat: ChatDriver, database: Database
) -> None:
    """Sơn Kim 1 types 30 traders for Chợ số 4T in November (its villages logged none in November, 34 in the
    year: 12 in August, 22 in October): November counts 30, the year 12 + 22 + 30 = 64; the province the same,
    from 1 commune."""
    before = chat.say(ADMIN, "/tiendo")[-1].text
    assert "các thôn ghi" not in before
    with database.session() as session:
        monthly.set_value(
            session, actor=None, commune_code=SON_KIM_1, month=dt.date(2026, 11, 1), programme_id="cho_so_4t",
            value=30, denominator=None, now=dt.datetime(2026, 11, 25, 3, tzinfo=dt.UTC),
        )  # fmt: skip
    text = chat.say(ADMIN, "/tiendo")[-1].text
    assert (
        "✅ Chợ số – Nông thôn số (4T): 64 tiểu thương, nông dân từ đầu năm (tháng này 30) · xã nhập tháng này 30; "
        "các thôn ghi: tháng này 0, từ đầu năm 34 · chỉ tiêu 40 tiểu thương, nông dân · đã đạt"
    ) in text
    province = chat.say(VIEWER, "/tinh tháng 11")[-1].text
    assert "64 tiểu thương, nông dân từ đầu năm (tháng này 30) · 1 xã nhập số tháng này: 30; các thôn ghi" in province
    with database.session(readonly=True) as session:
        series = [commune_programmes(session, Scope.operator(), SON_KIM_1, dt.date(2026, m, 1)) for m in range(1, 12)]
    four_t = [next(i for i in items if i.id == "cho_so_4t").figure for items in series]
    assert four_t == [0, 0, 0, 0, 0, 0, 0, 12, 12, 34, 64]  # what the chart's bars show, month by month
