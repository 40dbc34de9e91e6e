"""Benchmark of the programmes' roll-up (storage/progress/programmes.py) against hand-written SQL in the same run.

On the data set of bench/reports_data.py (every commune at `--scale`, ~30 villages each), every province turns on
Gia đình số, Đại sứ số and Chợ số 4T; most villages get a household count; each village logs, every month
from January to October, households of Gia đình số, a 4T training every other month, and its three mentors'
mentees. Then, for October, it times (median of several runs):
  * a commune's programmes        commune_programmes    (goal < 20 ms)
  * the largest province's        province_programmes   (goal < 300 ms)
each beside the same figures from hand-written statements run through the bare DB-API cursor, and prints the
ratio (goal <= 1.5). The numbers of both are compared first.

    python bench/programmes.py --scale 0.1      # SQLite; PostgreSQL too when BDHVS_TEST_DATABASE_URL is set
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlmodel import Session

from bench import reports as base  # bench/reports.py: the timing and the databases
from bench.reports_data import MONTH, chunks  # the data set
from bench.reports_hand_sql import HandSQL  # the DB-API runner
from storage.db import Database
from storage.models import ProgrammeRecord, ProvinceProgramme
from storage.progress.programmes import ProgrammeProgress, commune_programmes, province_programmes
from storage.scope import Scope

PROGRAMMES = ("cho_so_4t", "dai_su_so", "gia_dinh_so")
GOALS = {"commune": 0.020, "province": 0.300}

_RECORDS = """
SELECT r.commune_code, r.programme, r.unit,
       SUM(CASE WHEN r.record_date >= :s THEN r.count ELSE 0 END),
       SUM(r.count),
       SUM(CASE WHEN v.households IS NOT NULL THEN r.count ELSE 0 END)
FROM programmerecord r JOIN village v ON v.id = r.village_id
WHERE {area} AND r.record_date >= :jan AND r.record_date <= :e AND r.deleted_at IS NULL
GROUP BY r.commune_code, r.programme, r.unit
"""
_HOUSEHOLDS = """
SELECT v.commune_code, SUM(v.households), COUNT(v.households) FROM village v WHERE {area} GROUP BY v.commune_code
"""
_MENTORS = """
SELECT commune_code, COUNT(*), SUM(CASE WHEN mentees >= 5 THEN 1 ELSE 0 END) FROM (
  SELECT r.commune_code, r.mentor, SUM(r.count) AS mentees FROM programmerecord r
  WHERE {area} AND r.programme = 'dai_su_so' AND r.unit = 'people' AND r.mentor IS NOT NULL
    AND r.record_date >= :jan AND r.record_date <= :e AND r.deleted_at IS NULL
  GROUP BY r.commune_code, r.mentor) m
