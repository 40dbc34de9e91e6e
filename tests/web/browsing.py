"""What the leaders' pages' browser tests share: one headless Chromium per test module, the pages on a real
aiohttp server per test, an accessibility check with axe-core and screenshots at phone and desktop width.

A module sets `pytestmark = MODULE_MARKS` and imports the fixtures `browser` and `site` by name.
Screenshots go to `test-artifacts/web/` at the top of the repository (`BDHVS_TEST_ARTIFACTS` moves it); the
summary at the end of the run names the folder.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.clock import FixedClock
from bot.webpages.routes import add_leaders_routes
from storage.db import Database
from tests.browser import BROWSER_MARKS, chromium, expect
from tests.web.conftest import BOT_TOKEN, link_for, web_config

MODULE_MARKS = [*BROWSER_MARKS, pytest.mark.asyncio(loop_scope="module")]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("BDHVS_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")) / "web"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WAIT_MS = 15_000
BLOCKING = ("serious", "critical")

__all__ = ["MODULE_MARKS", "browser", "expect", "site"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the whole module (each test opens its own context: its own cookies)."""
    async with chromium() as launched:
        yield launched


@dataclass
class Site:
    """The pages on a test server, and a way to open them as a given member."""

    base: str
    browser: Any
    database: Database
    clock: FixedClock

    async def context(self, viewport: dict[str, int] = PHONE) -> Any:
        """A fresh browser profile (no cookies) at that width; downloads accepted."""
        phone = viewport == PHONE
        return await self.browser.new_context(
            viewport=viewport, is_mobile=phone, has_touch=phone, accept_downloads=True, locale="vi-VN"
        )

    async def signed_in(self, member_id: int, viewport: dict[str, int] = PHONE) -> Any:
        """A page signed in as the member by a fresh link from /web, landed on their own area's page."""
        context = await self.context(viewport)
        page = await context.new_page()
        await page.goto(f"{self.base}/web/signin/{link_for(self.database, member_id, self.clock)}")
        await expect(page.locator("main h1")).to_be_visible(timeout=WAIT_MS)
        await page.wait_for_url(lambda url: "/signin/" not in url, timeout=WAIT_MS)
        return page


@pytest_asyncio.fixture(loop_scope="module")
async def site(
    browser: Any, database: Database, web_clock: FixedClock, request: pytest.FixtureRequest
) -> AsyncIterator[Site]:
    """The leaders' pages on a real aiohttp server over the scripted month, with the module's browser."""
    request.node.user_properties.append(("artifacts", str(ARTIFACTS)))
    app = web.Application()
    add_leaders_routes(app, database, web_config(database), web_clock, lambda: (BOT_TOKEN,))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Site(str(client.make_url("")).rstrip("/"), browser, database, web_clock)


async def accessibility_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each (rule, impact, first target)."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target'] if v['nodes'] else '?'}"
        for v in result["violations"]
        if v.get("impact") in BLOCKING
    ]


async def check_page(page: Any, name: str) -> None:
    """The page passes axe-core (nothing serious or critical), fits a phone's width, and is photographed at
    phone and desktop width into the artefacts folder."""
    problems = await accessibility_violations(page)
    assert not problems, f"{name}: " + "; ".join(problems)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        if label == "phone":
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} is wider than a phone ({width}px): wide parts scroll in a box"
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size(PHONE)
