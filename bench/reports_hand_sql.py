"""The yardstick of bench/reports.py: one hand-written SQL statement per roll-up (a commune's month, a province's,
the country's), run through the bare DB-API cursor, and the check that it and storage.progress give the same
numbers on the same database before either is timed.

Kept apart from the data set (bench/reports_data.py) and the timing (bench/reports.py): bench/programmes.py runs
its own statements through the same `HandSQL`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from bench.reports_data import MONTH, TODAY
from storage.db import Database
from storage.periods import Period, week_of
from storage.progress import commune_progress, national_rollup, province_rollup
from storage.scope import Scope

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


def check_same_numbers(session: Session, hand: HandSQL, scope: Scope, communes: Sequence[int], province: int) -> None:
    """Ours and the hand-written statements agree on `communes`, on `province`'s roll-up and on the national one
    (AssertionError naming the commune otherwise)."""
    period = Period.month(MONTH)
    for code in communes:
        ours = _commune_numbers_ours(commune_progress(session, scope, code, period, TODAY))
        assert ours == _commune_numbers_hand(hand.run("commune", commune_params(code))), code
    ours_p = _province_numbers_ours(province_rollup(session, scope, province, MONTH))
    assert ours_p == _province_numbers_hand(hand.run("province", month_params(p=province)))
    ours_n = _national_numbers_ours(national_rollup(session, scope, MONTH))
    assert ours_n == _national_numbers_hand(hand.run("national", month_params()))
