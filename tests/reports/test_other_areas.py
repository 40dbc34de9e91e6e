"""Questions and commands naming an area: answered for what the person may see, saying so, never swapped.

Also: a plain request for a chart sends the chart the «📈 Biểu đồ» button sends.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FixedClock
from bot.config import Config
from bot.engine import ConversationEngine
from handlers.router import route
from storage.areas import areas_named
from storage.db import Database
from tests.chat import ChatDriver, Sent, last_with_buttons
from tests.conftest import VN
from tests.reports.conftest import ADMIN, LEADER, MEMBER, OTHER_VIEWER, VIEWER, Month

ONLY_COMMUNE = "Bạn chỉ xem được số liệu của Xã Sơn Kim 1."
ONLY_VILLAGE = "Bạn chỉ xem được số liệu của Thôn 2."
ONLY_PROVINCE = "Bạn chỉ xem được số liệu của Tỉnh Hà Tĩnh."
OWN_SESSIONS = "Tháng 10/2026, Xã Sơn Kim 1 có 5 buổi sinh hoạt."


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 25/11/2026, 10:00 in Vietnam."""
    return FixedClock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN))


@pytest.fixture
def chat(database: Database, config: Config, clock: FixedClock, month: Month) -> ChatDriver:
    return ChatDriver(ConversationEngine(database, config, clock, route), database)


def texts(replies: list[Sent]) -> list[str]:
    return [r.text for r in replies]


def notice_then(replies: list[Sent], notice: str) -> str:
    """The notice comes first, alone; returns the answer after it."""
    assert len(replies) == 2, texts(replies)
    assert replies[0].text == notice
    return replies[1].text


def no_notice(replies: list[Sent]) -> str:
    """A single answer, with no word about another area."""
    assert len(replies) == 1, texts(replies)
    assert "chỉ xem được" not in replies[0].text and "không có «" not in replies[0].text
    return replies[0].text


@pytest.mark.parametrize(
    "question",
    [
        "Phường Thành Sen tháng 10 có bao nhiêu buổi?",
        "phuong thanh sen thang 10 co bao nhieu buoi",
        "xã Thành Sen tháng 10 có bao nhiêu buổi?",  # the wrong prefix still names the unit
        "thành sen thì sao, xã Thành Sen tháng 10 có bao nhiêu buổi",
        "xã Sơn Kim 2 tháng 10 có bao nhiêu buổi?",
        "xa son kim 2 thang 10 co bao nhieu buoi",
    ],
)
def test_commune_admin_asking_about_another_commune_of_the_province(chat: ChatDriver, question: str) -> None:
    answer = notice_then(chat.say(ADMIN, question), ONLY_COMMUNE)
    assert OWN_SESSIONS in answer and "Sơn Kim 2" not in answer and "Thành Sen" not in answer


def test_commune_admin_asking_about_another_province_or_its_communes(chat: ChatDriver) -> None:
    answer = notice_then(chat.say(ADMIN, "Phường Hoàn Kiếm tháng 10 có bao nhiêu buổi?"), ONLY_COMMUNE)
    assert OWN_SESSIONS in answer
    answer = notice_then(chat.say(ADMIN, "tỉnh Hà Nội đạt bao nhiêu phần trăm vneid?"), ONLY_COMMUNE)
    assert "Xã Sơn Kim 1" in answer and "24,7% (1.234/5.000)" in answer
    answer = notice_then(chat.say(ADMIN, "Hà Nội tháng 10 có bao nhiêu buổi?"), ONLY_COMMUNE)
    assert OWN_SESSIONS in answer
    # the own province is no better: a commune admin sees the commune
    answer = notice_then(chat.say(LEADER, "tỉnh Hà Tĩnh tháng 10 có bao nhiêu buổi?"), ONLY_COMMUNE)
    assert OWN_SESSIONS in answer
    # naming their own commune changes nothing
    assert OWN_SESSIONS in no_notice(chat.say(ADMIN, "xã Sơn Kim 1 tháng 10 có bao nhiêu buổi?"))
    assert "24,7% (1.234/5.000)" in no_notice(
        chat.say(ADMIN, "tỉnh Hà Tĩnh, xã Sơn Kim 1 tháng 10 đạt bao nhiêu phần trăm vneid?")
    )


