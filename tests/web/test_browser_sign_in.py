"""Signing in and out, in headless Chromium: a link from the chat, a used, expired or forged link (a page that
says so and shows no figure), a sign-in or a sign-out posted from another site, and the Telegram Mini App with
a correctly and a wrongly signed initData."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from tests.reports.conftest import ADMIN, MEMBER, Month
from tests.web.browsing import MODULE_MARKS, WAIT_MS, Site, browser, check_page, expect, site
from tests.web.conftest import link_for
from tests.web.test_mini_app import init_data

pytestmark = MODULE_MARKS
__all__ = ["browser", "site"]


async def no_figures(page: object) -> None:
    """A refusal page: a message, no table, no chart, no village's name."""
    await expect(page.get_by_test_id("message")).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    for selector in ("table", "svg", "[data-testid=heatmap]"):
        await expect(page.locator(selector)).to_have_count(0)  # type: ignore[attr-defined]
    assert "Thôn" not in await page.locator("main").inner_text()  # type: ignore[attr-defined]


async def test_a_link_signs_in_once_and_a_used_one_says_so(site: Site, month: Month) -> None:
    context = await site.context()
    page = await context.new_page()
    link = f"{site.base}/web/signin/{link_for(site.database, month.members[MEMBER], site.clock)}"
    await page.goto(link)
    await expect(page).to_have_url(f"{site.base}/web/village/{month.villages['Thôn 2']}", timeout=WAIT_MS)
    await expect(page.locator("h1")).to_contain_text("Thôn 2")
    await expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    other = await (await site.context()).new_page()  # someone else opening the same link afterwards
    response = await other.goto(link)
    assert response is not None and response.status == 410
    await expect(other.locator("main")).to_contain_text("đã được dùng")
    await no_figures(other)
    await check_page(other, "link-used")
    await other.goto(f"{site.base}/web")
    await expect(other.locator("h1")).to_have_text("Bạn chưa đăng nhập")
    await other.context.close()
    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.locator("h1")).to_have_text("Bạn đã đăng xuất", timeout=WAIT_MS)
    await page.goto(f"{site.base}/web/village/{month.villages['Thôn 2']}")
    await expect(page.locator("h1")).to_have_text("Bạn chưa đăng nhập")
    await context.close()


async def test_an_expired_or_forged_link_shows_a_clear_page_and_no_data(site: Site, month: Month) -> None:
    context = await site.context()
    page = await context.new_page()
    token = link_for(site.database, month.members[ADMIN], site.clock)
    site.clock.advance(dt.timedelta(minutes=10, seconds=1))
    response = await page.goto(f"{site.base}/web/signin/{token}")
    assert response is not None and response.status == 410
    await expect(page.locator("main")).to_contain_text("hết hạn")
    await no_figures(page)
    response = await page.goto(f"{site.base}/web/signin/{'x' * 43}")
    assert response is not None and response.status == 404
    await expect(page.locator("main")).to_contain_text("không đúng")
    await no_figures(page)
    await check_page(page, "link-forged")
    response = await page.goto(f"{site.base}/web/commune/18196")
    assert response is not None and response.status == 401
    await no_figures(page)
    await context.close()


async def test_a_sign_in_posted_by_another_site_is_refused(site: Site, month: Month) -> None:
    """Login CSRF: a page elsewhere posts a (good) link of someone else's to the bot; the browser says where the
    POST comes from, and the bot refuses it: no session, and the link still works from the chat."""
    token = link_for(site.database, month.members[ADMIN], site.clock)
    context = await site.context()
    page = await context.new_page()
    forged = (
        f'<!doctype html><html lang="en"><title>x</title><form method="post" action="{site.base}/web/signin/{token}">'
        "</form><script>document.forms[0].submit()</script></html>"
    )
    await page.route("http://attacker.test/", lambda route: route.fulfill(body=forged, content_type="text/html"))
    await page.goto("http://attacker.test/")
    await expect(page.locator("main")).to_contain_text("không đến từ trang của bot", timeout=WAIT_MS)
    assert await context.cookies(site.base) == []
    await page.goto(f"{site.base}/web/signin/{token}")
    await expect(page).to_have_url(f"{site.base}/web/commune/18196", timeout=WAIT_MS)
    await context.close()


async def test_a_sign_out_from_another_site_or_by_a_get_leaves_the_session(site: Site, month: Month) -> None:
    """The sign-out is the header's small form, a POST carrying the session's token: a form of another site
    posting to it, or opening its address, signs no one out; the button does."""
    page = await site.signed_in(month.members[ADMIN])
    home = page.url
    forged = (
        f'<!doctype html><html lang="en"><title>x</title><form method="post" action="{site.base}/web/signout">'
        '<input name="csrf" value="guess"></form><script>document.forms[0].submit()</script></html>'
    )
    await page.route("http://attacker.test/", lambda route: route.fulfill(body=forged, content_type="text/html"))
    await page.goto("http://attacker.test/")
    await page.wait_for_url(f"{site.base}/web/signout", timeout=WAIT_MS)
    response = await page.goto(f"{site.base}/web/signout")
    assert response is not None and response.status == 405
    await page.goto(home)
    await expect(page.get_by_test_id("heatmap")).to_be_visible(timeout=WAIT_MS)  # still signed in
    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.locator("h1")).to_have_text("Bạn đã đăng xuất", timeout=WAIT_MS)
    await page.goto(home)
    await expect(page.locator("h1")).to_have_text("Bạn chưa đăng nhập")
    await page.context.close()


async def test_the_mini_app_signs_in_with_telegrams_init_data_and_refuses_a_wrong_signature(
    site: Site, month: Month
) -> None:
    now = site.clock.now() - dt.timedelta(minutes=1)
    fragment = "tgWebAppData={data}&tgWebAppVersion=7.0&tgWebAppPlatform=tdesktop"
    context = await site.context()
    page = await context.new_page()
    wrong = init_data(ADMIN, now, token="999:OTHER-BOT")
    response_page = f"{site.base}/web/miniapp#" + fragment.format(data=quote(wrong, safe=""))
    await page.goto(response_page)
    await expect(page.locator("main")).to_contain_text("Telegram không xác nhận được bạn", timeout=WAIT_MS)
    await no_figures(page)
    assert await context.cookies(site.base) == []
    await check_page(page, "miniapp-refused")
    good = init_data(ADMIN, now)
    await page.goto("about:blank")  # from /web/miniapp only the fragment would change: no new page load
    await page.goto(f"{site.base}/web/miniapp#" + fragment.format(data=quote(good, safe="")))
    await expect(page).to_have_url(f"{site.base}/web/commune/18196", timeout=WAIT_MS)
    await expect(page.get_by_test_id("heatmap")).to_be_visible()
    [cookie] = await context.cookies(site.base)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"  # plain http here: no Mini App cookie for iframes
    await context.close()
