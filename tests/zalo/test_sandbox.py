"""The sandbox speaks Zalo too: in sandbox mode the app runs both fakes, the demo people have a Zalo account
(the same members), and the web chat page chats through either messenger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import BotApplication, build_application
from bot.config import Config
from storage.models import ChannelAccount
from tests.app.conftest import FAST_LIMITS, db_url  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
async def sandbox(db_url: str) -> AsyncIterator[BotApplication]:  # noqa: F811
    config = Config(database_url=db_url, web_port=0, demo_data=True, rate_limits=FAST_LIMITS)
    assert config.sandbox
    app = build_application(config, zalo_options={"poll_timeout": 5})
    await app.start()
    yield app
    await app.stop()


async def test_sandbox_runs_both_fakes_and_demo_people_chat_on_zalo(sandbox: BotApplication) -> None:
    app = sandbox
    assert app.telegram is not None and app.zalo is not None and app.zalo.mode == "polling"
    assert app.zalo_base_url == f"{app.web_url}/sandbox/zalo/bot"
    with app.database.session() as session:
        zalo_accounts = session.exec(select(ChannelAccount).where(ChannelAccount.channel == "zalo")).all()
        telegram_accounts = session.exec(select(ChannelAccount).where(ChannelAccount.channel == "telegram")).all()
    assert {a.member_id for a in zalo_accounts} == {a.member_id for a in telegram_accounts}
    person = app.personas[0]
    assert person["zalo_user_id"] == f"zalo{person['user_id']}"
    async with aiohttp.ClientSession() as client:
        async with client.get(f"{app.web_url}/sandbox/api/bot") as response:
            assert (await response.json())["channels"] == ["telegram", "zalo"]
        async with client.get(f"{app.web_url}/healthz") as response:
            assert response.status == 200 and await response.text() == "ok"
        body = {"user_id": person["user_id"], "text": "/help", "channel": "zalo"}
        async with client.post(f"{app.web_url}/sandbox/api/send", json=body) as response:
            assert response.status == 200
        await app.fake_zalo.wait_for_bot_messages(person["zalo_user_id"], 1)
        async with client.get(
            f"{app.web_url}/sandbox/api/chat", params={"user_id": person["user_id"], "version": -1, "channel": "zalo"}
        ) as response:
            view = await response.json()
        assert view["channel"] == "zalo" and view["commands"] == []
        [mine, help_text] = view["messages"]
        assert mine["text"] == "/help" and mine["sender"] == "user"
        assert "1. 📝 Ghi buổi sinh hoạt" in help_text["text"] and help_text["buttons"] == []
        body = {"user_id": person["user_id"], "text": "3", "channel": "zalo"}  # «📊 Tuần này»
        async with client.post(f"{app.web_url}/sandbox/api/send", json=body) as response:
            assert response.status == 200
        messages = await app.fake_zalo.wait_for_bot_messages(person["zalo_user_id"], 2)
        assert "tuần" in messages[-1]["text"].lower()
        # the Telegram chat of the same person is separate
        async with client.get(
            f"{app.web_url}/sandbox/api/chat", params={"user_id": person["user_id"], "version": -1}
        ) as response:
            assert (await response.json())["messages"] == []
        form = aiohttp.FormData()
        form.add_field("user_id", str(person["user_id"]))
        form.add_field("channel", "zalo")
        form.add_field("photo", b"\x89PNG\r\n\x1a\nfake", filename="a.png", content_type="image/png")
        async with client.post(f"{app.web_url}/sandbox/api/photo", data=form) as response:
            assert response.status == 200
        user_photo = next(m for m in app.fake_zalo.messages(person["zalo_user_id"]) if m.get("photo"))["photo"]
        assert user_photo.startswith(f"{app.web_url}/sandbox/zalo/files/")
        async with client.get(user_photo) as response:
            assert response.status == 200 and await response.read() == b"\x89PNG\r\n\x1a\nfake"
        async with client.post(
            f"{app.web_url}/sandbox/api/send", json={"user_id": person["user_id"], "text": "x", "channel": "viber"}
        ) as response:
            assert response.status == 400


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
async def test_page_switches_between_telegram_and_zalo(sandbox: BotApplication) -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    expect = playwright_api.expect
    app = sandbox
    person = app.personas[1]
    async with playwright_api.async_playwright() as p:
        browser: Any = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page(viewport={"width": 1200, "height": 800})
            await page.goto(app.web_url + "/")
            await page.get_by_test_id(f"persona-{person['user_id']}").click()
            await expect(page.get_by_test_id("channel-switch")).to_be_visible(timeout=10_000)
            await page.get_by_test_id("channel-zalo").click()
            await expect(page.get_by_test_id("channel-zalo")).to_have_attribute("aria-pressed", "true")
            await page.get_by_test_id("chat-input").fill("/help")
            await page.get_by_test_id("chat-input").press("Enter")
            answer = page.get_by_test_id("bot-message").last
            await expect(answer).to_contain_text("Bạn trả lời bằng số", timeout=10_000)
            await expect(answer.get_by_test_id("inline-button")).to_have_count(0)
            await page.get_by_test_id("chat-input").fill("tuần này")
            await page.get_by_test_id("chat-input").press("Enter")
            await expect(page.get_by_test_id("bot-message")).to_have_count(2, timeout=10_000)
            assert app.fake_zalo.messages(person["zalo_user_id"])[0]["text"] == "/help"
            # back to Telegram: the other messenger's chat, with its own (empty) history
            await page.get_by_test_id("channel-telegram").click()
            await expect(page.get_by_test_id("bot-message")).to_have_count(0, timeout=10_000)
            await page.reload()
            await expect(page.get_by_test_id("channel-telegram")).to_have_attribute(
                "aria-pressed", "true", timeout=10_000
            )
        finally:
            await browser.close()
