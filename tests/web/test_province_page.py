"""The province page: the table's filters, the communes furthest behind, the reporting and on-time rates by
month since January, each checked against figures worked out by hand from the script."""

from __future__ import annotations

import datetime as dt
import re

from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot.clock import FixedClock
from bot.webpages.views import furthest_behind
from storage.db import Database
from storage.models import Commune
from storage.progress import CommuneTotals, province_rollup
from storage.reports import submit
from storage.scope import Scope
from storage.text import fold
from tests.reports.conftest import ADMIN, ADMIN_2, HA_TINH, OCTOBER, SON_KIM_1, SON_KIM_2, VIEWER, Month, at, member_of
from tests.web.conftest import sign_in
from tests.web.test_commune_page import marked

SEPTEMBER = dt.date(2026, 9, 1)


def submit_reports(database: Database, month: Month) -> None:
    """Sơn Kim 1 submits September and October on time; Sơn Kim 2 October only, late (after the 20th)."""
    admin, admin_2 = member_of(database, ADMIN, month), member_of(database, ADMIN_2, month)
    with database.session() as session:
        for actor, commune, first, day in (
            (admin, SON_KIM_1, SEPTEMBER, dt.date(2026, 10, 5)),
            (admin, SON_KIM_1, OCTOBER, dt.date(2026, 11, 10)),
            (admin_2, SON_KIM_2, OCTOBER, dt.date(2026, 11, 21)),
        ):
            submit(session, actor=actor, commune_code=commune, month=first, now=at(day), today=day)


def table_codes(html: str) -> set[int]:
    """The communes in the table."""
    return {int(code) for code in re.findall(r'<tr data-commune="(\d+)"', html)}


async def test_the_filters_keep_the_rows_they_name(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    submit_reports(database, month)
    await sign_in(client, database, month.members[VIEWER], web_clock)
    base = f"/web/province/{HA_TINH}?month=2026-10"
    everyone = table_codes(await (await client.get(base)).text())
    assert len(everyone) == 69
    expected = {
        "all": everyone,
        "submitted": {SON_KIM_1, SON_KIM_2},
        "not_submitted": everyone - {SON_KIM_1, SON_KIM_2},
        "on_time": {SON_KIM_1},
        "late": {SON_KIM_2},
        # Adults confirmed on VNeID: 24,68 % (Sơn Kim 1) and 50 % (Sơn Kim 2) against 80 % for the year, below
        # the October mark of the path (80 × 10/12); the other communes entered no figure.
        "below_target": {SON_KIM_1, SON_KIM_2},
    }
    for kind, codes in expected.items():
        response = await client.get(f"{base}&filter={kind}")
        assert response.status == 200
        html = await response.text()
        assert table_codes(html) == codes, kind
        link = marked(html).of("a", "data-filter")
        counts = {a["data-filter"]: a for a in link}
        assert counts[kind].get("aria-current") == "page"
    # A filter and a sort together: the sort links keep the filter, the filter links keep the sort.
    html = await (await client.get(f"{base}&filter=submitted&sort=sessions&order=desc")).text()
    assert [int(c) for c in re.findall(r'<tr data-commune="(\d+)"', html)] == [SON_KIM_1, SON_KIM_2]
    assert "filter=submitted&amp;sort=name" in html and "filter=late&amp;sort=sessions&amp;order=desc" in html
    # An unknown filter shows every commune.
    assert table_codes(await (await client.get(f"{base}&filter=nonsense")).text()) == everyone


async def test_the_communes_furthest_behind_and_the_rates_by_month(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    submit_reports(database, month)
    await sign_in(client, database, month.members[VIEWER], web_clock)
    html = await (await client.get(f"/web/province/{HA_TINH}?month=2026-10")).text()

    # Furthest behind: the 67 communes with no village set up share 0 % and no figure: the first ten by name.
    start = html.index('data-testid="behind"')
    behind = [int(c) for c in re.findall(r'<li data-commune="(\d+)"', html[start : html.index("</section>", start)])]
    with database.session() as session:
        names = {c.code: c.name for c in session.exec(select(Commune).where(Commune.province_code == HA_TINH))}
    without = sorted((code for code in names if code not in (SON_KIM_1, SON_KIM_2)), key=lambda c: (fold(names[c]), c))
    assert behind == without[:10]

    # Rates by month since January, by hand: 69 communes; September 1 submitted (on time); October 2, 1 on time.
    start = html.index('data-trend="rates"')
    chart = marked(html[start - 5 : html.index("</svg>", start)])
    drawn = {(a["data-series"], a["data-month"]): float(a["data-value"]) for a in chart.of("circle", "data-series")}
    assert drawn[("reporting", "2026-09")] == round(100 * 1 / 69, 2) == drawn[("on_time", "2026-09")]
    assert drawn[("reporting", "2026-10")] == round(100 * 2 / 69, 2)
    assert drawn[("on_time", "2026-10")] == round(100 * 1 / 69, 2)
    assert drawn[("reporting", "2026-01")] == 0.0
    assert sorted({m for _, m in drawn}) == [f"2026-{m:02d}" for m in range(1, 11)]
    # The one statement over the months counts what each month's province roll-up counts.
    with database.session() as session:
        for first in (SEPTEMBER, OCTOBER, dt.date(2026, 1, 1)):
            rollup = province_rollup(session, Scope.operator(), HA_TINH, first)
            key = f"{first:%Y-%m}"
            assert (drawn[("reporting", key)], drawn[("on_time", key)]) == (rollup.reporting_rate, rollup.on_time_rate)


def commune(code: int, name: str, villages: int, with_session: int, percent: float | None) -> CommuneTotals:
    """A commune's line with one indicator's figure (out of 100) against a target of 100 %."""
    line = CommuneTotals(code, name, villages=villages, villages_with_session=with_session)
    if percent is not None:
        line.figures["adults_vneid_confirmed"] = (int(percent), 100)
        line.targets["adults_vneid_confirmed"] = 100.0
    return line


def test_furthest_behind_orders_by_village_share_then_achievement_then_name() -> None:
    lines = [
        commune(1, "Xã A", 4, 4, 10),  # every village: last however low its figure
        commune(2, "Xã B", 4, 1, 90),  # 25 %, 90 % achieved
        commune(3, "Xã C", 4, 1, 30),  # 25 %, 30 % achieved: before B
        commune(4, "Xã Đ", 4, 1, None),  # 25 %, no figure: before C
        commune(5, "Xã E", 0, 0, 50),  # no village set up: 0 %, first
        commune(6, "Xã G", 2, 1, 50),  # 50 %
    ]
    assert [c.code for c in furthest_behind(lines)] == [5, 4, 3, 2, 6, 1]
    assert [c.code for c in furthest_behind(lines, limit=2)] == [5, 4]
