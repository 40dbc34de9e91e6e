"""Benchmark of the leaders' pages at national scale, against `bdhvs report --format json` in the same run.

The data set is bench/reports_data.py's (every commune of the official list, ~30 villages each, a year of weekly
sessions entered at realistic times, help, indicator figures, targets and reports). On it, the real aiohttp
application of the pages (`bot/webpages/routes.py`) serves, in this process:
  * the largest province's page (168 communes)  GET /web/province/{code}?month=   goal < 300 ms
  * a commune's page                            GET /web/commune/{code}?month=    goal < 50 ms
timed on the server (a middleware around the handler: reading the cookie, the database, the HTML), each beside
building the same figures as `bdhvs report --province|--commune --format json` (bot/reports/data.py, then
json.dumps), on the same database in the same run; the ratio page / report has a goal of ≤ 1.5.

A page keeps what it reads of each commune until the commune changes (storage/kept.py): the timed views come
after every page was opened once, as leaders open them again and again. Printed beside them: the first views
once everything kept is dropped, and the province page after a session changed in 1, 10, 24 and 25 of its
communes (those read again: one by one up to 24, then all at once).

    python bench/dashboard.py                    # SQLite; PostgreSQL too when BDHVS_TEST_DATABASE_URL is set
    python bench/dashboard.py --scale 0.1        # a tenth of the communes, for a quick look
    python bench/dashboard.py --sqlite /tmp/b.db --keep   # keep the data set (shared with bench/reports.py)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlmodel import Session

from bench.reports import PG_SCHEMA, kept_signature, pg_url_with_schema, prepare, signature
from bench.reports_data import MONTH, TODAY
from bot.clock import FixedClock
from bot.reports.data import commune_report, province_report
from bot.settings import Config
from bot.webpages.routes import COOKIE, add_leaders_routes
from bot.webpages.views import days_of, trend_months, trend_of
from storage.db import Database
from storage.models import Member
from storage.periods import Period
from storage.progress import commune_progress
from storage.progress.series import daily_activity
from storage.reports import DEFAULT_DEADLINE_DAY
from storage.scope import Scope
from storage.supervision.entries import load_entries
from storage.supervision.rules import commune_flags
from storage.supervision.tallies import ONE_BY_ONE, commune_flags_kept
from storage.web_access import open_session

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=VN)
GOALS = {"province": 0.300, "commune": 0.050}
RATIO_GOAL = 1.5
SERVER_TIME = web.AppKey("server_time", list)


def pick_areas(database: Database) -> tuple[int, int, list[int]]:
    """The province with the most communes, the number of its communes, and a sample of communes to open."""
    with database.session() as session:
        province, count = session.execute(
            text(
                "SELECT c.province_code, COUNT(DISTINCT c.code) FROM village v JOIN commune c "
                "ON v.commune_code = c.code GROUP BY c.province_code ORDER BY 2 DESC, 1 LIMIT 1"
            )
        ).one()
        communes = [c for (c,) in session.execute(text("SELECT DISTINCT commune_code FROM village ORDER BY 1"))]
    return int(province), int(count), random.Random(7).sample(communes, min(len(communes), 20))


def sessions_for(database: Database, province: int, communes: list[int]) -> tuple[str, dict[int, str]]:
    """A province viewer's and each sampled commune's admin's session cookies (the people the pages serve)."""
    with database.session() as session:
        viewer = Member(display_name="Sở KH&CN", role="province_viewer", province_code=province, created_at=NOW)
        session.add(viewer)
        admins = {}
        for code in communes:
            province_of = session.execute(text("SELECT province_code FROM commune WHERE code = :c"), {"c": code})
            admin = Member(
                display_name=f"Cán bộ xã {code}",
                role="commune_admin",
                province_code=province_of.scalar_one(),
                commune_code=code,
                created_at=NOW,
            )
            session.add(admin)
            admins[code] = admin
        session.flush()
        return open_session(session, viewer, NOW), {code: open_session(session, m, NOW) for code, m in admins.items()}