def test_commune_admin_asking_about_villages(chat: ChatDriver) -> None:
    # Thôn Trung is a village of Sơn Kim 2
    answer = notice_then(chat.say(ADMIN, "Thôn Trung tháng 10 có bao nhiêu buổi?"), ONLY_COMMUNE)
    assert OWN_SESSIONS in answer and "Trung" not in answer
    # a village nobody has
    answer = notice_then(
        chat.say(ADMIN, "thôn 9 tháng 10 có bao nhiêu buổi?"), "Xã Sơn Kim 1 không có «Thôn 9» trong danh sách thôn."
    )
    assert OWN_SESSIONS in answer
    # a village of their own commune: that village, for every kind of question
    assert "Tháng 10/2026, Thôn 1 có 4 buổi sinh hoạt." in no_notice(
        chat.say(LEADER, "thôn 1 tháng 10 có bao nhiêu buổi?")
    )
    assert "Thôn 1 có 57 lượt người tham dự" in no_notice(chat.say(ADMIN, "thon 1 thang 10 bao nhieu nguoi"))
    assert "Thôn 3 chưa có buổi sinh hoạt nào tuần" in no_notice(chat.say(ADMIN, "thôn 3 đã có buổi chưa tuần này?"))
    text = no_notice(chat.say(LEADER, "tiến độ thôn 1 tháng 10 thế nào?"))
    assert "Thôn 1, Xã Sơn Kim 1" in text and "4 buổi · 57 người dự" in text and "Thôn 2" not in text


def test_province_viewer_asking_about_another_province(chat: ChatDriver) -> None:
    answer = notice_then(chat.say(VIEWER, "Hà Nội tháng 10 có bao nhiêu buổi?"), ONLY_PROVINCE)
    assert "Tháng 10/2026, Tỉnh Hà Tĩnh có 7 buổi sinh hoạt." in answer
    answer = notice_then(chat.say(VIEWER, "tinh ha noi dat bao nhieu phan tram vneid"), ONLY_PROVINCE)
    assert "Tỉnh Hà Tĩnh" in answer and "1.734/6.000" in answer
    answer = notice_then(chat.say(VIEWER, "TP HCM tháng 10 có bao nhiêu buổi?"), ONLY_PROVINCE)
    assert "Tỉnh Hà Tĩnh" in answer
    answer = notice_then(chat.say(VIEWER, "Phường Hoàn Kiếm tháng 10 có bao nhiêu buổi?"), ONLY_PROVINCE)
    assert "Tỉnh Hà Tĩnh có 7 buổi" in answer
    # a viewer of another province asking about a commune of Hà Tĩnh sees nothing of it
    replies = chat.say(OTHER_VIEWER, "xã Sơn Kim 1 tháng 10 có bao nhiêu buổi?")
    answer = notice_then(replies, "Bạn chỉ xem được số liệu của Thành phố Hồ Chí Minh.")
    assert "Sơn Kim" not in answer and "có 0 buổi" in answer
    assert "Sơn Kim" not in " ".join(texts(chat.say(OTHER_VIEWER, "Thôn Trung tháng 10 có bao nhiêu buổi?")))


def test_province_viewer_asking_about_a_commune_of_the_province(chat: ChatDriver) -> None:
    assert "Tháng 10/2026, Xã Sơn Kim 2 có 2 buổi sinh hoạt." in no_notice(
        chat.say(VIEWER, "xã Sơn Kim 2 tháng 10 có bao nhiêu buổi?")
    )
    assert "Tháng 10/2026, Xã Sơn Kim 1 có 87 lượt người tham dự" in no_notice(
        chat.say(VIEWER, "xa son kim 1 thang 10 bao nhieu nguoi")
    )
    text = no_notice(chat.say(VIEWER, "xã Sơn Kim 1 tháng 10 đạt bao nhiêu phần trăm vneid?"))
    assert text.startswith("Xã Sơn Kim 1") and "24,7% (1.234/5.000)" in text
    text = no_notice(chat.say(VIEWER, "xã Sơn Kim 1 tháng 10 đã nộp báo cáo chưa?"))
    assert text.startswith("Xã Sơn Kim 1: 📝 Báo cáo tháng 10/2026 chưa nộp; hạn nộp 20/11/2026.")
    assert "/baocao" not in text
    text = no_notice(chat.say(VIEWER, "tiến độ xã Sơn Kim 1 tháng 10 thế nào?"))
    assert "Tiến độ tháng 10/2026" in text and "Xã Sơn Kim 1" in text and "• Thôn 1: 4 · 57" in text
    # a village named alone, found in one commune of the province
    assert "Tháng 10/2026, Thôn Trung có 2 buổi sinh hoạt." in no_notice(
        chat.say(VIEWER, "Thôn Trung tháng 10 có bao nhiêu buổi?")
    )
    # a name several communes share: ask for the commune, answer for the province
    replies = chat.say(VIEWER, "thôn 1 tháng 10 có bao nhiêu buổi?")
    assert "Thôn 1 có 4 buổi" in no_notice(replies)  # only Sơn Kim 1 has a Thôn 1 here
    # the own province named: unchanged
    assert "Tỉnh Hà Tĩnh có 7 buổi" in no_notice(chat.say(VIEWER, "tỉnh Hà Tĩnh tháng 10 có bao nhiêu buổi?"))


