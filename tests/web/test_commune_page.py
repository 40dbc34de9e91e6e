"""The commune page reads the same roll-ups as `bdhvs report`: its figures equal the JSON report's."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any

from aiohttp.test_utils import TestClient

from bot.clock import FixedClock, local_today
from bot.reports.data import commune_report, province_report, to_csv
from storage.db import Database
from storage.models import Member
from storage.scope import Scope
from storage.text import fold
from tests.conftest import VN
from tests.reports.conftest import ADMIN, HA_TINH, MEMBER, OCTOBER, SON_KIM_1, VIEWER, Month
from tests.web.conftest import sign_in


class Marked(HTMLParser):
    """The elements of a page that carry `data-*` figures, by tag."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if any(k.startswith("data-") for k in values):
            self.found.append((tag, values))

    def of(self, tag: str, key: str) -> list[dict[str, str]]:
        return [a for t, a in self.found if t == tag and key in a]


def marked(html: str) -> Marked:
    parser = Marked()
    parser.feed(html)
    return parser


def october_report(database: Database, clock: FixedClock) -> dict[str, Any]:
    with database.session() as session:
        today = local_today(clock, VN)
        return commune_report(session, Scope.operator(), SON_KIM_1, OCTOBER, today=today, tz=VN)


async def test_the_commune_page_shows_the_json_reports_figures(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[ADMIN], web_clock)
    response = await client.get(f"/web/commune/{SON_KIM_1}?month=2026-10")
    assert response.status == 200
    html = await response.text()
    page = marked(html)
    report = october_report(database, web_clock)

    rows = {int(a["data-village"]): a for a in page.of("tr", "data-village")}
    assert set(rows) == {v["id"] for v in report["villages"]}
    for village in report["villages"]:
        row = rows[village["id"]]
        assert int(row["data-sessions"]) == village["sessions"]
        assert int(row["data-attendees"]) == village["attendees"]
        assert int(row["data-helped"]) == village["helped"]
        assert int(row["data-weeks"]) == village["weeks_with_session"]

    # The heat-map: every week of October (from Monday 28/09, cut to 01/10) for every village; its cells add up
    # to the village's month, and Thôn 1's first week holds 03/10 and 04/10 (20 + 10 people).
    cells = page.of("g", "data-week")
    weeks = sorted({c["data-week"] for c in cells})
    assert weeks == ["2026-10-01", "2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]
    assert len(weeks) == report["weeks_in_month"]
    for village in report["villages"]:
        mine = [c for c in cells if int(c["data-village"]) == village["id"]]
        assert len(mine) == len(weeks)
        assert sum(int(c["data-sessions"]) for c in mine) == village["sessions"]
        assert sum(int(c["data-attendees"]) for c in mine) == village["attendees"]
        assert sum(int(c["data-helped"]) for c in mine) == village["helped"]
    first = next(c for c in cells if c["data-village"] == str(month.villages["Thôn 1"]) and c["data-week"] == weeks[0])
    assert (first["data-sessions"], first["data-attendees"], first["data-helped"]) == ("2", "30", "15")

    indicators = {a["data-indicator"]: a for a in page.of("tr", "data-indicator")}
    for item in report["indicators"]:
        shown = indicators[item["id"]]
        assert (float(shown["data-percent"]) if shown["data-percent"] else None) == item["percent"]
        assert (float(shown["data-target"]) if shown["data-target"] else None) == item["target"]

    (status,) = page.of("li", "data-status")
    assert status["data-status"] == report["status"] and status["data-month"] == report["month"]
    # Vietnamese formats: 1.234 people, 24,7 %, the deadline 20/11/2026; the totals of the month.
    assert "1.234" in html and "24,7%" in html and "20/11/2026" in html
    totals = {a["data-total"] for a in page.of("div", "data-total")}
    assert totals == {"sessions", "attendees", "helped", "villages"}
    assert f"<b>{report['totals']['sessions']}</b>" in html and "<b>87</b>" in html
    assert 'data-testid="heatmap"' in html and "<script" not in html and "http://" not in html.split("<main>")[1]


async def test_the_downloads_are_the_reports_own_files(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[ADMIN], web_clock)
    csv = await client.get(f"/web/commune/{SON_KIM_1}/report.csv?month=2026-10")
    assert csv.status == 200 and csv.content_type == "text/csv"
    assert "bao-cao-18196-2026-10.csv" in csv.headers["Content-Disposition"]
    assert await csv.text() == to_csv(october_report(database, web_clock))
    xlsx = await client.get(f"/web/commune/{SON_KIM_1}/report.xlsx?month=2026-10")
    assert xlsx.status == 200 and xlsx.content_type.endswith("spreadsheetml.sheet")
    assert (await xlsx.read())[:2] == b"PK"


async def test_the_province_page_lists_the_reports_communes(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[VIEWER], web_clock)
    response = await client.get(f"/web/province/{HA_TINH}?month=2026-10&sort=sessions&order=desc")
    assert response.status == 200
    page = marked(await response.text())
    with database.session() as session:
        report = province_report(session, Scope.operator(), HA_TINH, OCTOBER, tz=VN)
    rows = page.of("tr", "data-commune")
    assert len(rows) == len(report["communes"]) == 69
    by_code = {c["code"]: c for c in report["communes"]}
    for row in rows:
        expected = by_code[int(row["data-commune"])]
        assert int(row["data-sessions"]) == expected["sessions"]
        assert row["data-submitted"] == str(expected["submitted"]).lower()
    assert [int(r["data-commune"]) for r in rows[:2]] == [SON_KIM_1, 18199]  # 5 sessions, then 2
    csv = await client.get(f"/web/province/{HA_TINH}/report.csv?month=2026-10")
    assert await csv.text() == to_csv(report)


async def test_a_member_sees_their_village_and_an_english_speaker_reads_english(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    with database.session() as session:
        member = session.get(Member, month.members[MEMBER])
        assert member is not None
        member.locale = "en"
        session.add(member)
    await sign_in(client, database, month.members[MEMBER], web_clock)
    response = await client.get(f"/web/village/{month.villages['Thôn 2']}?month=2026-10")
    html = await response.text()
    assert response.status == 200 and 'lang="en"' in html and "Sessions by week" in html
    rows = marked(html).of("tr", "data-village")
    assert [(r["data-sessions"], r["data-attendees"]) for r in rows] == [("1", "30")]
    assert "Thôn 1" not in html and "Thôn 3" not in html


async def test_a_week_not_begun_is_shown_as_such(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[ADMIN], web_clock)
    web_clock.set(dt.datetime(2026, 11, 19, 9, 30, tzinfo=VN))
    page = marked(await (await client.get(f"/web/commune/{SON_KIM_1}")).text())
    cells = [c for c in page.of("g", "data-week") if c["data-village"] == str(month.villages["Thôn 2"])]
    assert [c["data-week"] for c in cells][-2:] == ["2026-11-23", "2026-11-30"]
    assert [c["data-sessions"] for c in cells][-2:] == ["", ""]  # weeks that have not begun
    assert cells[0]["data-sessions"] == "1"  # Sunday 01/11, 8 people


async def test_the_province_table_sorts_by_the_column_asked_for(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[VIEWER], web_clock)
    html = await (await client.get(f"/web/province/{HA_TINH}?month=2026-10")).text()
    assert 'aria-sort="ascending"' in html and "sort=sessions&amp;order=desc" in html
    names = re.findall(r'<tr data-commune="\d+"[^>]*><td><a [^>]*>([^<]+)</a>', html)
    assert len(names) == 69 and names == sorted(names, key=fold)
    html = await (await client.get(f"/web/province/{HA_TINH}?month=2026-10&sort=name&order=desc")).text()
    assert re.findall(r'<tr data-commune="\d+"[^>]*><td><a [^>]*>([^<]+)</a>', html) == names[::-1]
    html = await (await client.get(f"/web/province/{HA_TINH}?month=2026-10&sort=submitted&order=asc")).text()
    assert 'aria-sort="ascending"' in html
