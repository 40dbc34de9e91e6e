"""Each role's pages in headless Chromium: a team member their village, a commune's admin and leader their
commune and its villages, a province viewer their province and its communes; another area's address is 403.
The province table sorted and filtered by clicking, the downloads opened as XLSX, every page checked with
axe-core and photographed at phone and desktop width."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from tests.reports.conftest import ADMIN, HA_TINH, LEADER, MEMBER, OTHER_PROVINCE, SON_KIM_1, SON_KIM_2, VIEWER, Month
from tests.web.browsing import (
    MODULE_MARKS,
    WAIT_MS,
    Site,
    accessibility_violations,
    browser,
    check_page,
    expect,
    site,
)
from tests.web.test_province_page import submit_reports

pytestmark = MODULE_MARKS
__all__ = ["browser", "site"]
OCTOBER = "?month=2026-10"


async def refused(page: Any, url: str) -> None:
    """Another area's address: 403, a page that says so, no figure."""
    response = await page.goto(url)
    assert response is not None and response.status == 403, url
    await expect(page.locator("h1")).to_have_text("Không xem được trang này")
    await expect(page.locator("table")).to_have_count(0)
    await expect(page.locator("svg")).to_have_count(0)


async def opened(download: Any) -> Workbook:
    """A download read back as a workbook (the browser saves it without its name's extension)."""
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    return load_workbook(BytesIO(Path(await download.path()).read_bytes()))


async def row_codes(page: Any) -> list[int]:
    """The communes of the province table, top to bottom."""
    codes = await page.locator("table[data-testid=communes] tbody tr[data-commune]").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.commune))"
    )
    return list(codes)


async def test_a_team_member_sees_their_village_only(site: Site, month: Month) -> None:
    page = await site.signed_in(month.members[MEMBER])
    village = month.villages["Thôn 2"]
    await expect(page).to_have_url(f"{site.base}/web/village/{village}")
    await page.goto(f"{site.base}/web/village/{village}{OCTOBER}")
    await expect(page.locator("h1")).to_contain_text("Thôn 2")
    await expect(page.get_by_test_id("heatmap")).to_be_visible()
    await check_page(page, "village")
    await refused(page, f"{site.base}/web/village/{month.villages['Thôn 1']}")
    await refused(page, f"{site.base}/web/commune/{SON_KIM_1}")
    await refused(page, f"{site.base}/web/province/{HA_TINH}")
    await page.context.close()


async def test_a_commune_admin_sees_the_commune_and_its_villages_and_downloads_its_report(
    site: Site, month: Month
) -> None:
    page = await site.signed_in(month.members[ADMIN])
    await expect(page).to_have_url(f"{site.base}/web/commune/{SON_KIM_1}")
    await page.goto(f"{site.base}/web/commune/{SON_KIM_1}{OCTOBER}")
    await expect(page.locator("h1")).to_contain_text("Xã Sơn Kim 1")
    await check_page(page, "commune")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Excel Tháng 10/2026").click()
    download = await download_info.value
    workbook = await opened(download)
    assert workbook.sheetnames
    assert "Xã Sơn Kim 1" in " ".join(str(c) for row in workbook.worksheets[0].iter_rows(values_only=True) for c in row)
    await page.get_by_test_id("villages").get_by_role("link", name="Thôn 1").click()
    await expect(page).to_have_url(f"{site.base}/web/village/{month.villages['Thôn 1']}{OCTOBER}", timeout=WAIT_MS)
    await expect(page.locator("h1")).to_contain_text("Thôn 1")
    await refused(page, f"{site.base}/web/commune/{SON_KIM_2}")
    await refused(page, f"{site.base}/web/village/{month.villages['Thôn Trung']}")
    await refused(page, f"{site.base}/web/commune/{SON_KIM_2}/report.xlsx")
    await refused(page, f"{site.base}/web/province/{HA_TINH}")
    await page.context.close()


async def test_a_commune_leader_has_the_same_pages_on_a_desktop(site: Site, month: Month) -> None:
    page = await site.signed_in(month.members[LEADER], viewport={"width": 1280, "height": 800})
    await expect(page).to_have_url(f"{site.base}/web/commune/{SON_KIM_1}")
    await expect(page.get_by_test_id("heatmap")).to_be_visible()
    await refused(page, f"{site.base}/web/commune/{SON_KIM_2}")
    await page.context.close()