def test_member_asking_about_another_village_or_the_commune(chat: ChatDriver) -> None:
    own = "Tháng 10/2026, Thôn 2 có 1 buổi sinh hoạt."
    assert own in notice_then(chat.say(MEMBER, "thôn 1 tháng 10 có bao nhiêu buổi?"), ONLY_VILLAGE)
    assert own in notice_then(chat.say(MEMBER, "Thôn Trung tháng 10 có bao nhiêu buổi?"), ONLY_VILLAGE)
    assert own in notice_then(chat.say(MEMBER, "xã Sơn Kim 1 tháng 10 có bao nhiêu buổi?"), ONLY_VILLAGE)
    assert own in notice_then(chat.say(MEMBER, "phường Thành Sen tháng 10 có bao nhiêu buổi?"), ONLY_VILLAGE)
    assert own in no_notice(chat.say(MEMBER, "thôn 2 tháng 10 có bao nhiêu buổi?"))
    assert own in no_notice(chat.say(MEMBER, "thôn 2 xã Sơn Kim 1 tháng 10 có bao nhiêu buổi?"))


@pytest.mark.parametrize(
    ("user", "question"),
    [
        (ADMIN, "xã mình đạt bao nhiêu phần trăm vneid?"),
        (ADMIN, "xa minh dat bao nhieu phan tram vneid"),
        (ADMIN, "thôn nào chưa có buổi học tuần này?"),
        (ADMIN, "thon nao chua co buoi hoc tuan nay"),
        (ADMIN, "tháng này bao nhiêu người được hỗ trợ?"),
        (ADMIN, "xã ta tháng này có bao nhiêu buổi?"),
        (ADMIN, "xa ta hoc duoc bao nhieu nguoi thang nay"),
        (LEADER, "tình hình xã mình tháng này ra sao?"),
        (MEMBER, "thôn mình tháng này có bao nhiêu buổi?"),
        (VIEWER, "tỉnh mình đạt bao nhiêu phần trăm vneid?"),
        (VIEWER, "tinh minh dat bao nhieu phan tram vneid"),
        (VIEWER, "xã nào chưa nộp báo cáo?"),
        (VIEWER, "tỉnh đạt bao nhiêu phần trăm vneid?"),
    ],
)
def test_ordinary_words_are_not_areas(chat: ChatDriver, user: int, question: str) -> None:
    no_notice(chat.say(user, question))


def test_area_names_found_in_text(database: Database) -> None:
    def names(text: str) -> list[str]:
        with database.session() as session:
            return sorted({a.name for a in areas_named(session, text)})

    assert names("phuong thanh sen co bao nhieu buoi") == ["Phường Thành Sen"]
    assert names("TP. Hồ Chí Minh") == ["Thành phố Hồ Chí Minh"]
    assert names("Sài Gòn") == ["Thành phố Hồ Chí Minh"]
    assert names("đặc khu Côn Đảo") == ["Đặc khu Côn Đảo"]
    assert names("xã Cư M'gar") == ["Xã Cư M’gar"]
    assert names("xã Sơn Tây") == ["Phường Sơn Tây", "Xã Sơn Tây"]  # every unit of that name; the scope picks
    assert names("phuong nha trang") == ["Phường Nha Trang"]
    assert names("xa do luong") == ["Xã Đô Lương"]
    assert "Xã Minh Tân" in names("xa minh tan co bao nhieu buoi")
    for ordinary in (
        "xã mình",
        "xã nào",
        "tỉnh nào",
        "tỉnh mình",
        "xã sơn kim",
        "tình hình",
        "tinh hinh",
        "xã ta học",
        "xa ta hoc",
        "thôn nào",
        "tháng này",
        "Huế quá",
        "hôm nay trời có mưa không",
    ):
        assert names(ordinary) == [], ordinary


