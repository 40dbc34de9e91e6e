"""The commune page's trend since January: each plotted point is the monthly report's figure for its month."""

from __future__ import annotations

import datetime as dt

from aiohttp.test_utils import TestClient

from bot.clock import FixedClock, local_today
from bot.reports.data import commune_report
from bot.webpages.views import area_view, as_of, trend_months
from storage.db import Database
from storage.models import Village
from storage.periods import PERIOD_QUARTER, Period
from storage.progress import commune_progress
from storage.scope import Scope
from tests.conftest import VN
from tests.reports.conftest import ADMIN, HA_TINH, MEMBER, SON_KIM_1, Month
from tests.web.conftest import sign_in
from tests.web.test_commune_page import marked


def points(html: str, chart: str, series: str) -> dict[str, float]:
    """A trend chart's points of one series, by month."""
    page = marked(html)
    svgs = [a for a in page.of("svg", "data-trend") if a["data-trend"] == chart]
    assert len(svgs) == 1, chart
    start = html.index(f'data-trend="{chart}"')
    end = html.index("</svg>", start)
    inner = marked(html[start - 5 : end])
    return {
        a["data-month"]: float(a["data-value"]) for a in inner.of("circle", "data-series") if a["data-series"] == series
    }


async def test_the_trend_plots_each_months_report_figures(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[ADMIN], web_clock)
    response = await client.get(f"/web/commune/{SON_KIM_1}?month=2026-10")
    assert response.status == 200
    html = await response.text()
    assert 'data-testid="trend"' in html

    sessions = points(html, "sessions", "value")
    assert sorted(sessions) == [f"2026-{m:02d}" for m in range(1, 11)]  # January to the chosen month
    for first in (dt.date(2026, 9, 1), dt.date(2026, 10, 1)):
        with database.session() as session:
            today = local_today(web_clock, VN)
            report = commune_report(session, Scope.operator(), SON_KIM_1, first, today=today, tz=VN)
        key = f"{first:%Y-%m}"
        assert sessions[key] == report["totals"]["sessions"]
        assert points(html, "villages_with_session", "value")[key] == report["totals"]["villages_with_session"]
        assert points(html, "villages_with_session", "target")[key] == report["totals"]["villages"]
        assert points(html, "sessions", "target")[key] == report["totals"]["villages"] * report["weeks_in_month"]
        for indicator in report["indicators"]:
            drawn = points(html, indicator["id"], "value")
            if indicator["percent"] is None:
                assert key not in drawn
            else:
                assert drawn[key] == indicator["percent"]
            if indicator["target"] is not None:
                assert points(html, indicator["id"], "target")[key] == indicator["target"]
    # The script: adults confirmed on VNeID 1.000/5.000 in September, 1.234/5.000 in October; one session in
    # September (30/09), five in October (a sixth deleted).
    assert points(html, "adults_vneid_confirmed", "value") == {"2026-09": 20.0, "2026-10": 24.68}
    assert sessions["2026-10"] == 5 and sessions["2026-09"] == 1


async def test_a_village_page_has_no_trend(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[MEMBER], web_clock)
    page = await client.get(f"/web/village/{month.villages['Thôn 2']}?month=2026-10")
    assert page.status == 200
    assert 'data-testid="trend"' not in await page.text()


def test_the_trend_runs_from_january_to_the_chosen_month_never_past_today() -> None:
    today = dt.date(2026, 11, 19)
    assert trend_months(Period.month(dt.date(2026, 3, 1)), today) == [dt.date(2026, m, 1) for m in (1, 2, 3)]
    assert trend_months(Period.month(dt.date(2026, 11, 1)), today)[-1] == dt.date(2026, 11, 1)
    quarter = Period.holding(PERIOD_QUARTER, dt.date(2026, 10, 1))
    assert trend_months(quarter, today)[-1] == dt.date(2026, 11, 1)


def test_the_folded_weeks_and_months_equal_each_weeks_and_months_roll_up(database: Database, month: Month) -> None:
    """The heat-map's cells and the trend are folded from one day-by-day read (storage/progress/series.py): each
    equals the very roll-up the report makes for that week or month, for a month, a quarter and a village."""
    today = dt.date(2026, 11, 19)
    scope = Scope.operator()
    village = month.villages["Thôn 2"]
    with database.session() as session:
        for period in (Period.month(dt.date(2026, 10, 1)), Period.month(today), Period.holding(PERIOD_QUARTER, today)):
            view = area_view(session, scope, SON_KIM_1, period, today)
            for column, week in enumerate(view.weeks):
                if week.start > today:
                    assert all(row.cells[column].sessions is None for row in view.rows)
                    continue
                rolled = commune_progress(session, scope, SON_KIM_1, week, as_of(week, today))
                expected = {v.village_id: (v.sessions, v.attendees, v.helped) for v in rolled.villages}
                cells = {
                    r.id: (r.cells[column].sessions, r.cells[column].attendees, r.cells[column].helped)
                    for r in view.rows
                }
                assert cells == expected, (period, week)
            assert [t.month for t in view.trend] == trend_months(period, today)
            for point in view.trend:
                one = Period.month(point.month)
                rolled = commune_progress(session, scope, SON_KIM_1, one, as_of(one, today))
                assert point.sessions == rolled.sessions
                assert point.villages == len(rolled.villages)
                assert point.villages_with_session == sum(1 for v in rolled.villages if v.sessions)
                assert point.indicators == rolled.indicators, point.month
        with_village = session.get(Village, village)
        assert with_village is not None
        one_village = area_view(
            session,
            Scope("member", HA_TINH, SON_KIM_1, village),
            SON_KIM_1,
            Period.month(dt.date(2026, 10, 1)),
            today,
            village=with_village,
        )
        assert [r.id for r in one_village.rows] == [village] and one_village.trend == []
        assert [c.sessions for c in one_village.rows[0].cells] == [0, 0, 0, 0, 1]
