"""The bot end to end, from outside: the real application against an independent fake Bot API.

The stories run twice, in polling mode and in webhook mode (the fake posts updates to our `/telegram/webhook`
with the secret); those that do not depend on how updates arrive run in polling mode only. People are played
on the fake's user side; what the bot saved is read back with `bdhvs export --commune 18196 --format json`,
as a checker would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from storage import reports
from storage.db import Database
from storage.models import ChannelAccount, Member
from tests.e2e.conftest import (
    ADMIN,
    ADMIN_COMMANDS,
    ADMIN_ONLY,
    BOT_USERNAME,
    LEAD,
    MEMBER,
    MEMBER_COMMANDS,
    SECRET,
    STRANGER,
    TODAY,
    VI_DEFAULT_MENU,
    Harness,
    Person,
    Step,
    buttons_of,
    check_menu,
    deep_link_code,
    labels,
    set_up_commune,
)

# For stories that do not depend on how updates arrive, one transport is enough (the suite stays fast).
POLLING_ONLY = pytest.mark.parametrize("mode", ["polling"])
SENDING = ("sendMessage", "sendPhoto", "sendDocument", "editMessageText", "answerCallbackQuery", "setMyCommands")


def sessions_of(export: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(s["date"], s["village"], s["topics"], s["attendees"], s["evidence"]) for s in export["sessions"]]


def help_of(export: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(h["date"], h["village"], h["kind"], h["count"]) for h in export["help_records"]]


def sent_calls(h: Harness) -> list[tuple[str, dict[str, Any]]]:
    return [(name, params) for name, params in h.fake.calls if name in SENDING]


async def log_session_by_buttons(person: Person, day: str, topics: list[str], attendees: str) -> Step:
    """/ghibuoi, a day button, topic toggles, «Xong», the count typed, the read-back confirmed."""
    step = await person.say("/ghibuoi", expect="Buổi học diễn ra ngày nào?")
    step = await person.press(step.with_buttons(), day, expect="nội dung nào")
    for topic in topics:
        step = await person.press(step.with_buttons(), topic)
    step = await person.press(step.with_buttons(), "Xong", expect="bao nhiêu người")
    step = await person.say(attendees, expect="Thông tin đã đúng chưa?")
    return await person.press(step.with_buttons(), "Đúng", expect="Đã lưu buổi sinh hoạt")


# -- joining, menus, invites ------------------------------------------------------------------------


async def test_invites_menus_and_joining(harness: Harness) -> None:
    fake = harness.fake
    # The deployer makes the first invite before the bot ever ran: the CLI asks the Bot API for the username.
    first = await harness.invite("commune_admin")
    assert first["link"] == f"https://t.me/{BOT_USERNAME}?start={first['code']}"
    await harness.start_app()

    # The command menu for people who have not joined: Vietnamese in the default scope (English beside it).
    default = fake.commands()
    check_menu(default, ["start", "help", "lang"], tuple(ADMIN_ONLY))
    assert all(entry in default for entry in VI_DEFAULT_MENU), default
    english = fake.commands(language_code="en")
    assert [c["command"] for c in english] == [c["command"] for c in default] and english != default
    if harness.mode == "webhook":
        assert fake.webhook_url == f"http://127.0.0.1:{harness.port}/telegram/webhook"
        assert not fake.calls_to("getUpdates")
    else:
        assert fake.webhook_url is None
        await fake.wait_for(lambda: fake.calls_to("getUpdates"), what="the bot to poll")

    # A stranger: asked for a code, a wrong code refused politely, logging refused.
    stranger = harness.person(STRANGER, "Anh Khách")
    await stranger.say("/start", expect="mã mời")
    await stranger.say("ZZZZ9999", expect="Mã mời này không đúng")
    await stranger.say("/ghibuoi", expect="tham gia")
    assert fake.menu(STRANGER) == default

    # The admin joins through the deep link of the CLI's invite.
    admin = harness.person(ADMIN, "Chị Lan")
    step = await admin.say(f"/start {deep_link_code(first['link'])}", expect="Chào mừng Chị Lan")
    assert "cán bộ xã phụ trách — Xã Sơn Kim 1" in step.text
    await harness.settle()
    admin_menu = fake.commands(scope_chat_id=ADMIN)
    check_menu(admin_menu, ADMIN_COMMANDS)
    assert {"command": "ghibuoi", "description": "Ghi buổi sinh hoạt của thôn"} in admin_menu
    assert {"command": "moi", "description": "Tạo mã mời thành viên"} in admin_menu
    # An admin invite is for one person only.
    await stranger.say(f"/start {first['code']}", expect="dùng hết số lượt")

    # Villages from the shell, then a team-lead invite for one of them; the lead types the code alone.
    code, out = await harness.cli("village", "add", "--commune", "18196", "Thôn 1", "Bản Nà Sang")
    assert code == 0 and "added: Thôn 1" in out and "added: Bản Nà Sang" in out
    lead_invite = await harness.invite("team_lead", "--village", "Bản Nà Sang")
    lead = harness.person(LEAD, "Anh Tuấn")
    step = await lead.say(lead_invite["code"].lower(), expect="Chào mừng Anh Tuấn")
    assert "tổ trưởng tổ CNSCĐ — Bản Nà Sang, Xã Sơn Kim 1" in step.text
    await lead.say(f"/start {lead_invite['code']}", expect="Bạn đã tham gia")
    await harness.settle()
    check_menu(fake.commands(scope_chat_id=LEAD), [*MEMBER_COMMANDS[:5], "moi", *MEMBER_COMMANDS[5:]], ("thon",))

    # The admin sees both villages and invites a commune leader by buttons (no village asked).
    step = await admin.say("/thon", expect="Các thôn của Xã Sơn Kim 1 (2)")
    assert "• Bản Nà Sang" in step.text
    step = await admin.say("/moi", expect="Tạo mã mời cho ai?")
    step = await admin.press(step.with_buttons(), "Lãnh đạo xã", expect="Mã mời:")
    assert "Vai trò: lãnh đạo xã" in step.text and f"https://t.me/{BOT_USERNAME}?start=" in step.text
    # A lead's /moi gives only their village's join link (no personal invites, no other village).
    step = await lead.say("/moi", expect="Mã cho cả thôn")
    assert [b["text"] for b in buttons_of(step.last)] == ["🏘️ Mã cho cả thôn", "❌ Huỷ"]


async def test_commune_set_up_in_chat(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    fake = harness.fake
    check_menu(fake.commands(scope_chat_id=MEMBER), MEMBER_COMMANDS, tuple(ADMIN_ONLY))
    check_menu(fake.commands(scope_chat_id=ADMIN), ADMIN_COMMANDS)
    # Every press of the admin was answered, and every pressed message closed with the choice shown.
    closed = [m for m in commune.admin.messages() if m["edited"]]
    assert closed and all("➡️" in m["text"] and not buttons_of(m) for m in closed)
    assert len(fake.callback_answers) == len(fake.calls_to("answerCallbackQuery")) == 4
    assert await harness.export() == {
        "commune": {"code": 18196, "name": "Xã Sơn Kim 1"},
        "sessions": [],
        "help_records": [],
    }


# -- logging by buttons -----------------------------------------------------------------------------


async def test_guided_logging_with_wrong_input(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    member = commune.member

    # A session: a typed day (future, unreadable, then right), no topic chosen, wrong counts.
    step = await member.say("/ghibuoi", expect="Buổi học diễn ra ngày nào?")
    assert labels(step.last)[:3] == ["Hôm nay (25/11)", "Hôm qua (24/11)", "📅 Ngày khác"]
    step = await member.press(step.last, "Ngày khác", expect="ngày/tháng")
    await member.say("26/11/2026", expect="chưa tới")
    await member.say("ngày mai", expect="chưa đọc được ngày")
    step = await member.say("22/11", expect="nội dung nào")
    topics = step.with_buttons()
    step = await member.press(topics, "Xong", closes=False)  # nothing chosen yet: a notice, the same question
    assert step.answer and step.answer.get("text") == "Bạn chọn ít nhất một nội dung."
    step = await member.press(topics, "VNeID")
    assert "✅ Ứng dụng VNeID" in labels(step.edited[0])  # the toggle shows on the same message
    step = await member.press(step.edited[0], "Dịch vụ công")
    step = await member.press(step.edited[0], "Xong", expect="bao nhiêu người")
    await member.say("abc", expect="chưa phải là một con số")
    await member.say("-3", expect="số âm")
    await member.say("5000", expect="quá lớn")
    step = await member.say("17 người", expect="Thông tin đã đúng chưa?")
    assert "22/11/2026" in step.text and "Thôn 2" in step.text and "17" in step.text
    assert (await harness.export())["sessions"] == []  # nothing before «Đúng»
    confirm = step.with_buttons()
    step = await member.press(confirm, "Đúng", expect="Đã lưu buổi sinh hoạt")
    assert step.answer and step.answer.get("text") == "Đã lưu"

    # People helped: two kinds, one count fixed before saving.
    step = await member.press(step.with_buttons(), "Ghi người được hỗ trợ", expect="ngày nào")
    step = await member.press(step.with_buttons(), "Hôm nay", expect="việc gì")
    step = await member.press(step.with_buttons(), "mức 2", expect="bao nhiêu người")
    await member.say("abc", expect="chưa phải là một con số")
    step = await member.say("5", expect="Bạn kiểm tra lại số người được hỗ trợ")
    step = await member.press(step.with_buttons(), "Thêm việc hỗ trợ khác", expect="việc gì")
    step = await member.press(step.with_buttons(), "Nộp hồ sơ", expect="bao nhiêu người")
    step = await member.say("30", expect="Nộp hồ sơ dịch vụ công trực tuyến: 30 người")
    step = await member.press(step.with_buttons(), "Sửa", expect="sửa mục nào")
    step = await member.press(step.with_buttons(), "Nộp hồ sơ", expect="bao nhiêu người")
    step = await member.say("3", expect="Nộp hồ sơ dịch vụ công trực tuyến: 3 người")
    step = await member.press(step.with_buttons(), "Đúng", expect="Đã lưu số người được hỗ trợ")

    # A flow cancelled with /huy saves nothing.
    step = await member.say("/ghigiup")
    step = await member.press(step.with_buttons(), "Hôm qua")
    await member.say("/huy", expect="Đã huỷ")

    # A double tap on an old «Đúng»: the button is stale, nothing saved twice.
    step = await member.press(confirm, "Đúng", closes=False, strict=False, expect="đã xong hoặc đã huỷ")

    # The week view counts what was saved.
    await member.say("/tuannay", expect="Buổi sinh hoạt: 0")  # 22/11 is last week's Sunday

    export = await harness.export()
    assert sessions_of(export) == [("2026-11-22", "Thôn 2", ["vneid", "public_services"], 17, 0)]
    assert help_of(export) == [
        ("2026-11-25", "Thôn 2", "vneid_level2", 5),
        ("2026-11-25", "Thôn 2", "public_service_filing", 3),
    ]


@POLLING_ONLY
async def test_admin_logs_for_a_village_by_buttons(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    admin = commune.admin
    step = await admin.say("/ghibuoi", expect="ngày nào")
    step = await admin.press(step.with_buttons(), "Hôm nay", expect="thôn nào")
    assert labels(step.with_buttons())[:3] == ["Thôn 1", "Thôn 2", "Thôn 3"]
    step = await admin.press(step.with_buttons(), "Thôn 3", expect="nội dung nào")
    step = await admin.press(step.with_buttons(), "An toàn")
    step = await admin.press(step.edited[0], "Xong", expect="bao nhiêu người")
    step = await admin.say("mười lăm", expect="Thông tin đã đúng chưa?")
    assert "Thôn 3" in step.text and "15" in step.text
    await admin.press(step.with_buttons(), "Đúng", expect="Đã lưu")
    export = await harness.export()
    assert sessions_of(export) == [("2026-11-25", "Thôn 3", ["online_safety"], 15, 0)]


@POLLING_ONLY
async def test_language_switch_and_help(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    member, fake = commune.member, harness.fake
    step = await member.say("/lang", expect="Chọn ngôn ngữ")
    await member.press(step.with_buttons(), "English", expect="Switched to English")
    await harness.settle()
    english_menu = {c["command"]: c["description"] for c in fake.commands(scope_chat_id=MEMBER)}
    assert english_menu["ghibuoi"] == "Record a village community session"
    await member.say("/help", expect="/ghibuoi — record a community session")
    step = await member.say("/ghibuoi", expect="What date was it held?")
    assert labels(step.last)[:2] == ["Today (25/11)", "Yesterday (24/11)"]
    await member.say("/huy", expect="Cancelled")
    step = await member.say("/lang")
    await member.press(step.with_buttons(), "Tiếng Việt", expect="Đã chuyển sang tiếng Việt")
    await harness.settle()
    check_menu(fake.commands(scope_chat_id=MEMBER), MEMBER_COMMANDS, tuple(ADMIN_ONLY))
    await member.say("/help", expect="/ghibuoi — ghi một buổi sinh hoạt")
    assert (await harness.export())["sessions"] == []


@POLLING_ONLY
async def test_on_behalf_logging_and_a_locked_month(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    member, admin = commune.member, commune.admin
    # The member logs a session of last month himself.
    step = await member.say("/ghibuoi")
    step = await member.press(step.with_buttons(), "Ngày khác")
    step = await member.say("30/10", expect="nội dung nào")
    step = await member.press(step.with_buttons(), "Thanh toán")
    step = await member.press(step.edited[0], "Xong")
    step = await member.say("14", expect="30/10/2026")
    await member.press(step.with_buttons(), "Đúng", expect="Đã lưu")

    # The commune admin logs a session of this month on the member's behalf.
    step = await admin.say("hôm nay thôn 2 học VNeID 12 người", expect="Tôi hiểu là")
    step = await admin.press(step.with_buttons(), "Ghi thay cho thành viên", expect="Bạn ghi thay cho ai?")
    step = await admin.press(step.with_buttons(), "Bác Hùng", expect="Ghi thay cho: Bác Hùng")
    await admin.press(step.with_buttons(), "Đúng", expect="Đã lưu")

    # The commune submits October (the monthly report flow is another feature: done here through storage).
    def submit_october() -> None:
        database = Database(harness.db_url)
        try:
            with database.session() as session:
                account = session.exec(select(ChannelAccount).where(ChannelAccount.user_id == str(ADMIN))).one()
                actor = session.get(Member, account.member_id)
                assert actor is not None
                reports.submit(
                    session,
                    actor=actor,
                    commune_code=18196,
                    month=dt.date(2026, 10, 1),
                    now=harness.clock.now(),
                    today=TODAY,
                )
        finally:
            database.dispose()

    await asyncio.to_thread(submit_october)

    # October can no longer be changed or added to, and the bot says why.
    step = await member.say("/sua", expect="sửa mục nào")
    await member.press(step.with_buttons(), "30/10", expect="Tháng 10/2026 xã đã nộp báo cáo")
    step = await member.say("/xoa", expect="xoá mục nào")
    await member.press(step.with_buttons(), "30/10", expect="Tháng 10/2026 xã đã nộp báo cáo")
    await member.say("ngày 29/10 thôn 2 học VNeID 20 người", expect="Tháng 10/2026 xã đã nộp báo cáo")
    await member.say("/huy")

    export = await harness.export()
    assert sessions_of(export) == [
        ("2026-10-30", "Thôn 2", ["online_payment"], 14, 0),
        ("2026-11-25", "Thôn 2", ["vneid"], 12, 0),
    ]
    october, november = export["sessions"]
    assert november["member_id"] == october["member_id"] == october["author_id"]  # the member's own
    assert november["author_id"] != november["member_id"]  # logged by the admin on his behalf


# -- free text, corrections, duplicates, photos -----------------------------------------------------


async def test_free_text_fix_photo_duplicate_and_corrections(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    member = commune.member

    # One line, read back in full; «Sửa» changes one field; «Đúng» saves the session and the help together.
    step = await member.say(
        "hôm kia thôn 2 học mua sắm trực tuyến 23 người, giúp 10 người kích hoạt mức 2", expect="Tôi hiểu là"
    )
    assert "23/11/2026" in step.text and "Mua sắm trực tuyến — 23 người" in step.text
    assert "Kích hoạt định danh điện tử mức 2: 10 người" in step.text
    assert (await harness.export())["sessions"] == []
    step = await member.press(step.with_buttons(), "Sửa", expect="sửa mục nào")
    step = await member.press(step.with_buttons(), "Số người dự", expect="bao nhiêu người")
    await member.say("không biết", expect="chưa phải là một con số")
    step = await member.say("25", expect="Mua sắm trực tuyến — 25 người")
    assert "Kích hoạt định danh điện tử mức 2: 10 người" in step.text  # the other fields are kept
    step = await member.press(step.with_buttons(), "Đúng", expect="Đã lưu")

    # A photo right after: attached to that session.
    await member.photo(expect="Đã đính kèm ảnh")

    # A photo with a one-line report as its caption: the read-back says it carries the photo.
    step = await member.photo(caption="hom nay thon 2 hoc an toan mang 12 nguoi", expect="Tôi hiểu là")
    assert "An toàn, chống lừa đảo trên mạng — 12 người" in step.text and "Kèm 1 ảnh" in step.text
    await member.press(step.with_buttons(), "Đúng", expect="Đã lưu")

    # The same session again: the bot asks before doubling; «Không ghi» saves nothing.
    step = await member.say("hôm kia thôn 2 học mua sắm trực tuyến 30 người", expect="Tôi hiểu là")
    step = await member.press(step.with_buttons(), "Đúng", expect="ghi thêm một buổi nữa không?")
    await member.press(step.with_buttons(), "Không ghi", expect="chưa lưu gì")

    # Unreadable text: said plainly, with examples and the guided buttons.
    step = await member.say("chào bác", expect="chưa hiểu")
    assert "Ví dụ" in step.text and "📝 Ghi buổi sinh hoạt" in labels(step.last)

    # /sua: the attendees of the first session; /xoa: the help record.
    step = await member.say("/sua", expect="sửa mục nào")
    step = await member.press(step.with_buttons(), "23/11 · Thôn 2 · 25 người", expect="phần nào")
    step = await member.press(step.with_buttons(), "Số người", expect="bao nhiêu")
    await member.say("-3", expect="số âm")
    step = await member.say("27", expect="Sửa thành: 27")
    await member.press(step.with_buttons(), "Lưu", expect="Đã sửa")
    step = await member.say("/xoa", expect="xoá mục nào")
    step = await member.press(step.with_buttons(), "Kích hoạt định danh", expect="Xoá mục này?")
    await member.press(step.with_buttons(), "Xoá", expect="Đã xoá")

    export = await harness.export()
    assert sessions_of(export) == [
        ("2026-11-23", "Thôn 2", ["online_shopping"], 27, 1),
        ("2026-11-25", "Thôn 2", ["online_safety"], 12, 1),
    ]
    assert help_of(export) == []


@POLLING_ONLY
async def test_photo_during_a_free_text_read_back_joins_that_report(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    member = commune.member
    await log_session_by_buttons(member, "Hôm qua", ["VNeID"], "17")
    step = await member.say("hôm nay thôn 2 học mua sắm trực tuyến 23 người", expect="Tôi hiểu là")
    read_back = step.with_buttons()
    await member.photo()
    step = await member.press(read_back, "Đúng", closes=False)
    assert "Đã lưu" in step.text
    export = await harness.export()
    assert sessions_of(export) == [
        ("2026-11-24", "Thôn 2", ["vneid"], 17, 0),
        ("2026-11-25", "Thôn 2", ["online_shopping"], 23, 1),
    ]


# -- redelivery and restarts -----------------------------------------------------------------------


async def test_redelivered_updates_change_nothing(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    member, fake = commune.member, harness.fake
    step = await member.say("/ghibuoi")
    step = await member.press(step.with_buttons(), "Hôm qua")
    step = await member.press(step.with_buttons(), "VNeID")
    step = await member.press(step.edited[0], "Xong")
    count = await member.say("17", expect="Thông tin đã đúng chưa?")
    saved = await member.press(count.with_buttons(), "Đúng", expect="Đã lưu")
    text = await member.say("hôm nay thôn 2 giúp 4 người cài VNeID mức 2", expect="Tôi hiểu là")
    # A double tap: two presses of «Đúng» queued before the bot has seen the first.
    read_back = text.with_buttons()
    data = next(b["callback_data"] for b in buttons_of(read_back) if "Đúng" in b["text"])
    taps = [fake.user_presses(MEMBER, read_back["message_id"], data) for _ in range(2)]
    await harness.settle()
    last_two = [m["text"] for m in member.messages()[-2:]]
    assert "Đã lưu" in last_two[0] and "đã xong hoặc đã huỷ" in last_two[1], last_two

    before_calls = sent_calls(harness)
    before_chats = {uid: fake.messages(uid) for uid in (ADMIN, MEMBER)}
    # Telegram sends again what it thinks was not acknowledged: a join, villages, a count, «Đúng» presses.
    for update_id in (
        commune.admin_join,
        commune.villages_confirm,
        count.update_id,
        saved.update_id,
        text.update_id,
        *taps,
    ):
        fake.redeliver(update_id)
        await fake.wait_until_acknowledged(update_id)
    await harness.settle()
    assert sent_calls(harness) == before_calls, "a redelivered update made the bot say something again"
    assert {uid: fake.messages(uid) for uid in (ADMIN, MEMBER)} == before_chats

    export = await harness.export()
    assert sessions_of(export) == [("2026-11-24", "Thôn 2", ["vneid"], 17, 0)]
    assert help_of(export) == [("2026-11-25", "Thôn 2", "vneid_level2", 4)]


async def test_restart_in_the_middle_of_a_flow(harness: Harness) -> None:
    commune = await set_up_commune(harness)
    member, fake = commune.member, harness.fake

    # A session half logged, then the bot restarts; the old message's buttons still work.
    step = await member.say("/ghibuoi")
    step = await member.press(step.with_buttons(), "Hôm nay", expect="nội dung nào")
    topics = step.with_buttons()
    await harness.restart()
    step = await member.press(topics, "Thanh toán")
    step = await member.press(step.edited[0], "Xong", expect="bao nhiêu người")

    # People helped, read back; the bot goes down; the member presses «Thêm» while it is down.
    step = await member.say("21", expect="Thông tin đã đúng chưa?")
    session_confirm = step.with_buttons()
    step = await member.say("/ghigiup")
    step = await member.press(step.with_buttons(), "Hôm nay")
    step = await member.press(step.with_buttons(), "Chữ ký số", expect="bao nhiêu người")
    step = await member.say("6", expect="Bạn kiểm tra lại số người được hỗ trợ")
    read_back = step.with_buttons()
    await harness.stop_app()
    more = "➕ Thêm việc hỗ trợ khác"
    data = next(b["callback_data"] for b in buttons_of(read_back) if b["text"] == more)
    pending = fake.user_presses(MEMBER, read_back["message_id"], data)
    await harness.start_app()
    await fake.wait_until_acknowledged(pending, timeout=30)  # webhook: the fake retries until the bot is back
    await harness.settle()
    kinds = member.last()
    assert "việc gì" in kinds["text"] and kinds["message_id"] > read_back["message_id"]
    assert fake.callback_answers, "the press made while the bot was down was answered after the restart"
    step = await member.press(kinds, "Sổ sức khỏe", expect="bao nhiêu người")
    step = await member.say("2", expect="Sổ sức khỏe điện tử: 2 người")
    assert "Chữ ký số: 6 người" in step.text  # the draft survived the restart
    await member.press(step.with_buttons(), "Đúng", expect="Đã lưu")

    # The session read-back from before the /ghigiup: that flow was replaced, so its button is stale.
    await member.press(session_confirm, "Đúng", expect="đã xong hoặc đã huỷ")

    export = await harness.export()
    assert sessions_of(export) == []
    assert help_of(export) == [
        ("2026-11-25", "Thôn 2", "digital_signature", 6),
        ("2026-11-25", "Thôn 2", "e_health", 2),
    ]


async def test_the_whole_story_exports_exactly_what_was_confirmed(harness: Harness) -> None:
    """Everything in one run: setup, buttons, free text, a restart, redelivery; the export lists each once."""
    commune = await set_up_commune(harness)
    member, admin, fake = commune.member, commune.admin, harness.fake
    saved = await log_session_by_buttons(member, "Hôm qua", ["Dịch vụ công"], "19")
    step = await admin.say("hôm nay thôn 1 học VNeID 30 người, giúp 8 người nộp hồ sơ DVC", expect="Tôi hiểu là")
    await harness.restart()
    await admin.press(step.with_buttons(), "Đúng", expect="Đã lưu")
    fake.redeliver(saved.update_id)
    await fake.wait_until_acknowledged(saved.update_id)
    await harness.settle()
    export = await harness.export()
    assert sessions_of(export) == [
        ("2026-11-24", "Thôn 2", ["public_services"], 19, 0),
        ("2026-11-25", "Thôn 1", ["vneid"], 30, 0),
    ]
    assert help_of(export) == [("2026-11-25", "Thôn 1", "public_service_filing", 8)]
    by_date = {s["date"]: s for s in export["sessions"]}
    member_id = by_date["2026-11-24"]["member_id"]
    admin_id = by_date["2026-11-25"]["member_id"]
    assert member_id != admin_id and by_date["2026-11-24"]["author_id"] == member_id
    code, csv_text = await harness.cli("export", "--commune", "18196", "--format", "csv")
    assert code == 0 and len(csv_text.strip().splitlines()) == 1 + 2 + 1


# -- the webhook route ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["webhook"])
async def test_webhook_refuses_a_wrong_secret(harness: Harness) -> None:
    await set_up_commune(harness)
    app = harness.app
    assert app is not None
    assert all(attempt.get("status") == 200 for attempt in harness.fake.webhook_attempts)
    update = {
        "update_id": 990001,
        "message": {
            "message_id": 99,
            "date": 1795600000,
            "text": "/tuannay",
            "chat": {"id": MEMBER, "type": "private", "first_name": "Bác Hùng"},
            "from": {"id": MEMBER, "is_bot": False, "first_name": "Bác Hùng", "language_code": "vi"},
        },
    }
    url = f"{app.web_url}/telegram/webhook"
    before = len(harness.fake.bot_messages(MEMBER))
    async with aiohttp.ClientSession() as client:
        for headers in (
            {},
            {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"},
        ):
            async with client.post(url, json=update, headers=headers) as response:
                assert response.status == 403, headers
        await harness.settle()
        assert len(harness.fake.bot_messages(MEMBER)) == before  # refused: not processed
        async with client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
            assert response.status == 200
    await harness.settle()
    assert "Tuần" in harness.fake.bot_messages(MEMBER)[-1]["text"]
