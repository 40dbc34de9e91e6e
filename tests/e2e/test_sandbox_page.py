"""The whole application in sandbox mode, driven through its web chat page in headless Chromium.

No token configured: `build_application` serves its own fake Bot APIs (a bot per province: Hà Tĩnh's and the
country's), the demo commune and the page; the real Telegram adapter polls the fakes. A newcomer's first minute:
pick the team member, send /start, log a session by pressing the inline buttons on the page and typing the count,
and see it saved. Each person talks to their province's bot, named on the page; a newcomer picks the bot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import BotApplication, build_application
from bot.clock import FixedClock
from bot.config import Config
from storage import invites
from storage.activity import export_commune
from tests.browser import BROWSER_MARKS, chromium, expect

WAIT_MS = 15_000
# Wednesday 25/11/2026 in Vietnam: the demo data is seeded relative to this day, so the session logged below
# ("today", VNeID) never meets a seeded twin and the duplicate question.
FROZEN_AT = dt.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
MEMBER_ID = 900001  # the demo team member of Thôn 2 (bot/sandbox/demo.py)

pytestmark = BROWSER_MARKS


@pytest.fixture
async def sandbox_app(tmp_path: Path) -> AsyncIterator[BotApplication]:
    config = Config(web_port=0, database_url=f"sqlite:///{tmp_path / 'sandbox.db'}", demo_data=True)
    assert config.sandbox, "no token configured: the sandbox runs"
    app = build_application(config, clock=FixedClock(FROZEN_AT))
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as browser:
        yield browser


async def test_team_member_logs_a_session_on_the_sandbox_page(
    sandbox_app: BotApplication, browser: Any, tmp_path: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    await page.goto(sandbox_app.web_url + "/")
    await expect(page).to_have_title("bdhvs-bot — Thử trò chuyện với bot")

    # Pick the team member among the demo people.
    member = page.get_by_test_id(f"persona-{MEMBER_ID}")
    await expect(member).to_contain_text("Bác Trần Văn Hùng", timeout=WAIT_MS)
    await expect(member).to_contain_text("Thành viên tổ", timeout=WAIT_MS)
    await member.click()
    await expect(page.get_by_test_id("current-persona")).to_contain_text("Bác Trần Văn Hùng", timeout=WAIT_MS)

    # /start: the bot knows who this is and shows what they can do, with buttons.
    await page.get_by_test_id("chat-input").fill("/start")
    await page.get_by_test_id("chat-input").press("Enter")
    welcome = page.get_by_test_id("bot-message").last
    await expect(welcome).to_contain_text("thành viên tổ CNSCĐ — Thôn 2, Xã Sơn Kim 1", timeout=WAIT_MS)
    # The menu the bot registered for this person is in Vietnamese.
    await page.get_by_test_id("menu-button").click()
    await expect(page.get_by_test_id("menu-command").filter(has_text="/ghibuoi")).to_contain_text(
        "Ghi buổi sinh hoạt", timeout=WAIT_MS
    )
    await page.get_by_test_id("menu-button").click()

    async def press(label: str) -> None:
        await page.get_by_test_id("inline-button").filter(has_text=label).last.click()

    # Log a session by pressing the buttons on the page.
    await press("Ghi buổi sinh hoạt")
    await expect(page.get_by_test_id("bot-message").last).to_contain_text("Buổi học diễn ra ngày nào?", timeout=WAIT_MS)
    await press("Hôm nay")
    topics = page.get_by_test_id("bot-message").last
    await expect(topics).to_contain_text("nội dung nào", timeout=WAIT_MS)
    await press("Ứng dụng VNeID")
    # The same message is edited in place: the chosen topic is ticked.
    await expect(page.get_by_test_id("inline-button").filter(has_text="✅ Ứng dụng VNeID")).to_have_count(
        1, timeout=WAIT_MS
    )
    await press("Xong")
    await expect(page.get_by_test_id("bot-message").last).to_contain_text("bao nhiêu người", timeout=WAIT_MS)

    # A wrong count first, then the right one.
    await page.get_by_test_id("chat-input").fill("abc")
    await page.get_by_test_id("chat-send").click()
    await expect(page.get_by_test_id("bot-message").last).to_contain_text("chưa phải là một con số", timeout=WAIT_MS)
    await page.get_by_test_id("chat-input").fill("17")
    await page.get_by_test_id("chat-input").press("Enter")
    read_back = page.get_by_test_id("bot-message").last
    await expect(read_back).to_contain_text("Thông tin đã đúng chưa?", timeout=WAIT_MS)
    await expect(read_back).to_contain_text("Số người tham dự: 17")
    await press("Đúng, lưu lại")

    saved = page.get_by_test_id("bot-message").filter(has_text="Đã lưu buổi sinh hoạt")
    await expect(saved).to_have_count(1, timeout=WAIT_MS)
    await expect(saved).to_contain_text("Ứng dụng VNeID")
    await expect(page.get_by_test_id("notice")).to_contain_text("Đã lưu", timeout=WAIT_MS)  # the press's answer
    # The pressed read-back lost its buttons and shows the choice.
    closed = page.locator('[data-testid="bot-message"][data-edited="true"]').filter(has_text="➡️ ✅ Đúng, lưu lại")
    await expect(closed).to_have_count(1, timeout=WAIT_MS)
    await expect(closed.get_by_test_id("inline-button")).to_have_count(0)

    await page.screenshot(path=str(tmp_path / "sandbox-session-saved.png"), full_page=True)
    assert (tmp_path / "sandbox-session-saved.png").stat().st_size > 0

    with sandbox_app.database.session() as session:
        today = [s for s in export_commune(session, 18196)["sessions"] if s["source"] == "guided"]
    assert [(s["date"], s["village"], s["topics"], s["attendees"]) for s in today] == [
        ("2026-11-25", "Thôn 2", ["vneid"], 17)
    ]


async def test_the_village_group_on_the_sandbox_page(sandbox_app: BotApplication, browser: Any, tmp_path: Path) -> None:
    """Thôn 1's group: Nam talks to Mai (the bot does not hear it), Mai logs a session by mentioning the bot, Nam
    presses her button (a private notice, nothing changes), Mai presses it (saved, one line of thanks); then the
    commune's group on Zalo answers a mention."""
    mai, nam = "900002", "900006"
    page = await browser.new_page(viewport={"width": 1200, "height": 900})
    await page.goto(sandbox_app.web_url + "/")
    group = page.get_by_test_id("group-thon-1")
    await expect(group).to_contain_text("Tổ CNSCĐ Thôn 1", timeout=WAIT_MS)
    await group.click()
    await expect(page.locator("#bot-name")).to_have_text("Tổ CNSCĐ Thôn 1", timeout=WAIT_MS)
    speaker = page.get_by_test_id("speaker")
    chat_input = page.get_by_test_id("chat-input")

    # People talk together: the bot, in privacy mode, does not receive it.
    await speaker.select_option(nam)
    await chat_input.fill("Chị Mai ơi, tối nay học lúc 7 giờ nhé")
    await chat_input.press("Enter")
    said = page.get_by_test_id("user-message").filter(has_text="tối nay học lúc 7 giờ")
    await expect(said).to_have_attribute("data-delivered", "false", timeout=WAIT_MS)
    await expect(said.get_by_test_id("unseen-mark")).to_be_visible()

    # Mai mentions the bot with one line: the read-back comes in the group, with its buttons.
    await speaker.select_option(mai)
    await expect(page.get_by_test_id("current-persona")).to_contain_text("Chị Nguyễn Thị Mai", timeout=WAIT_MS)
    other = page.get_by_test_id("user-message").filter(has_text="tối nay học lúc 7 giờ")
    await expect(other.get_by_test_id("sender-name")).to_have_text("Anh Đỗ Văn Nam", timeout=WAIT_MS)
    await page.get_by_test_id("mention-bot").click()
    await expect(chat_input).to_have_value("@bdhvs_hatinh_bot ")  # the bot in the group: Hà Tĩnh's
    await chat_input.press_sequentially("hôm nay thôn 1 học VNeID 15 người")
    await chat_input.press("Enter")
    read_back = page.get_by_test_id("bot-message").filter(has_text="Đúng chưa?")
    await expect(read_back).to_contain_text("15 người tham dự", timeout=WAIT_MS)

    # Nam presses Mai's button: only he sees a notice, and nothing changes.
    await speaker.select_option(nam)
    await (
        page.get_by_test_id("bot-message")
        .filter(has_text="Đúng chưa?")
        .get_by_test_id("inline-button")
        .filter(has_text="Đúng")
        .first.click()
    )
    await expect(page.get_by_test_id("notice")).to_contain_text("Nút này dành cho người", timeout=WAIT_MS)
    await expect(read_back.get_by_test_id("inline-button").first).to_be_visible()

    # Mai presses it: saved, and the group sees one short line of thanks.
    await speaker.select_option(mai)
    await (
        page.get_by_test_id("bot-message")
        .filter(has_text="Đúng chưa?")
        .get_by_test_id("inline-button")
        .filter(has_text="Đúng")
        .first.click()
    )
    thanks = page.get_by_test_id("bot-message").filter(has_text="Đã lưu")
    await expect(thanks).to_contain_text("Chị Nguyễn Thị Mai", timeout=WAIT_MS)
    await page.screenshot(path=str(tmp_path / "sandbox-village-group.png"), full_page=True)
    with sandbox_app.database.session() as session:
        today = [s for s in export_commune(session, 18196)["sessions"] if s["date"] == "2026-11-25"]
    assert [(s["village"], s["topics"], s["attendees"]) for s in today if s["source"] != "import"] == [
        ("Thôn 1", ["vneid"], 15)
    ]

    # The commune's group on Zalo: a mention reaches the bot, which answers in the group.
    await page.get_by_test_id("group-xa-son-kim-1").click()
    await page.get_by_test_id("channel-zalo").click()
    await expect(page.get_by_test_id("chat-status")).to_contain_text("Zalo", timeout=WAIT_MS)
    await page.get_by_test_id("mention-bot").click()
    await expect(chat_input).to_have_value("@Bình dân học vụ số ")
    await chat_input.press_sequentially("/tuannay")
    await chat_input.press("Enter")
    await expect(page.get_by_test_id("bot-message").last).to_contain_text("Tuần 23/11", timeout=WAIT_MS)
    await expect(page.get_by_test_id("user-message").last).to_have_attribute("data-delivered", "true")