@web.middleware
async def server_timer(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> Any:
    """The handler's time, from the request read to the response built (what the server spends)."""
    started = time.perf_counter()
    response = await handler(request)
    request.app[SERVER_TIME].append(time.perf_counter() - started)
    return response


async def measure(database: Database, label: str, runs: int) -> list[tuple[str, float, float]]:
    """Time each page on the server and the JSON report of the same area, interleaved, and print both."""
    province, count, communes = pick_areas(database)
    viewer, admins = sessions_for(database, province, communes)
    config = Config(database_url=database.url, demo_data=False, public_url="http://bench.test")
    clock = FixedClock(NOW)
    app = web.Application(middlewares=[server_timer])
    app[SERVER_TIME] = []
    add_leaders_routes(app, database, config, clock, lambda: ())  # no bot: no Mini App sign-in
    month = f"{MONTH:%Y-%m}"
    scope = Scope.operator()
    results = []
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:

        async def page(path: str, cookie: str) -> float:
            app[SERVER_TIME].clear()
            response = await client.get(f"{path}?month={month}", cookies={COOKIE: cookie})
            assert response.status == 200, (path, response.status, await response.text())
            await response.read()
            return float(app[SERVER_TIME][-1])

        def report(kind: str, code: int) -> float:
            started = time.perf_counter()
            with database.session(readonly=True) as session:
                if kind == "province":
                    data = province_report(session, scope, code, MONTH, tz=config.tz, now=NOW)
                else:
                    data = commune_report(session, scope, code, MONTH, today=TODAY, tz=config.tz, now=NOW)
                json.dumps(data, ensure_ascii=False, indent=2)
            return time.perf_counter() - started

        cases: list[tuple[str, str, Callable[[int], Awaitable[float]], Callable[[int], float], int]] = [
            (
                "province",
                f"province page ({count} communes, province {province})",
                lambda i: page(f"/web/province/{province}", viewer),
                lambda i: report("province", province),
                runs,
            ),
            (
                "commune",
                f"commune page ({len(communes)} communes in turn)",
                lambda i: page(f"/web/commune/{communes[i % len(communes)]}", admins[communes[i % len(communes)]]),
                lambda i: report("commune", communes[i % len(communes)]),
                runs * 4,
            ),
        ]
        for i in range(len(communes)):  # every page once: what they read is kept (see the first views below)
            await cases[1][2](i)
        for key, title, page_fn, report_fn, n in cases:
            await page_fn(0), report_fn(0)  # warm the caches once
            page_times, report_times = [], []
            for i in range(n):  # interleaved, so drift hits both sides alike
                report_times.append(await asyncio.to_thread(report_fn, i))
                page_times.append(await page_fn(i))
            page_t, report_t = statistics.median(page_times), statistics.median(report_times)
            ratio = page_t / report_t if report_t else float("inf")
            results.append((key, page_t, ratio))
            goal = GOALS[key]
            print(
                f"  [{label}] {title:<48} {page_t * 1000:8.1f} ms  (goal < {goal * 1000:.0f} ms "
                f"{'✓' if page_t < goal else '✗'})   report --format json {report_t * 1000:8.1f} ms   "
                f"ratio {ratio:4.2f} (goal ≤ {RATIO_GOAL} {'✓' if ratio <= RATIO_GOAL else '✗'})",
                flush=True,
            )
        # What was kept, dropped: each page's first view (the process, the database's cache already warm).
        forget_kept(database)
        cold_province = await cases[0][2](0)
        cold_communes = [await cases[1][2](i) for i in range(len(communes))]
        print(
            f"  [{label}] first views, nothing kept (each commune's reads read again and kept): province page "
            f"{cold_province * 1000:.1f} ms; commune pages {statistics.median(cold_communes) * 1000:.1f} ms "
            "(median)",
            flush=True,
        )
        for changed in CHANGED_COMMUNES:
            times = []
            for run in range(3):
                touch_communes(database, province, changed, seed=run)
                times.append(await cases[0][2](0))
            print(
                f"  [{label}] province page after a session changed in each of {changed} of its communes "
                f"(their flags read again): {statistics.median(times) * 1000:.1f} ms",
                flush=True,
            )
    breakdown(database, label, communes, runs * 4)
    return results


# How many of the province's communes change between two views of its page, in the partial-change figures.
CHANGED_COMMUNES = (1, 10, ONE_BY_ONE, ONE_BY_ONE + 1)


def forget_kept(database: Database) -> None:
    """Drop every kept read (storage/kept.py): the next views read everything as a first view does."""
    with database.session() as session:
        session.execute(text("DELETE FROM keptread"))


def touch_communes(database: Database, province: int, count: int, seed: int) -> None:
    """Change one session in each of `count` communes of the province (its `updated_at`, to the same value),
    as a team logging or correcting one would: the database bumps those communes' numbers."""
    with database.session() as session:
        codes = [
            c for (c,) in session.execute(text("SELECT code FROM commune WHERE province_code = :p"), {"p": province})
        ]
        for code in random.Random(seed).sample(sorted(codes), count):
            session.execute(
                text(
                    "UPDATE trainingsession SET updated_at = updated_at WHERE id = "
                    "(SELECT MIN(id) FROM trainingsession WHERE commune_code = :c)"
                ),
                {"c": code},
            )


def breakdown(database: Database, label: str, communes: list[int], runs: int) -> None:
    """Where a commune page's time goes: each read `bot/webpages/views.py:area_view` makes, timed alone."""
    scope, period, tz = Scope.operator(), Period.month(MONTH), Config(database_url="sqlite://").tz
    months = trend_months(period, TODAY)

    def flags_and_days(session: Session, code: int) -> Any:
        entries = load_entries(session, [code], period, tz)
        return commune_flags(entries.sessions, period, entries.deadline_days.get(code, DEFAULT_DEADLINE_DAY)), days_of(
            entries, period
        )

    parts: dict[str, Callable[[Session, int], Any]] = {
        "the month's roll-up (as the report)": lambda s, c: commune_progress(s, scope, c, period, TODAY),
        "entries worth a second look read, and the heat-map's days from them": lambda s, c: flags_and_days(s, c),
        "entries worth a second look kept, and the heat-map's days read": lambda s, c: (
            commune_flags_kept(s, c, period, tz),
            daily_activity(s, c, period.start, period.end),
        ),
        f"trend: {len(months)} months": lambda s, c: trend_of(s, c, months, 30),
    }
    figures = []
    for name, part in parts.items():
        times = []
        with database.session(readonly=True) as session:
            part(session, communes[0])
            for i in range(runs):
                started = time.perf_counter()
                part(session, communes[i % len(communes)])
                times.append(time.perf_counter() - started)
        figures.append(f"{name} {statistics.median(times) * 1000:.1f} ms")
    print(f"  [{label}] the commune page's reads: " + "; ".join(figures), flush=True)


def run_postgres(url: str, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    """On PostgreSQL, in bench/reports.py's schema (kept with --keep, dropped otherwise)."""
    base = Database(url)
    with base.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
    database = Database(pg_url_with_schema(url))
    if not args.keep or kept_signature(database) not in (None, signature(args.scale)):
        database.dispose()
        with base.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
        database = Database(pg_url_with_schema(url))
    try:
        prepare(database, args.scale, "postgresql")
        return asyncio.run(measure(database, "postgresql", args.runs))
    finally:
        database.dispose()
        if not args.keep:
            with base.engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        base.dispose()


def run_sqlite(args: argparse.Namespace) -> list[tuple[str, float, float]]:
    """On SQLite: a temporary file, or --sqlite (reused with --keep when it holds the same data set)."""
    if args.sqlite:
        path = Path(args.sqlite)
        stale = False
        if path.exists() and args.keep:  # a kept file of another data set (an older version, another scale)
            database = Database(f"sqlite:///{path}")
            stale = kept_signature(database) not in (None, signature(args.scale))
            database.dispose()
        if path.exists() and (not args.keep or stale):
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        return _run_sqlite_at(path, args)
    with tempfile.TemporaryDirectory(prefix="bdhvs-bench-") as folder:
        return _run_sqlite_at(Path(folder) / "bench.db", args)


def _run_sqlite_at(path: Path, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    database = Database(f"sqlite:///{path}")
    try:
        prepare(database, args.scale, "sqlite")
        return asyncio.run(measure(database, "sqlite", args.runs))
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 3,321 communes (default 1: all)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of the province page (the commune 4x)")
    parser.add_argument("--sqlite", help="SQLite file to use (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the data set and reuse it when it matches")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    print(f"bench/dashboard.py — the leaders' pages for {MONTH:%m/%Y}, scale {args.scale}", flush=True)
    results: dict[str, list[tuple[str, float, float]]] = {}
    if not args.no_sqlite:
        results["sqlite"] = run_sqlite(args)
    pg = os.environ.get("BDHVS_TEST_DATABASE_URL")
    if pg:
        results["postgresql"] = run_postgres(pg, args)
    else:
        print("  (set BDHVS_TEST_DATABASE_URL=postgresql://... to measure PostgreSQL too)")
    print("\nsummary (median server time; ratio = page / the same area's `bdhvs report --format json`)")
    failed = False
    for backend, rows in results.items():
        for key, page_t, ratio in rows:
            ok = page_t < GOALS[key] and ratio <= RATIO_GOAL
            failed |= not ok
            print(f"  {backend:<10} {key:<9} {page_t * 1000:8.1f} ms   ratio {ratio:4.2f}   {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
