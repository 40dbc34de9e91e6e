"""The leaders' page in headless Chromium on a phone-sized screen: a commune admin opens the link from the chat
and lands on their commune's page with its heat-map."""

from __future__ import annotations

from pathlib import Path

from aiohttp.test_utils import TestClient

from bot.clock import FixedClock
from storage.db import Database
from tests.browser import BROWSER_MARKS, chromium, expect
from tests.reports.conftest import ADMIN, Month
from tests.web.conftest import link_for

pytestmark = BROWSER_MARKS
WAIT_MS = 15_000
PHONE = {"width": 390, "height": 844}


async def test_a_commune_admin_opens_the_link_on_a_phone_and_sees_the_heat_map(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock, tmp_path: Path
) -> None:
    token = link_for(database, month.members[ADMIN], web_clock)
    base = str(client.make_url("")).rstrip("/")
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
        await page.goto(f"{base}/web/signin/{token}")
        await expect(page).to_have_url(f"{base}/web/commune/18196", timeout=WAIT_MS)
        heat_map = page.get_by_test_id("heatmap")
        await expect(heat_map).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("h1")).to_contain_text("Xã Sơn Kim 1")
        await page.get_by_role("link", name="‹ Tháng 10/2026").click()
        await expect(page).to_have_url(f"{base}/web/commune/18196?month=2026-10", timeout=WAIT_MS)
        await expect(heat_map.locator("g[data-week]")).to_have_count(3 * 5)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the page fits the phone's width (wide parts scroll inside their box)"
        await page.screenshot(path=str(tmp_path / "commune-phone.png"), full_page=True)
        await page.context.close()