def test_commands_naming_an_area(chat: ChatDriver) -> None:
    text = notice_then(chat.say(ADMIN, "/tiendo xã Thành Sen"), ONLY_COMMUNE)
    assert "Tiến độ tháng 11/2026" in text and "Xã Sơn Kim 1" in text
    text = notice_then(chat.say(ADMIN, "/baocao phường thành sen"), ONLY_COMMUNE)
    assert "Báo cáo tháng 10/2026 — Xã Sơn Kim 1" in text
    text = notice_then(chat.say(VIEWER, "/tinh Hà Nội"), ONLY_PROVINCE)
    assert "Tỉnh Hà Tĩnh — báo cáo tháng 10/2026" in text
    text = notice_then(chat.say(MEMBER, "/tiendo thôn 1"), ONLY_VILLAGE)
    assert "Thôn 2, Xã Sơn Kim 1" in text
    assert "Bạn gõ /tiendo, /tiendo tuần" in chat.say(ADMIN, "/tiendo mấy hôm nay")[-1].text
    # a village of one's commune, and a commune of one's province
    view = chat.say(LEADER, "/tiendo quý thôn 1")
    assert "quý 4/2026" in no_notice(view) and "Thôn 1, Xã Sơn Kim 1" in view[-1].text
    week = chat.press(LEADER, last_with_buttons(view), "Tuần")[-1]
    assert "Tiến độ tuần" in week.text and "Thôn 1, Xã Sơn Kim 1" in week.text
    picture = chat.press(LEADER, week, "Biểu đồ")[-1]
    assert picture.payload["file_kind"] == "photo" and picture.text.startswith("Thôn 1 — tuần")
    view = chat.say(VIEWER, "/tinh xã Sơn Kim 2")
    assert "Tiến độ tháng 10/2026" in no_notice(view) and "Xã Sơn Kim 2" in view[-1].text
    assert "Thôn Trung: 2 · 30" in view[-1].text


@pytest.mark.parametrize(
    ("user", "request_", "caption"),
    [
        (ADMIN, "cho xem biểu đồ tháng này", "Xã Sơn Kim 1 — tháng 11/2026"),
        (ADMIN, "bieu do tien do", "Xã Sơn Kim 1 — tháng 11/2026"),
        (LEADER, "gửi biểu đồ", "Xã Sơn Kim 1 — tháng 11/2026"),
        (LEADER, "xem biểu đồ tuần này", "Xã Sơn Kim 1 — tuần 23/11 – 29/11/2026"),
        (ADMIN, "biểu đồ quý này", "Xã Sơn Kim 1 — quý 4/2026"),
        (ADMIN, "biểu đồ tháng 10", "Xã Sơn Kim 1 — tháng 10/2026"),
        (MEMBER, "cho xem biểu đồ tháng này", "Thôn 2 — tháng 11/2026"),
        (ADMIN, "biểu đồ thôn 1 tháng 10", "Thôn 1 — tháng 10/2026"),
        (VIEWER, "gửi biểu đồ", "Tỉnh Hà Tĩnh — tháng 10/2026"),
        (VIEWER, "biểu đồ xã Sơn Kim 2 tháng 10", "Xã Sơn Kim 2 — tháng 10/2026"),
    ],
)
def test_chart_on_request(chat: ChatDriver, user: int, request_: str, caption: str) -> None:
    picture = chat.say(user, request_)[-1]
    assert picture.payload["file_kind"] == "photo" and picture.text == caption


def test_chart_of_another_area_says_so(chat: ChatDriver) -> None:
    replies = chat.say(ADMIN, "biểu đồ xã Sơn Kim 2 tháng 10")
    assert replies[0].text == ONLY_COMMUNE
    assert replies[-1].payload["file_kind"] == "photo" and replies[-1].text == "Xã Sơn Kim 1 — tháng 10/2026"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                "xã",
                "xa",
                "phường",
                "tỉnh",
                "tp",
                "thành phố",
                "đặc khu",
                "Sơn",
                "Kim",
                "1",
                "Hà",
                "Nội",
                "mình",
                "nào",
                "’",
                "-",
                "\u200b",
                "ﷺ",
                "Thành",
                "Sen",
                "hcm",
                "_",
                "Xã",
            ]
        ),
        max_size=60,
    ).map(" ".join)
)
def test_area_names_never_raise(database: Database, text: str) -> None:
    with database.session() as session:
        for area in areas_named(session, text):
            assert area.kind in ("province", "commune") and area.name


def test_a_long_text_full_of_prefixes(database: Database) -> None:
    with database.session() as session:
        found = areas_named(session, "xã Sơn Kim 2 " * 3000 + "tỉnh Hà Nội")
    assert {a.name for a in found} == {"Xã Sơn Kim 2", "Thành phố Hà Nội"}