async def test_the_sandbox_page_opens_the_chosen_persons_dashboard(sandbox_app: BotApplication, browser: Any) -> None:
    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    await page.goto(sandbox_app.web_url + "/")
    await page.get_by_test_id("persona-900004").click()  # the demo commune leader
    button = page.get_by_test_id("open-dashboard")
    await expect(button).to_be_visible(timeout=WAIT_MS)
    async with page.expect_popup() as opened:
        await button.click()
    dashboard = await opened.value
    await expect(dashboard.get_by_test_id("heatmap")).to_be_visible(timeout=WAIT_MS)
    assert "/web/commune/" in dashboard.url
    await page.context.close()


async def test_each_person_talks_to_their_provinces_bot_on_the_sandbox_page(
    sandbox_app: BotApplication, browser: Any
) -> None:
    """The list marks each person's bot and the header names the one the chat is with; a message goes to that
    bot's fake only. A newcomer picks the country's bot, sends a Hà Tĩnh code and is pointed to Hà Tĩnh's bot;
    following the link, the same code joins there."""
    ha_tinh, country = sandbox_app.fake_telegrams["ha-tinh"], sandbox_app.fake_telegrams["ca-nuoc"]
    with sandbox_app.database.session() as session:
        code = invites.create_invite(
            session,
            role="commune_admin",
            now=sandbox_app.clock.now(),
            days=14,
            max_uses=1,
            province_code=42,
            commune_code=18196,
        ).code
    page = await browser.new_page(viewport={"width": 1100, "height": 900})
    await page.goto(sandbox_app.web_url + "/")
    await expect(page.get_by_test_id("persona-bot-900002")).to_have_text("Bot Hà Tĩnh", timeout=WAIT_MS)
    await expect(page.get_by_test_id("persona-bot-900101")).to_have_text("Bot cả nước")
    chat_input, bot_name, status = (
        page.get_by_test_id("chat-input"),
        page.get_by_test_id("bot-name"),
        page.get_by_test_id("chat-status"),
    )

    # The Hà Nội admin: the country's bot, named in the header, and only its fake hears them.
    await page.get_by_test_id("persona-900101").click()
    await expect(bot_name).to_have_text("Bình dân học vụ số", timeout=WAIT_MS)
    await expect(status).to_have_text("bot · @bdhvs_canuoc_bot")
    await expect(page.get_by_test_id("bot-picker")).to_be_hidden()  # a member's bot is their province's
    await chat_input.fill("/help")
    await chat_input.press("Enter")
    await expect(page.get_by_test_id("bot-message").last).to_be_visible(timeout=WAIT_MS)
    assert [m["text"] for m in country.messages(900101) if m["sender"] == "user"] == ["/help"]
    assert not ha_tinh.messages(900101)

    # A Hà Tĩnh person: Hà Tĩnh's bot.
    await page.get_by_test_id("persona-900002").click()
    await expect(bot_name).to_have_text("Bình dân học vụ số Hà Tĩnh", timeout=WAIT_MS)
    await expect(status).to_have_text("bot · @bdhvs_hatinh_bot")
    await chat_input.fill("/help")
    await chat_input.press("Enter")
    await expect(page.get_by_test_id("bot-message").last).to_be_visible(timeout=WAIT_MS)
    assert [m["text"] for m in ha_tinh.messages(900002) if m["sender"] == "user"] == ["/help"]
    assert not country.messages(900002)

    # A newcomer writes to the country's bot with a Hà Tĩnh code: refused, pointed to Hà Tĩnh's bot.
    await page.get_by_test_id("persona-new").click()
    picker = page.get_by_test_id("bot-choice")
    await expect(picker).to_be_visible(timeout=WAIT_MS)
    await picker.select_option("ca-nuoc")
    await expect(bot_name).to_have_text("Bình dân học vụ số", timeout=WAIT_MS)
    await chat_input.fill(f"/start {code}")
    await chat_input.press("Enter")
    refusal = page.get_by_test_id("bot-message").last
    await expect(refusal).to_contain_text("tỉnh có bot riêng", timeout=WAIT_MS)
    await expect(refusal).to_contain_text(f"t.me/bdhvs_hatinh_bot?start={code}")
    listed = await (await page.request.get(sandbox_app.web_url + "/sandbox/api/personas")).json()
    [person] = [p for p in listed if p.get("is_new")]
    assert country.bot_messages(person["user_id"]) and not ha_tinh.messages(person["user_id"])
    await expect(page.get_by_test_id(f"persona-bot-{person['user_id']}")).to_have_text("Bot cả nước")

    # Following the link, as on Telegram, opens the newcomer's chat with Hà Tĩnh's bot and sends /start with the
    # code there: they join.
    await refusal.get_by_role("link").click()
    await expect(bot_name).to_have_text("Bình dân học vụ số Hà Tĩnh", timeout=WAIT_MS)
    await expect(picker).to_have_value("ha-tinh")
    await expect(page.get_by_test_id(f"persona-bot-{person['user_id']}")).to_have_text("Bot Hà Tĩnh")
    welcome = page.get_by_test_id("bot-message").first
    await expect(welcome).to_contain_text("Chào mừng", timeout=WAIT_MS)
    await expect(welcome).to_contain_text("Sơn Kim 1")
    assert [m["text"] for m in ha_tinh.messages(person["user_id"]) if m["sender"] == "user"] == [f"/start {code}"]

    # Picking the country's bot again shows the first chat as it was: the one refusal.
    await picker.select_option("ca-nuoc")
    await expect(bot_name).to_have_text("Bình dân học vụ số", timeout=WAIT_MS)
    await expect(page.get_by_test_id("bot-message")).to_have_count(1, timeout=WAIT_MS)
    await expect(page.get_by_test_id("bot-message")).to_contain_text("tỉnh có bot riêng")
    await page.context.close()


async def test_a_newcomer_picks_the_bot_on_a_phone(sandbox_app: BotApplication, browser: Any) -> None:
    """On a phone the header is full: the newcomer's bot picker takes a row of its own, whole and on the screen."""
    context = await browser.new_context(viewport={"width": 390, "height": 760}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(sandbox_app.web_url + "/")
    await expect(page.get_by_test_id("current-persona")).to_be_visible(timeout=WAIT_MS)
    await page.locator("#open-sidebar").click()
    await page.get_by_test_id("persona-new").click()
    picker = page.get_by_test_id("bot-choice")
    await expect(picker).to_be_visible(timeout=WAIT_MS)
    box = await picker.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 150
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await picker.select_option("ca-nuoc")
    await expect(page.get_by_test_id("chat-status")).to_have_text("bot · @bdhvs_canuoc_bot", timeout=WAIT_MS)
    await context.close()
