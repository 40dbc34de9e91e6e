"""The sandbox page in headless Chromium, against the fake alone and a tiny echo bot (no application)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.sandbox import FakeTelegram
from bot.sandbox.web import EXAMPLE_PERSONAS, add_sandbox_routes
from tests.browser import BROWSER_MARKS, chromium, expect

from .echo_bot import running_echo_bot, tiny_png

WAIT_MS = 10_000

pytestmark = BROWSER_MARKS

ADMIN = EXAMPLE_PERSONAS[2]  # Cán bộ xã


@pytest.fixture
async def site() -> AsyncIterator[tuple[FakeTelegram, str]]:
    """The fake Bot API and the page on one local server, with the echo bot polling it."""
    fake = FakeTelegram()
    app = web.Application()
    fake.add_route(app)
    add_sandbox_routes(app, fake, EXAMPLE_PERSONAS)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("/"))
        async with running_echo_bot(fake, url + "bot"):
            await fake.wait_for(lambda: fake.calls_to("getUpdates"), what="the echo bot to poll")
            yield fake, url


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """A headless Chromium for the test."""
    async with chromium() as browser:
        yield browser


async def test_chat_through_the_page(site, browser) -> None:
    fake, url = site
    page = await browser.new_page(viewport={"width": 1200, "height": 800})
    await page.goto(url)
    await expect(page).to_have_title("bdhvs-bot — Thử trò chuyện với bot")
    for persona in EXAMPLE_PERSONAS:
        await expect(page.get_by_test_id(f"persona-{persona['user_id']}")).to_contain_text(persona["name"])

    await page.get_by_test_id(f"persona-{ADMIN['user_id']}").click()
    await expect(page.get_by_test_id("current-persona")).to_contain_text(ADMIN["name"], timeout=WAIT_MS)

    # type and press Enter: the user's bubble, then the bot's with two buttons
    await page.get_by_test_id("chat-input").fill("Xin chào <bot> & mọi người")
    await page.get_by_test_id("chat-input").press("Enter")
    await expect(page.get_by_test_id("user-message")).to_contain_text("Xin chào <bot> & mọi người", timeout=WAIT_MS)
    answer = page.get_by_test_id("bot-message").last
    await expect(answer).to_contain_text("Bạn nói: Xin chào <bot> & mọi người", timeout=WAIT_MS)
    await expect(answer.locator("strong")).to_have_text("Xin chào <bot> & mọi người")  # HTML entities rendered
    await expect(answer.get_by_test_id("inline-button")).to_have_count(2)
    assert fake.messages(ADMIN["user_id"])[0]["from"]["first_name"] == ADMIN["name"]

    # press a button: the bot answers the query (a notice) and edits the buttons away
    await answer.get_by_test_id("inline-button").filter(has_text="Đồng ý").click()
    edited = page.locator('[data-testid="bot-message"][data-edited="true"]')
    await expect(edited).to_contain_text("Bạn đã chọn: Đồng ý", timeout=WAIT_MS)
    await expect(edited.get_by_test_id("inline-button")).to_have_count(0)
    await expect(page.get_by_test_id("notice")).to_contain_text("Đã ghi nhận", timeout=WAIT_MS)

    # the Send button, a document, and the command menu the bot set
    await page.get_by_test_id("chat-input").fill("/baocao")
    await page.get_by_test_id("chat-send").click()
    document = page.get_by_test_id("message-document")
    await expect(document).to_contain_text("bao-cao-thang-11.csv", timeout=WAIT_MS)
    assert (await document.get_attribute("href")).startswith("/sandbox/api/file/")
    await page.get_by_test_id("menu-button").click()
    await expect(page.get_by_test_id("menu-command")).to_have_count(3)
    await page.get_by_test_id("menu-command").filter(has_text="/tuan").click()
    await expect(page.get_by_test_id("user-message").last).to_contain_text("/tuan", timeout=WAIT_MS)

    # a photo: the user's shows, the bot answers with one, both load
    await page.get_by_test_id("photo-input").set_input_files(
        {"name": "buoi-hoc.png", "mimeType": "image/png", "buffer": tiny_png(20, 10)}
    )
    photos = page.get_by_test_id("message-photo")
    await expect(photos).to_have_count(2, timeout=WAIT_MS)
    await expect(page.get_by_test_id("bot-message").last).to_contain_text("Đã nhận ảnh", timeout=WAIT_MS)
    widths = await photos.evaluate_all("imgs => Promise.all(imgs.map(i => i.decode().then(() => i.naturalWidth)))")
    assert widths == [20, 8]


async def test_newcomer_and_separate_chats(site, browser) -> None:
    fake, url = site
    page = await browser.new_page(viewport={"width": 1200, "height": 800})
    await page.goto(url)
    lan = EXAMPLE_PERSONAS[0]
    await page.get_by_test_id(f"persona-{lan['user_id']}").click()
    await page.get_by_test_id("chat-input").fill("tin của Lan")
    await page.get_by_test_id("chat-send").click()
    await expect(page.get_by_test_id("bot-message")).to_have_count(1, timeout=WAIT_MS)

    await page.get_by_test_id("persona-new").click()
    await expect(page.get_by_test_id("current-persona")).to_contain_text("Người mới", timeout=WAIT_MS)
    await expect(page.get_by_test_id("say-start")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_test_id("user-message")).to_have_count(0)
    await page.get_by_test_id("say-start").click()
    await expect(page.get_by_test_id("user-message").get_by_test_id("message-text")).to_have_text(
        ["/start"], timeout=WAIT_MS
    )
    await expect(page.get_by_test_id("bot-message")).to_have_count(1, timeout=WAIT_MS)
    newcomer_id = int(await page.locator('.persona[aria-current="true"]').get_attribute("data-user-id"))
    assert newcomer_id not in {p["user_id"] for p in EXAMPLE_PERSONAS}
    assert fake.messages(newcomer_id)[0]["text"] == "/start"

    await page.get_by_test_id(f"persona-{lan['user_id']}").click()
    await expect(page.get_by_test_id("user-message").get_by_test_id("message-text")).to_have_text(
        ["tin của Lan"], timeout=WAIT_MS
    )


async def test_the_page_fits_a_phone(site, browser) -> None:
    _, url = site
    context = await browser.new_context(viewport={"width": 390, "height": 760}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(url)
    await expect(page.get_by_test_id("current-persona")).to_contain_text(EXAMPLE_PERSONAS[0]["name"], timeout=WAIT_MS)
    for testid in ("chat-input", "chat-send"):
        box = await page.get_by_test_id(testid).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    # the people list is a drawer on a phone
    await expect(page.get_by_test_id(f"persona-{ADMIN['user_id']}")).not_to_be_in_viewport()
    await page.locator("#open-sidebar").click()
    await page.get_by_test_id(f"persona-{ADMIN['user_id']}").click()
    await expect(page.get_by_test_id("current-persona")).to_contain_text(ADMIN["name"], timeout=WAIT_MS)
    await context.close()
