"""Benchmark of the progress roll-ups at national scale, against hand-written SQL in the same run.

A generator (bench/reports_data.py) fills a database like the country after a year: every commune of the official
list (3,321; `--scale` keeps a share of them, spread over all provinces), ~30 villages each with its team lead, a
year of weekly sessions entered at realistic times, help records, monthly indicator figures, targets, and the
month's reports (most submitted, some late).

Then, for the last complete month, it times (median of several runs):
  * a commune's monthly progress   storage.progress.commune_progress   (goal < 20 ms)
  * the largest province's roll-up storage.progress.province_rollup    (goal < 300 ms)
  * the national roll-up           storage.progress.national_rollup    (goal < 3 s)
each beside one hand-written SQL statement computing the same numbers on the same database, run through
the bare DB-API cursor (bench/reports_hand_sql.py), and prints the ratio (goal <= 1.5). The numbers of both are
compared first.

    python bench/reports.py                      # SQLite; PostgreSQL too when BDHVS_TEST_DATABASE_URL is set
    python bench/reports.py --scale 0.1          # a tenth of the communes, for a quick look
    python bench/reports.py --sqlite /tmp/b.db --keep   # keep the data set and reuse it next time

On PostgreSQL the data goes into its own schema (`bdhvs_bench`), so tests sharing the database are not
disturbed; it is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bench.reports_data import MONTH, TODAY, WEEKS, generate
from bench.reports_hand_sql import HandSQL, check_same_numbers, commune_params, month_params
from storage.db import Database, normalize_url
from storage.migrate import upgrade
from storage.models import BotSetting
from storage.periods import Period
from storage.progress import commune_progress, national_rollup, province_rollup
from storage.scope import Scope

PG_SCHEMA = "bdhvs_bench"
GOALS = {"commune": 0.020, "province": 0.300, "national": 3.0}
RATIO_GOAL = 1.5


# -- timing -------------------------------------------------------------------------------------------


def median_time(function: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(database: Database, label: str, runs: int) -> list[tuple[str, float, float]]:
    """Check the numbers agree, then time ours and the hand-written statement, interleaved."""
    hand = HandSQL(database)
    scope = Scope.operator()
    results = []
    with database.session() as session:
        communes = [
            c
            for (c,) in session.execute(
                text("SELECT commune_code FROM village GROUP BY commune_code ORDER BY commune_code")
            )
        ]
        largest = session.execute(
            text(
                "SELECT c.province_code FROM village v JOIN commune c ON v.commune_code = c.code "
                "GROUP BY c.province_code ORDER BY COUNT(DISTINCT c.code) DESC, c.province_code LIMIT 1"
            )
        ).scalar_one()
    sample = random.Random(7).sample(communes, min(len(communes), 40))
    period = Period.month(MONTH)

    with database.session() as session:
        check_same_numbers(session, hand, scope, sample[:5], largest)
    print(f"  [{label}] same numbers both ways: commune, province {largest}, national ✓", flush=True)

    # Ours runs inside one open session, as it does inside the bot's transaction for a message; the
    # hand-written statement runs on the bare DB-API connection.
    session = Session(database.engine)
    cycle = iter(range(10**9))

    def ours_commune() -> None:
        commune_progress(session, scope, sample[next(cycle) % len(sample)], period, TODAY)

    hand_cycle = iter(range(10**9))

    def hand_commune() -> None:
        hand.run("commune", commune_params(sample[next(hand_cycle) % len(sample)]))

    def ours_province() -> None:
        province_rollup(session, scope, largest, MONTH)

    def ours_national() -> None:
        national_rollup(session, scope, MONTH)

    cases = [
        ("commune", f"commune monthly progress ({len(sample)} communes)", ours_commune, hand_commune, runs * 10),
        (
            "province",
            f"province roll-up (province {largest})",
            ours_province,
            lambda: hand.run("province", month_params(p=largest)),
            runs,
        ),
        (
            "national",
            "national roll-up (34 provinces)",
            ours_national,
            lambda: hand.run("national", month_params()),
            max(3, runs // 2),
        ),
    ]
    for key, title, ours_fn, hand_fn, n in cases:
        ours_fn(), hand_fn()  # warm the caches once
        ours_times, hand_times = [], []
        for _ in range(3):  # interleave, so drift hits both sides alike
            hand_times.append(median_time(hand_fn, max(1, n // 3)))
            ours_times.append(median_time(ours_fn, max(1, n // 3)))
        ours_t, hand_t = statistics.median(ours_times), statistics.median(hand_times)
        results.append((key, ours_t, hand_t))
        goal = GOALS[key]
        ratio = ours_t / hand_t if hand_t else float("inf")
        print(
            f"  [{label}] {title:<45} {ours_t * 1000:9.1f} ms  (goal < {goal * 1000:.0f} ms "
            f"{'✓' if ours_t < goal else '✗'})   hand-written SQL {hand_t * 1000:9.1f} ms   "
            f"ratio {ratio:4.2f} (goal ≤ {RATIO_GOAL} {'✓' if ratio <= RATIO_GOAL else '✗'})",
            flush=True,
        )
    session.close()
    hand.close()
    return results


# -- databases ----------------------------------------------------------------------------------------


def signature(scale: float) -> str:
    return f"reports-bench v3 scale={scale} weeks={WEEKS} month={MONTH.isoformat()}"


def kept_signature(database: Database) -> str | None:
    """The signature of the data set a kept database holds (None: empty or not a bench database)."""
    upgrade(database)
    with database.session() as session:
        setting = session.get(BotSetting, "bench.dataset")
        return setting.value if setting is not None else None


def prepare(database: Database, scale: float, label: str) -> None:
    """Generate the data set into an empty database, or reuse the same data set kept from an earlier run."""
    if kept_signature(database) == signature(scale):
        print(f"  [{label}] reusing the data set already there", flush=True)
        return
    started = time.perf_counter()
    print(f"  [{label}] generating the data set (scale {scale}) ...", flush=True)
    counts = generate(database, scale)
    with database.session() as session:
        session.merge(BotSetting(key="bench.dataset", value=signature(scale), updated_at=dt.datetime.now(dt.UTC)))
    print(
        f"  [{label}] generated in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items()),
        flush=True,
    )


def pg_url_with_schema(url: str) -> str:
    """The same database, with our own schema first on the search path."""
    parsed = make_url(normalize_url(url))
    return parsed.update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"}).render_as_string(hide_password=False)


def run_postgres(url: str, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    base = Database(url)
    with base.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
    database = Database(pg_url_with_schema(url))
    if not args.keep or kept_signature(database) not in (None, signature(args.scale)):
        database.dispose()
        with base.engine.begin() as connection:  # start from an empty schema
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {PG_SCHEMA}")
        database = Database(pg_url_with_schema(url))
    base.dispose()
    try:
        prepare(database, args.scale, "postgresql")
        return measure(database, "postgresql", args.runs)
    finally:
        database.dispose()
        if not args.keep:
            base = Database(url)
            with base.engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            base.dispose()


def run_sqlite(args: argparse.Namespace) -> list[tuple[str, float, float]]:
    if args.sqlite:
        path = Path(args.sqlite)
        stale = False
        if path.exists() and args.keep:
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
        return measure(database, "sqlite", args.runs)
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 3,321 communes (default 1: all)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per case (the commune case does 10x)")
    parser.add_argument("--sqlite", help="SQLite file to use (default: a temporary file)")
    parser.add_argument("--keep", action="store_true", help="keep the data set and reuse it when it matches")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    print(
        f"bench/reports.py — progress roll-ups for {MONTH:%m/%Y}, scale {args.scale} "
        f"({round(3321 * args.scale):,} communes, ~30 villages each, {WEEKS} weeks)",
        flush=True,
    )
    failed = False
    results: dict[str, list[tuple[str, float, float]]] = {}
    if not args.no_sqlite:
        results["sqlite"] = run_sqlite(args)
    pg = os.environ.get("BDHVS_TEST_DATABASE_URL")
    if pg:
        results["postgresql"] = run_postgres(pg, args)
    else:
        print("  (set BDHVS_TEST_DATABASE_URL=postgresql://... to measure PostgreSQL too)")
    print("\nsummary (median; ratio = ours / hand-written SQL in the same run)")
    for backend, rows in results.items():
        for key, ours, hand in rows:
            ratio = ours / hand if hand else float("inf")
            ok = ours < GOALS[key] and ratio <= RATIO_GOAL
            failed |= not ok
            print(f"  {backend:<10} {key:<9} {ours * 1000:9.1f} ms   ratio {ratio:4.2f}   {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
