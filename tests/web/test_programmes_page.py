"""The province's programmes on the leaders' pages equal the JSON report's; nothing is added where the province
runs none (figures by hand in tests/reports/programmes_script.py)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.clock import FixedClock
from storage.db import Database
from tests.reports.conftest import ADMIN, HA_TINH, MEMBER, SON_KIM_1, VIEWER, Month
from tests.reports.programmes_script import add_programmes
from tests.web.conftest import sign_in
from tests.web.test_commune_page import marked


async def test_commune_and_province_pages_show_the_programmes(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[ADMIN], web_clock)
    before = await (await client.get(f"/web/commune/{SON_KIM_1}?month=2026-10")).text()
    assert "programmes-section" not in before
    add_programmes(database, month)
    html = await (await client.get(f"/web/commune/{SON_KIM_1}?month=2026-10")).text()
    rows = {a["data-programme"]: a for a in marked(html).of("tr", "data-programme")}
    assert (rows["gia_dinh_so"]["data-figure"], rows["gia_dinh_so"]["data-percent"]) == ("65", "20.0")
    assert (rows["dai_su_so"]["data-figure"], rows["dai_su_so"]["data-percent"]) == ("1", "50.0")
    assert rows["moi_cong_dan_mot_dinh_danh_so"]["data-figure"] == ""
    own = marked(html).of("tr", "data-own")
    assert [(a["data-own"], a["data-value"]) for a in own] == [("diem_wifi", "4")]
    assert "Gia đình số" in html and "chậm tiến độ" in html

    await sign_in(client, database, month.members[VIEWER], web_clock)
    province = await (await client.get(f"/web/province/{HA_TINH}?month=2026-10")).text()
    rows = {a["data-programme"]: a for a in marked(province).of("tr", "data-programme")}
    assert (rows["gia_dinh_so"]["data-figure"], rows["dai_su_so"]["data-percent"]) == ("75", "66.67")
    assert [a["data-value"] for a in marked(province).of("tr", "data-own")] == ["6"]

    await sign_in(client, database, month.members[MEMBER], web_clock)
    village = await (await client.get(f"/web/village/{month.villages['Thôn 2']}?month=2026-10")).text()
    rows = {a["data-programme"]: a for a in marked(village).of("tr", "data-programme")}
    assert (rows["gia_dinh_so"]["data-figure"], rows["gia_dinh_so"]["data-percent"]) == ("10", "10.0")
    assert not marked(village).of("tr", "data-own")
