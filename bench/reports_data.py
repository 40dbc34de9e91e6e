"""The data set of the reports benchmarks (bench/reports.py, bench/dashboard.py, bench/programmes.py): the country
after a year, generated into an empty database.

Every commune of the official list (3,321; `scale` keeps a share of them, spread over all provinces), ~30 villages
each with its team lead, a year of weekly sessions (a village misses a week now and then, sometimes holds two; most
with a photo; each entered at a realistic time, see `EntryTimes`), help records, monthly indicator figures, targets,
and the month's reports (most submitted, some late). Rows go in with SQLAlchemy Core `insert()` executemany,
secondary indexes are built after the load. Kept apart from the timing so that each benchmark on this data set
imports the generator alone.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import column, insert, literal_column, select, table, text
from sqlalchemy.sql.expression import ColumnClause
from sqlmodel import col

from storage.db import Database
from storage.indicators import INDICATORS
from storage.models import (
    Commune,
    HelpRecord,
    IndicatorTarget,
    IndicatorValue,
    Member,
    MonthlyReport,
    TrainingSession,
    Village,
)
from storage.reports import DEFAULT_DEADLINE_DAY
from storage.vocab import HELP_KINDS, TOPICS

MONTH = dt.date(2026, 10, 1)  # the month measured: complete, reported in November
TODAY = dt.date(2026, 11, 25)
FIRST_DAY = dt.date(2025, 12, 1)  # a year of weeks up to the end of November 2026
WEEKS = 52
CHUNK = 20_000
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    """The rows in lists of `size`, for executemany inserts that stay within memory."""
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
        for batch in chunks(iter(villages)):
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
        for batch in chunks(leads):
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
        for batch in chunks(iter(values)):
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