async def test_a_province_viewer_sorts_and_filters_the_communes_by_clicking(site: Site, month: Month) -> None:
    submit_reports(site.database, month)
    page = await site.signed_in(month.members[VIEWER])
    await expect(page).to_have_url(f"{site.base}/web/province/{HA_TINH}")
    await page.goto(f"{site.base}/web/province/{HA_TINH}{OCTOBER}")
    table = page.get_by_test_id("communes")
    await expect(table.locator("tbody tr")).to_have_count(69)
    await check_page(page, "province")

    await table.get_by_role("link", name="Buổi", exact=True).click()
    await expect(table.locator("th[aria-sort=descending]")).to_contain_text("Buổi", timeout=WAIT_MS)
    assert (await row_codes(page))[:2] == [SON_KIM_1, SON_KIM_2]  # 5 sessions, then 2
    await table.get_by_role("link", name="Buổi ▼").click()
    await expect(table.locator("th[aria-sort=ascending]")).to_contain_text("Buổi", timeout=WAIT_MS)
    assert (await row_codes(page))[-2:] == [SON_KIM_2, SON_KIM_1]

    # Adults confirmed on VNeID against the year's 80 %: Sơn Kim 2 50 %, Sơn Kim 1 24,68 %, the rest unknown.
    await table.get_by_role("link", name="Xác nhận trên VNeID").click()
    await expect(table.locator("th[aria-sort=descending]")).to_contain_text("VNeID", timeout=WAIT_MS)
    assert (await row_codes(page))[:2] == [SON_KIM_2, SON_KIM_1]
    cell = table.locator(f"tr[data-commune='{SON_KIM_2}'] td[data-indicator=adults_vneid_confirmed]")
    await expect(cell).to_have_text("62,5%")

    await page.get_by_role("link", name="Nộp trễ hạn (1)").click()
    await expect(table.locator("tbody tr")).to_have_count(1, timeout=WAIT_MS)
    assert await row_codes(page) == [SON_KIM_2]
    assert "sort=adults_vneid_confirmed" in page.url  # the filter keeps the sort
    await page.get_by_role("link", name="Đã nộp (2)").click()
    await expect(table.locator("tbody tr")).to_have_count(2, timeout=WAIT_MS)

    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Tải Excel").click()
    download = await download_info.value
    workbook = await opened(download)
    cells = " ".join(str(c) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row)
    assert "Xã Sơn Kim 1" in cells and "Xã Sơn Kim 2" in cells

    await table.get_by_role("link", name="Xã Sơn Kim 2").click()
    await expect(page).to_have_url(f"{site.base}/web/commune/{SON_KIM_2}{OCTOBER}", timeout=WAIT_MS)
    await expect(page.locator("h1")).to_contain_text("Xã Sơn Kim 2")
    await refused(page, f"{site.base}/web/province/{OTHER_PROVINCE}")
    await page.context.close()


async def test_no_page_loads_anything_from_another_address(site: Site, month: Month) -> None:
    """Works offline, on a LAN: every request a page makes goes to the bot's own server (no CDN, no font)."""
    page = await site.signed_in(month.members[VIEWER])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for path in (f"/web/province/{HA_TINH}", f"/web/commune/{SON_KIM_1}", f"/web/village/{month.villages['Thôn 1']}"):
        await page.goto(f"{site.base}{path}{OCTOBER}")
        await page.wait_for_load_state("load")
        html = await page.content()
        assert "https://" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", ""), path
    assert requested and all(url.startswith(site.base) for url in requested), requested
    await page.context.close()


async def test_the_accessibility_check_does_find_a_fault(site: Site) -> None:
    """The check is not vacuous: a page with an unnamed image and an unlabelled field fails it."""
    context = await site.context()
    page = await context.new_page()
    await page.set_content('<html lang="vi"><title>x</title><main><img src="a.png"><input type="text"></main></html>')
    problems = " ".join(await accessibility_violations(page))
    assert "image-alt (critical)" in problems and "label (critical)" in problems, problems
    await context.close()
