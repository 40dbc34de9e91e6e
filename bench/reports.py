"""Benchmark of the progress roll-ups at national scale, against hand-written SQL in the same run.

A generator fills a database like the country after a year: every commune of the official list (3,321;
`--scale` keeps a share of them, spread over all provinces), ~30 villages each with its team lead, a year of
weekly sessions (a village misses a week now and then, sometimes holds two; most with a photo; each entered at
a realistic time, see `EntryTimes`), help records, monthly indicator figures,
targets, and the month's reports (most submitted, some late). Rows go in with SQLAlchemy Core
`insert()` executemany, secondary indexes are built after the load.

Then, for the last complete month, it times (median of several runs):
  * a commune's monthly progress   storage.progress.commune_progress   (goal < 20 ms)
  * the largest province's roll-up storage.progress.province_rollup    (goal < 300 ms)
  * the national roll-up           storage.progress.national_rollup    (goal < 3 s)
each beside one hand-written SQL statement computing the same numbers on the same database, run through
the bare DB-API cursor, and prints the ratio (goal <= 1.5). The numbers of both are compared first.

    python bench/reports.py                      # SQLite; PostgreSQL too when BDHVS_TEST_DATABASE_URL is set
    python bench/reports.py --scale 0.1          # a tenth of the communes, for a quick look
    python bench/reports.py --sqlite /tmp/b.db --keep   # keep the data set and reuse it next time

On PostgreSQL the data goes into its own schema (`bdhvs_bench`), so tests sharing the database are not
disturbed; it is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import column, insert, literal_column, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.sql.expression import ColumnClause
from sqlmodel import Session, col

from storage.db import Database, normalize_url
from storage.indicators import INDICATORS
from storage.migrate import upgrade
from storage.models import (
    BotSetting,
    Commune,
    HelpRecord,
    IndicatorTarget,
    IndicatorValue,
    Member,
    MonthlyReport,
    TrainingSession,
    Village,
)
from storage.periods import Period, week_of
from storage.progress import commune_progress, national_rollup, province_rollup
from storage.reports import DEFAULT_DEADLINE_DAY
from storage.scope import Scope
from storage.vocab import HELP_KINDS, TOPICS

MONTH = dt.date(2026, 10, 1)  # the month measured: complete, reported in November
TODAY = dt.date(2026, 11, 25)
FIRST_DAY = dt.date(2025, 12, 1)  # a year of weeks up to the end of November 2026
WEEKS = 52
CHUNK = 20_000
PG_SCHEMA = "bdhvs_bench"
GOALS = {"commune": 0.020, "province": 0.300, "national": 3.0}
RATIO_GOAL = 1.5
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


# -- the data set -----------------------------------------------------------------------------------


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class EntryTimes:
    """When each session was entered: realistic and seeded, so supervision (storage/supervision) sees real work.

    Most sessions are entered by the village's team lead the same evening or within three days, some a few days
    later, a few more than a week late. Some communes fill a month in at the last minute: in a month they rush
    (about one in six, a quarter of the communes), the commune's officer enters most of its sessions in the
    office in the last days before the reporting deadline (the 20th of the next month), back-dated; the rest of
    the month's go in as usual. Nothing is entered after the data set's `now`.
    """

    DEADLINE_DAY = DEFAULT_DEADLINE_DAY

    def __init__(self, rng: random.Random, sqlite: bool, now: dt.datetime) -> None:
        self.rand = rng.random
        self.sqlite = sqlite
        self.now = now
        self._rushing: dict[int, frozenset[dt.date]] = {}
        self._stamps: dict[tuple[int, int], Any] = {}  # (days after FIRST_DAY, minutes of the day, UTC) -> value
        self.months = []  # the months up to the one measured: their deadlines have passed by `now`
        month = FIRST_DAY.replace(day=1)
        while month <= MONTH:
            self.months.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)

    def rushing_months(self, commune_code: int) -> frozenset[dt.date]:
        """The months a commune fills in just before the deadline (drawn once per commune)."""
        months = self._rushing.get(commune_code)
        if months is None:
            habit = self.rand() < 0.25
            months = frozenset(m for m in self.months if habit and self.rand() < 1 / 6)
            self._rushing[commune_code] = months
        return months

    def time(self, day: dt.date, rushing: frozenset[dt.date]) -> tuple[Any, bool]:
        """The entry time of a session held on `day` (the driver's value) and whether the officer entered it."""
        rand = self.rand
        month = day.replace(day=1)
        if month in rushing and rand() < 0.7:
            due = (month + dt.timedelta(days=32)).replace(day=self.DEADLINE_DAY)
            entered = due - dt.timedelta(days=int(rand() * 5))
            return self._stamp(entered, 8 * 60 + int(rand() * 9 * 60)), True  # office hours
        draw = rand()
        if draw < 0.55:
            late = 0
        elif draw < 0.87:
            late = 1 + int(rand() * 3)
        elif draw < 0.97:
            late = 4 + int(rand() * 4)
        else:
            late = 8 + int(rand() * 13)
        minutes = 17 * 60 + int(rand() * 5 * 60)  # the evening after the session, or a later evening
        return self._stamp(day + dt.timedelta(days=late), minutes), rand() < 0.03

    def _stamp(self, local_day: dt.date, minutes: int) -> Any:
        """A local day and minute (Vietnam, UTC+7) as the stored UTC time; never after `now`."""
        minutes -= minutes % 5
        key = ((local_day - FIRST_DAY).days, minutes)
        value = self._stamps.get(key)
        if value is None:
            moment = dt.datetime.combine(local_day, dt.time(minutes // 60, minutes % 60), VIETNAM).astimezone(dt.UTC)
            moment = min(moment, self.now - dt.timedelta(minutes=5))
            value = moment.strftime("%Y-%m-%d %H:%M:%S.000000") if self.sqlite else moment
            self._stamps[key] = value
        return value


def generate(database: Database, scale: float, seed: int = 2026) -> dict[str, int]:
    """Fill the database; returns how many rows of each kind went in."""
    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)
    counts: dict[str, int] = {}
    engine = database.engine
    with database.session() as session:
        communes = [
            (int(c), int(p))
            for c, p in session.execute(
                select(col(Commune.code), col(Commune.province_code)).order_by(col(Commune.code))
            )
        ]
    step = max(1, round(1 / scale)) if scale < 1 else 1
    communes = communes[::step]
    secondary = [
        ix
        for table in (TrainingSession.__table__, HelpRecord.__table__)  # type: ignore[attr-defined]
        for ix in table.indexes
    ]
    with engine.begin() as connection:
        for index in secondary:  # bulk load first, index after: the usual way to load a data set
            index.drop(connection)
    with engine.begin() as connection:
        officers = [  # the commune's officer: enters for a village now and then, and the back-dated rushes
            {
                "display_name": f"Cán bộ xã {code}",
                "role": "commune_admin",
                "province_code": province,
                "commune_code": code,
                "created_at": now,
            }
            for code, province in communes
        ]
        connection.execute(insert(Member), officers)
        officer_of = {
            code: mid
            for mid, code in connection.execute(
                text("SELECT id, commune_code FROM member WHERE role = 'commune_admin'")
            )
        }
        villages = []
        for code, _province in communes:
            for number in range(1, rng.randint(25, 35) + 1):
                villages.append(
                    {"commune_code": code, "name": f"Thôn {number}", "name_key": f"thon {number}", "created_at": now}
                )
        for batch in _chunks(iter(villages)):
            connection.execute(insert(Village), batch)
        counts["villages"] = len(villages)
        village_rows = connection.execute(text("SELECT id, commune_code FROM village ORDER BY id")).all()
        province_of = dict(communes)
        leads = (  # each village's team lead: whose sessions they are, and who enters them as a rule
            {
                "display_name": f"Tổ trưởng thôn {village_id}",
                "role": "team_lead",
                "province_code": province_of[code],
                "commune_code": code,
                "village_id": village_id,
                "created_at": now,
            }
            for village_id, code in village_rows
        )
        for batch in _chunks(leads):
            connection.execute(insert(Member), batch)
        lead_of = {
            village_id: mid
            for mid, village_id in connection.execute(
                text("SELECT id, village_id FROM member WHERE role = 'team_lead'")
            )
        }
    topics, kinds = list(TOPICS), list(HELP_KINDS)[:7]
    # The two big tables go through plain Core table clauses whose columns have no SQL type, so the values
    # reach the driver as they are: SQLAlchemy's per-row type processing would double the load time.
    # The values every row shares are written into the statement once instead of being sent row by row.
    sqlite = database.is_sqlite
    stamp: ColumnClause[Any] = literal_column(
        "'2026-11-25 03:00:00.000000'" if sqlite else "TIMESTAMPTZ '2026-11-25 03:00:00+00'"
    )
    shared = {"source": literal_column("'guided'"), "created_at": stamp, "updated_at": stamp}
    session_shared = {"source": literal_column("'guided'"), "updated_at": stamp}
    session_table = table(
        "trainingsession",
        *(
            column(n)
            for n in (
                "commune_code",
                "village_id",
                "session_date",
                "topics",
                "attendees",
                "member_id",
                "author_id",
                "source",
                "evidence",
                "created_at",
                "updated_at",
            )
        ),
    )
    help_table = table(
        "helprecord",
        *(
            column(n)
            for n in (
                "commune_code",
                "village_id",
                "record_date",
                "kind",
                "count",
                "member_id",
                "author_id",
                "source",
                "created_at",
                "updated_at",
            )
        ),
    )
    statements = {
        "s": insert(session_table).values(**session_shared),
        "h": insert(help_table).values(**shared),
    }
    topic_json = [json.dumps([t]) for t in topics]
    days = [FIRST_DAY + dt.timedelta(days=d) for d in range(7 * WEEKS)]
    day_values: list[Any] = [d.isoformat() for d in days] if sqlite else days
    offsets = (2, 4, 5, 6)
    rand = rng.random

    entered = EntryTimes(rng, sqlite, now)
    photo = json.dumps([{"channel": "telegram", "file_id": "bench-photo", "at": now.isoformat()}])

    def sessions_and_help() -> Iterator[tuple[str, dict[str, Any]]]:
        for village_id, code in village_rows:
            lead, officer = lead_of[village_id], officer_of[code]
            usual = 0.70 + 0.28 * rand()  # some villages meet every week, some skip often
            photos = 0.5 + 0.5 * rand()  # the share of sessions sent with a photo: most, a few villages never
            if photos < 0.53:
                photos = 0.0
            rushing = entered.rushing_months(code)
            for week in range(WEEKS):
                draw = rand()
                held = 2 if draw < 0.05 else (1 if draw < 0.05 + usual * 0.95 else 0)
                for _ in range(held):
                    index = 7 * week + offsets[int(rand() * 4)]
                    created, by_officer = entered.time(days[index], rushing)
                    yield (
                        "s",
                        {
                            "commune_code": code,
                            "village_id": village_id,
                            "session_date": day_values[index],
                            "topics": topic_json[int(rand() * 6)],
                            "attendees": 8 + int(rand() * 38),
                            "member_id": lead,
                            "author_id": officer if by_officer else lead,
                            "evidence": photo if rand() < photos else "[]",
                            "created_at": created,
                        },
                    )
                    draw = rand()  # half the sessions come with help counts: of one kind, a tenth with two
                    for kind in (
                        ()
                        if draw < 0.5
                        else (kinds[int(draw * 70) % 7],)
                        if draw < 0.9
                        else (kinds[int(draw * 70) % 7], kinds[(int(draw * 70) + 3) % 7])
                    ):
                        yield (
                            "h",
                            {
                                "commune_code": code,
                                "village_id": village_id,
                                "record_date": day_values[index],
                                "kind": kind,
                                "count": 1 + int(rand() * 15),
                                "member_id": lead,
                                "author_id": lead,
                            },
                        )

    counts["sessions"] = counts["help_records"] = 0
    buffers: dict[str, list[dict[str, Any]]] = {"s": [], "h": []}
    started = time.perf_counter()
    with engine.begin() as connection:
        if not sqlite:
            # Generated rows are consistent by construction: skip the per-row foreign-key triggers while
            # loading (the data set's loader runs as the database owner).
            connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for kind, row in sessions_and_help():
            buffers[kind].append(row)
            if len(buffers[kind]) >= CHUNK:
                connection.execute(statements[kind], buffers[kind])
                counts["sessions" if kind == "s" else "help_records"] += len(buffers[kind])
                buffers[kind] = []
        for kind, rows in buffers.items():
            if rows:
                connection.execute(statements[kind], rows)
                counts["sessions" if kind == "s" else "help_records"] += len(rows)
    print(f"    sessions and help records inserted in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    with engine.begin() as connection:
        for index in secondary:
            index.create(connection)
    print(f"    indexes built in {time.perf_counter() - started:.0f} s", flush=True)
    with engine.begin() as connection:
        values, reports = [], []
        for code, _province in communes:
            base = {i: rng.randint(200, 6000) for i in INDICATORS}
            for month in range(1, 11):
                for indicator, denominator in base.items():
                    share = min(1.0, rng.uniform(0.2, 0.6) + 0.04 * month)
                    values.append(
                        {
                            "commune_code": code,
                            "month": dt.date(2026, month, 1),
                            "indicator": indicator,
                            "numerator": int(denominator * share),
                            "denominator": denominator,
                            "updated_at": now,
                        }
                    )
            if rng.random() < 0.85:
                late = rng.random() < 0.2
                reports.append(
                    {
                        "commune_code": code,
                        "month": MONTH,
                        "status": "submitted",
                        "on_time": not late,
                        "submitted_at": now - dt.timedelta(days=3 if late else 8),
                    }
                )
        for batch in _chunks(iter(values)):
            connection.execute(insert(IndicatorValue), batch)
        connection.execute(insert(MonthlyReport), reports)
        provinces = sorted({p for _c, p in communes})
        targets = [
            {"year": 2026, "indicator": i, "scope": "province", "area_code": p, "percent": pct, "updated_at": now}
            for p in provinces
            for i, pct in zip(INDICATORS, (100, 100, 90, 80, 100, 90), strict=False)
        ]
        targets += [
            {
                "year": 2026,
                "indicator": "adults_vneid_confirmed",
                "scope": "commune",
                "area_code": c,
                "percent": 85.0,
                "updated_at": now,
            }
            for c, _p in communes[::7]
        ]
        connection.execute(insert(IndicatorTarget), targets)
        counts.update(indicator_values=len(values), reports=len(reports), communes=len(communes))
    if database.is_sqlite:
        with engine.begin() as connection:  # committed: the planner's statistics must stay
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return counts


# -- hand-written SQL ---------------------------------------------------------------------------------

WEEK_SQLITE = "CAST((julianday(session_date) - 2451546.5) / 7 AS INTEGER)"
WEEK_PG = "((session_date - DATE '2000-01-03') / 7)"

COMMUNE_SQL = """
WITH vw AS (
  SELECT village_id, {week} AS wk, COUNT(*) AS n, SUM(attendees) AS att FROM trainingsession
  WHERE commune_code = :c AND session_date >= :s AND session_date <= :e AND deleted_at IS NULL
  GROUP BY village_id, {week})
SELECT 'C', code, name, province_code, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT), CAST(NULL AS FLOAT) FROM commune WHERE code = :c
UNION ALL SELECT 'v', id, name, NULL, NULL, NULL, NULL, NULL, NULL FROM village WHERE commune_code = :c
UNION ALL SELECT 's', village_id, NULL, SUM(n), SUM(att), COUNT(*), NULL, NULL, NULL FROM vw GROUP BY village_id
UNION ALL SELECT 'W', 0, NULL, COUNT(DISTINCT wk), NULL, NULL, NULL, NULL, NULL FROM vw
UNION ALL SELECT 'h', village_id, kind, SUM(count), NULL, NULL, NULL, NULL, NULL FROM helprecord
  WHERE commune_code = :c AND record_date >= :s AND record_date <= :e AND deleted_at IS NULL
  GROUP BY village_id, kind
UNION ALL SELECT 'w', village_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM trainingsession
  WHERE commune_code = :c AND session_date >= :ws AND session_date <= :we AND deleted_at IS NULL
  GROUP BY village_id
UNION ALL SELECT 'i', CASE WHEN month = :m THEN 1 ELSE 0 END, indicator, numerator, denominator, NULL, NULL, NULL,
  NULL FROM indicatorvalue WHERE commune_code = :c AND month IN (:m, :pm)
UNION ALL SELECT 't', CASE WHEN scope = 'commune' THEN 1 ELSE 0 END, indicator, NULL, NULL, NULL, NULL, NULL, percent
  FROM indicatortarget WHERE year = :y AND ((scope = 'commune' AND area_code = :c)
  OR (scope = 'province' AND area_code = (SELECT province_code FROM commune WHERE code = :c)))
UNION ALL SELECT 'r', 0, status, CASE WHEN status = 'submitted' THEN 1 ELSE 0 END,
  CASE WHEN status = 'submitted' AND on_time THEN 1 ELSE 0 END, NULL, NULL, NULL, NULL
  FROM monthlyreport WHERE commune_code = :c AND month = :m
"""

PROVINCE_SQL = """
WITH pc AS (SELECT code FROM commune WHERE province_code = :p),
vw AS (
  SELECT commune_code, village_id, {week} AS wk, COUNT(*) AS n, SUM(attendees) AS att FROM trainingsession
  WHERE commune_code IN (SELECT code FROM pc) AND session_date >= :s AND session_date <= :e
    AND deleted_at IS NULL
  GROUP BY commune_code, village_id, {week})
SELECT 'c', code, name, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT), CAST(NULL AS FLOAT) FROM commune WHERE province_code = :p
UNION ALL SELECT 'n', commune_code, NULL, COUNT(*), NULL, NULL, NULL, NULL, NULL FROM village
  WHERE commune_code IN (SELECT code FROM pc) GROUP BY commune_code
UNION ALL SELECT 's', commune_code, NULL, SUM(n), SUM(att), COUNT(*), COUNT(DISTINCT village_id), COUNT(DISTINCT wk),
  NULL FROM vw GROUP BY commune_code
UNION ALL SELECT 'h', commune_code, kind, SUM(count), NULL, NULL, NULL, NULL, NULL FROM helprecord
  WHERE commune_code IN (SELECT code FROM pc) AND record_date >= :s AND record_date <= :e AND deleted_at IS NULL
  GROUP BY commune_code, kind
UNION ALL SELECT 'i', commune_code, indicator, numerator, denominator, NULL, NULL, NULL, NULL FROM indicatorvalue
  WHERE month = :m AND commune_code IN (SELECT code FROM pc)
UNION ALL SELECT 'r', commune_code, status, CASE WHEN status = 'submitted' THEN 1 ELSE 0 END,
  CASE WHEN status = 'submitted' AND on_time THEN 1 ELSE 0 END, NULL, NULL, NULL, NULL FROM monthlyreport
  WHERE month = :m AND commune_code IN (SELECT code FROM pc)
UNION ALL SELECT 't', CASE WHEN scope = 'commune' THEN area_code ELSE 0 END, indicator, NULL, NULL, NULL, NULL, NULL,
  percent FROM indicatortarget WHERE year = :y AND ((scope = 'province' AND area_code = :p)
  OR (scope = 'commune' AND area_code IN (SELECT code FROM pc)))
"""

NATIONAL_SQL = """
WITH vw AS (
  SELECT commune_code, village_id, {week} AS wk, COUNT(*) AS n, SUM(attendees) AS att FROM trainingsession
  WHERE session_date >= :s AND session_date <= :e AND deleted_at IS NULL
  GROUP BY commune_code, village_id, {week}),
per_commune AS (
  SELECT commune_code, SUM(n) AS n, SUM(att) AS att, COUNT(*) AS vw, COUNT(DISTINCT village_id) AS vs
  FROM vw GROUP BY commune_code),
help AS (
  SELECT commune_code, kind, SUM(count) AS total FROM helprecord
  WHERE record_date >= :s AND record_date <= :e AND deleted_at IS NULL GROUP BY commune_code, kind)
SELECT 'c', p.code, p.name, (SELECT COUNT(*) FROM commune c WHERE c.province_code = p.code), CAST(NULL AS BIGINT),
  CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS FLOAT) FROM province p
UNION ALL SELECT 'n', c.province_code, NULL, COUNT(*), NULL, NULL, NULL, NULL, NULL
  FROM village v JOIN commune c ON v.commune_code = c.code GROUP BY c.province_code
UNION ALL SELECT 's', c.province_code, NULL, SUM(pc.n), SUM(pc.att), SUM(pc.vw), SUM(pc.vs), NULL, NULL
  FROM per_commune pc JOIN commune c ON pc.commune_code = c.code GROUP BY c.province_code
UNION ALL SELECT 'h', c.province_code, h.kind, SUM(h.total), NULL, NULL, NULL, NULL, NULL
  FROM help h JOIN commune c ON h.commune_code = c.code GROUP BY c.province_code, h.kind
UNION ALL SELECT 'i', c.province_code, iv.indicator, SUM(iv.numerator), SUM(iv.denominator), COUNT(*), NULL, NULL,
  NULL FROM indicatorvalue iv JOIN commune c ON iv.commune_code = c.code WHERE iv.month = :m
  GROUP BY c.province_code, iv.indicator
UNION ALL SELECT 'r', c.province_code, NULL, SUM(CASE WHEN r.status = 'submitted' THEN 1 ELSE 0 END),
  SUM(CASE WHEN r.status = 'submitted' AND r.on_time THEN 1 ELSE 0 END), NULL, NULL, NULL, NULL
  FROM monthlyreport r JOIN commune c ON r.commune_code = c.code WHERE r.month = :m GROUP BY c.province_code
UNION ALL SELECT 't', area_code, indicator, NULL, NULL, NULL, NULL, NULL, percent FROM indicatortarget
  WHERE year = :y AND scope = 'province'
"""


class HandSQL:
    """Runs a hand-written statement through the bare DB-API cursor (no SQLAlchemy in the way)."""

    def __init__(self, database: Database) -> None:
        self.sqlite = database.is_sqlite
        self.raw = database.engine.raw_connection()
        week = WEEK_SQLITE if self.sqlite else WEEK_PG
        self.sql = {
            name: self._dialect(sql.format(week=week))
            for name, sql in (("commune", COMMUNE_SQL), ("province", PROVINCE_SQL), ("national", NATIONAL_SQL))
        }

    def _dialect(self, sql: str) -> str:
        if self.sqlite:
            return sql.replace("on_time THEN", "on_time = 1 THEN")
        import re

        return re.sub(r":(\w+)", r"%(\1)s", sql)

    def run(self, name: str, params: dict[str, Any]) -> Sequence[tuple[Any, ...]]:
        if self.sqlite:
            params = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in params.items()}
        cursor = self.raw.cursor()
        try:
            cursor.execute(self.sql[name], params)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not self.sqlite:
            self.raw.commit()
        return rows

    def close(self) -> None:
        self.raw.close()


def commune_params(code: int) -> dict[str, Any]:
    period = Period.month(MONTH)
    week = week_of(period.end)
    return {
        "c": code,
        "s": period.start,
        "e": period.end,
        "ws": week[0],
        "we": week[1],
        "m": MONTH,
        "pm": dt.date(2026, 9, 1),
        "y": 2026,
    }


def month_params(**extra: Any) -> dict[str, Any]:
    period = Period.month(MONTH)
    return {"s": period.start, "e": period.end, "m": MONTH, "y": 2026, **extra}


# -- checks: both ways give the same numbers ---------------------------------------------------------


def _commune_numbers_hand(rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    villages: dict[Any, list[Any]] = {r[1]: [0, 0, 0, {}, False] for r in rows if r[0] == "v"}
    out: dict[str, Any] = {"weeks": 0, "figures": {}}
    for tag, key, name, a, b, c, *_ in rows:
        if tag == "s":
            villages[key][:3] = [int(a), int(b), int(c)]
        elif tag == "h":
            villages[key][3][name] = int(a)
        elif tag == "w":
            villages[key][4] = True
        elif tag == "W":
            out["weeks"] = int(a)
        elif tag == "i" and key == 1:
            out["figures"][name] = (int(a), int(b))
    out["villages"] = villages
    return out


def _commune_numbers_ours(progress: Any) -> dict[str, Any]:
    return {
        "weeks": progress.weeks_with_session,
        "figures": {i.id: (i.numerator, i.denominator) for i in progress.indicators if i.denominator},
        "villages": {
            v.village_id: [v.sessions, v.attendees, v.weeks_with_session, v.help, v.session_this_week]
            for v in progress.villages
        },
    }


def _province_numbers_hand(rows: Sequence[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    out: dict[int, list[Any]] = {r[1]: [0, 0, 0, 0, 0, 0, {}, {}, False] for r in rows if r[0] == "c"}
    for tag, key, name, a, b, c, d, e, _f in rows:
        if tag == "n":
            out[key][0] = int(a)
        elif tag == "s":
            out[key][1:6] = [int(a), int(b), int(c), int(d), int(e)]
        elif tag == "h":
            out[key][6][name] = int(a)
        elif tag == "i":
            out[key][7][name] = (int(a), int(b))
        elif tag == "r":
            out[key][8] = bool(a)
    return {k: tuple(v) for k, v in out.items()}


def _province_numbers_ours(rollup: Any) -> dict[int, tuple[Any, ...]]:
    return {
        c.code: (
            c.villages,
            c.sessions,
            c.attendees,
            c.village_weeks,
            c.villages_with_session,
            c.weeks_with_session,
            c.help,
            c.figures,
            c.submitted,
        )
        for c in rollup.communes
    }


def _national_numbers_hand(rows: Sequence[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    out: dict[int, list[Any]] = {r[1]: [int(r[3]), 0, 0, 0, 0, 0, 0, {}, {}] for r in rows if r[0] == "c"}
    for tag, key, name, a, b, c, d, _e, _f in rows:
        if tag == "n":
            out[key][1] = int(a)
        elif tag == "s":
            out[key][2:6] = [int(a), int(b), int(c), int(d)]
        elif tag == "r":
            out[key][6] = int(a or 0)
        elif tag == "h":
            out[key][7][name] = int(a)
        elif tag == "i":
            out[key][8][name] = (int(a), int(b), int(c))
    return {k: tuple(v) for k, v in out.items()}


def _national_numbers_ours(provinces: Any) -> dict[int, tuple[Any, ...]]:
    return {
        p.code: (
            p.communes,
            p.villages,
            p.sessions,
            p.attendees,
            p.village_weeks,
            p.villages_with_session,
            p.submitted,
            p.help,
            p.figures,
        )
        for p in provinces
    }


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
        for code in sample[:5]:
            ours = _commune_numbers_ours(commune_progress(session, scope, code, period, TODAY))
            assert ours == _commune_numbers_hand(hand.run("commune", commune_params(code))), code
        ours_p = _province_numbers_ours(province_rollup(session, scope, largest, MONTH))
        assert ours_p == _province_numbers_hand(hand.run("province", month_params(p=largest)))
        ours_n = _national_numbers_ours(national_rollup(session, scope, MONTH))
        assert ours_n == _national_numbers_hand(hand.run("national", month_params()))
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
