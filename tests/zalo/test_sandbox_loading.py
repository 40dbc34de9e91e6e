"""The sandbox page while it is still loading: a person clicked while the groups list arrives is the one who speaks.

The page used to redraw its person buttons when the groups came (choosing the remembered or first person): a
click pressed on one button and released on its replacement was lost, and the visitor's messages went out as the
first demo person. The groups' answer is held back here so that the press and the release fall on either side.
Whoever is picked, a Hà Tĩnh person or the Hà Nội admin, speaks to their province's bot (a bot per province:
Hà Tĩnh's, or the country's), named in the header, and to no other.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import BotApplication
from tests.browser import BROWSER_MARKS, chromium, expect
from tests.zalo.test_sandbox import sandbox  # noqa: F401

pytestmark = BROWSER_MARKS


@pytest.mark.parametrize("picked_id", [900002, 900101])  # Thôn 1's team lead (Hà Tĩnh), the Hà Nội admin
async def test_a_person_picked_while_groups_load_stays_picked(sandbox: BotApplication, picked_id: int) -> None:  # noqa: F811
    app = sandbox
    first = app.personas[0]
    [picked] = [p for p in app.personas if p["user_id"] == picked_id]
    bot = app.fake_telegrams[picked["bot"]]
    [other] = [fake for fake in app.fake_telegrams.values() if fake is not bot]
    groups_asked = asyncio.Event()
    release_groups = asyncio.Event()

    async def hold_groups(route: Any) -> None:
        groups_asked.set()
        await release_groups.wait()
        await route.continue_()

    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1200, "height": 800})
        await page.route("**/sandbox/api/groups", hold_groups)
        await page.goto(app.web_url + "/")
        await asyncio.wait_for(groups_asked.wait(), 10)
        box = await page.get_by_test_id(f"persona-{picked['user_id']}").bounding_box()
        assert box is not None
        await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        await page.mouse.down()
        release_groups.set()
        await expect(page.locator("#app")).to_have_attribute("data-ready", "true", timeout=10_000)
        await page.mouse.up()
        await expect(page.get_by_test_id(f"persona-{picked['user_id']}")).to_have_attribute("aria-current", "true")
        await page.get_by_test_id("chat-input").fill("/help")
        await page.get_by_test_id("chat-input").press("Enter")
        await expect(page.get_by_test_id("bot-message").last).to_be_visible(timeout=10_000)
        await expect(page.get_by_test_id("bot-name")).to_have_text(bot.bot_first_name)
    spoken = [m["text"] for m in bot.messages(picked["user_id"]) if m["sender"] == "user"]
    assert spoken == ["/help"]
    assert not other.messages(picked["user_id"]), "the person spoke to another province's bot"
    assert not app.fake_telegram.messages(first["user_id"]), "the first person spoke instead of the one picked"