GROUP BY commune_code
"""
_COMMUNE = "{alias}.commune_code = :c"
_PROVINCE = "{alias}.commune_code IN (SELECT code FROM commune WHERE province_code = :p)"


class Hand(HandSQL):
    """The three statements for a commune and for a province, on the bare DB-API cursor."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        for scope, area in (("commune", _COMMUNE), ("province", _PROVINCE)):
            for name, sql in (("records", _RECORDS), ("households", _HOUSEHOLDS), ("mentors", _MENTORS)):
                alias = "v" if name == "households" else "r"
                self.sql[f"{scope}.{name}"] = self._dialect(sql.format(area=area.format(alias=alias)))

    def totals(self, scope: str, params: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
        """The province's (or commune's) figures by programme: what `_numbers_ours` reads."""
        figures: dict[tuple[str, str], list[int]] = {}
        for _code, programme, unit, month, year, covered in self.run(f"{scope}.records", params):
            have = figures.setdefault((programme, unit), [0, 0, 0])
            for index, value in enumerate((month, year, covered)):
                have[index] += int(value or 0)
        households = sum(int(row[1] or 0) for row in self.run(f"{scope}.households", params))
        mentors = reached = 0
        for _code, named, done in self.run(f"{scope}.mentors", params):
            mentors, reached = mentors + int(named), reached + int(done or 0)
        family = figures.get(("gia_dinh_so", "households"), [0, 0, 0])
        traders = figures.get(("cho_so_4t", "traders"), [0, 0, 0])
        guided = figures.get(("dai_su_so", "people"), [0, 0, 0])
        return {
            "gia_dinh_so": (family[0], family[1], family[2], households),
            "cho_so_4t": (traders[0], traders[1]),
            "dai_su_so": (guided[0], reached, mentors),
        }


def _numbers_ours(items: list[ProgrammeProgress]) -> dict[str, tuple[Any, ...]]:
    by_id = {item.id: item for item in items}
    family, traders, mentors = by_id["gia_dinh_so"], by_id["cho_so_4t"], by_id["dai_su_so"]
    return {
        "gia_dinh_so": (family.month_figure, family.figure, family.covered, family.denominator or 0),
        "cho_so_4t": (traders.month_figure, traders.figure),
        "dai_su_so": (mentors.month_figure, mentors.figure, mentors.denominator or 0),
    }


def add_programmes(database: Database, seed: int = 2026) -> int:
    """Turn the programmes on everywhere, set households, log a year of figures; the rows logged."""
    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    with database.engine.begin() as connection:
        if connection.execute(text("SELECT COUNT(*) FROM programmerecord")).scalar():
            return int(connection.execute(text("SELECT COUNT(*) FROM programmerecord")).scalar() or 0)
        provinces = [int(p) for (p,) in connection.execute(text("SELECT DISTINCT province_code FROM commune"))]
        connection.execute(
            insert(ProvinceProgramme),
            [
                {"province_code": p, "programme": programme, "enabled": True, "updated_at": now}
                for p in provinces
                for programme in PROGRAMMES
            ],
        )
        villages = connection.execute(text("SELECT id, commune_code FROM village ORDER BY id")).all()
        member_of: dict[int, int] = dict(
            connection.execute(text("SELECT commune_code, MIN(id) FROM member GROUP BY commune_code")).all()
        )
        counted = [{"h": rng.randint(60, 400), "v": vid} for vid, _code in villages if rng.random() < 0.9]
        connection.execute(text("UPDATE village SET households = :h WHERE id = :v"), counted)
        rows: list[dict[str, Any]] = []
        for vid, code in villages:
            member = member_of.get(code)
            if member is None:
                continue
            shared = {"commune_code": code, "village_id": vid, "member_id": member, "author_id": member}
            shared |= {"source": "text", "created_at": now, "updated_at": now}
            for month in range(1, MONTH.month + 1):
                day = dt.date(2026, month, rng.randint(1, 28))
                rows.append({**shared, "programme": "gia_dinh_so", "record_date": day, "count": rng.randint(0, 6)})
                rows[-1]["unit"] = "households"
                if month % 2:
                    rows.append({**shared, "programme": "cho_so_4t", "unit": "traders", "record_date": day, "count": 5})
                mentor = f"Đại sứ {vid}-{rng.randint(1, 3)}"
                rows.append(
                    {**shared, "programme": "dai_su_so", "unit": "people", "record_date": day, "count": 1}
                    | {"mentor": mentor}
                )
        for batch in chunks(iter(rows)):
            connection.execute(insert(ProgrammeRecord), batch)
    return len(rows)


def measure(database: Database, label: str, runs: int) -> list[tuple[str, float, float]]:
    """Check the numbers agree, then time ours and the hand-written statements, interleaved."""
    hand = Hand(database)
    scope = Scope.operator()
    period = {"s": MONTH, "e": dt.date(2026, 10, 31), "jan": dt.date(2026, 1, 1)}
    with database.session() as session:
        communes = [c for (c,) in session.execute(text("SELECT DISTINCT commune_code FROM village ORDER BY 1"))]
        largest = session.execute(
            text(
                "SELECT c.province_code FROM village v JOIN commune c ON v.commune_code = c.code "
                "GROUP BY c.province_code ORDER BY COUNT(DISTINCT c.code) DESC, c.province_code LIMIT 1"
            )
        ).scalar_one()
        sample = random.Random(7).sample(communes, min(len(communes), 40))
        for code in sample[:5]:
            ours = _numbers_ours(commune_programmes(session, scope, code, MONTH))
            assert ours == hand.totals("commune", {**period, "c": code}), code
        ours_p = _numbers_ours(province_programmes(session, scope, largest, MONTH).total)
        assert ours_p == hand.totals("province", {**period, "p": largest}), largest
    print(f"  [{label}] same numbers both ways: 5 communes, province {largest} ✓", flush=True)
    session = Session(database.engine)
    turns = iter(range(10**9))
    hand_turns = iter(range(10**9))
    cases = [
        (
            "commune",
            f"commune programmes ({len(sample)} communes)",
            lambda: commune_programmes(session, scope, sample[next(turns) % len(sample)], MONTH),
            lambda: hand.totals("commune", {**period, "c": sample[next(hand_turns) % len(sample)]}),
            runs * 10,
        ),
        (
            "province",
            f"province programmes (province {largest})",
            lambda: province_programmes(session, scope, largest, MONTH),
            lambda: hand.totals("province", {**period, "p": largest}),
            runs,
        ),
    ]
    results = []
    for key, title, ours_fn, hand_fn, n in cases:
        ours_fn(), hand_fn()
        ours_times, hand_times = [], []
        for _ in range(3):
            hand_times.append(base.median_time(hand_fn, max(1, n // 3)))
            ours_times.append(base.median_time(ours_fn, max(1, n // 3)))
        ours_t, hand_t = statistics.median(ours_times), statistics.median(hand_times)
        results.append((key, ours_t, hand_t))
        ratio = ours_t / hand_t if hand_t else float("inf")
        print(
            f"  [{label}] {title:<40} {ours_t * 1000:8.1f} ms (goal < {GOALS[key] * 1000:.0f} ms)   "
            f"hand-written SQL {hand_t * 1000:8.1f} ms   ratio {ratio:4.2f} (goal ≤ {base.RATIO_GOAL})",
            flush=True,
        )
    session.close()
    hand.close()
    return results


def run(database: Database, label: str, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    base.prepare(database, args.scale, label)
    print(f"  [{label}] programme figures: {add_programmes(database):,} rows", flush=True)
    return measure(database, label, args.runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 3,321 communes (default 1: all)")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per case (the commune case does 10x)")
    args = parser.parse_args(argv)
    print(f"bench/programmes.py — programmes' roll-up for {MONTH:%m/%Y}, scale {args.scale}", flush=True)
    results: dict[str, list[tuple[str, float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bdhvs-bench-") as folder:
        database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            results["sqlite"] = run(database, "sqlite", args)
        finally:
            database.dispose()
    url = os.environ.get("BDHVS_TEST_DATABASE_URL")
    if url:
        admin = Database(url)
        with admin.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {base.PG_SCHEMA} CASCADE")
            connection.exec_driver_sql(f"CREATE SCHEMA {base.PG_SCHEMA}")
        database = Database(base.pg_url_with_schema(url))
        try:
            results["postgresql"] = run(database, "postgresql", args)
        finally:
            database.dispose()
            with admin.engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {base.PG_SCHEMA} CASCADE")
            admin.dispose()
    print("\nsummary (median; ratio = ours / hand-written SQL in the same run)")
    failed = False
    for backend, rows in results.items():
        for key, ours, hand in rows:
            ratio = ours / hand if hand else float("inf")
            ok = ours < GOALS[key] and ratio <= base.RATIO_GOAL
            failed |= not ok
            print(f"  {backend:<10} {key:<9} {ours * 1000:9.1f} ms   ratio {ratio:4.2f}   {'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
