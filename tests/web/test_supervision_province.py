"""The province's flags counted in SQL (storage/supervision/province.py) against the rules' own counts over the
same sessions read into Python (`rule_counts`): random sessions built to hit every rule (crowds and ties of the
median, runs of equal figures, late and back-dated entries near midnight and the deadline, bursts, households,
photos, deleted sessions), over months and a quarter, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Commune, HelpRecord, Member, TrainingSession, Village
from storage.periods import PERIOD_QUARTER, Period
from storage.progress import commune_progress, province_rollup
from storage.scope import Scope
from storage.supervision import RULES, province_flag_counts, rule_counts
from storage.supervision.honour import (
    Standing,
    _order,
    _villages,
    commune_roll,
    commune_roll_of,
    village_roll,
    village_roll_of,
)
from storage.supervision.province import province_sql_counts
from tests.conftest import VN
from tests.reports.conftest import HA_TINH, Month

PERIODS = [
    Period.month(dt.date(2026, 10, 1)),
    Period.month(dt.date(2026, 11, 1)),
    Period.holding(PERIOD_QUARTER, dt.date(2026, 10, 1)),
]


def scatter(database: Database, month: Month, seed: int, communes_at_most: int | None = None) -> None:
    """Eight more villages in each commune of the province (or of its first `communes_at_most`) and ~700
    sessions over September to November."""
    rand = random.Random(seed)
    stamp = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    with database.session() as session:
        communes = list(session.exec(select(Commune.code).where(Commune.province_code == HA_TINH)))
        communes = sorted(communes)[:communes_at_most] if communes_at_most else communes
        for code in communes:
            for n in range(8):
                households = rand.choice([None, None, 0, 6, 12, 40])
                session.add(
                    Village(
                        commune_code=code,
                        name=f"Xóm {n}",
                        name_key=f"xom {n} {code}",
                        created_at=stamp,
                        households=households,
                    )
                )
        session.flush()
        villages = list(session.exec(select(Village).where(Village.commune_code.in_(communes))))  # type: ignore[attr-defined]
        authors = list(month.members.values())[:4]
        assert session.get(Member, authors[0]) is not None
        first = dt.date(2026, 8, 20)
        for village in villages:
            usual = rand.choice([6, 10, 14])
            same = rand.random() < 0.3  # a village that enters the very same figures week after week
            for week in range(15):
                if rand.random() < 0.2:
                    continue
                day = first + dt.timedelta(days=7 * week + rand.randrange(7))
                attendees = usual if same else max(1, usual + rand.randrange(-4, 5))
                if rand.random() < 0.12:
                    attendees = rand.choice([30, 3 * usual, 3 * usual + 1, 45, 90])  # around the crowd's edges
                lag = rand.choice([0, 0, 0, 1, 7, 8, 14, 15, 30])
                entered = dt.datetime.combine(day + dt.timedelta(days=lag), dt.time(rand.choice([1, 16, 17, 23])))
                if rand.random() < 0.1:  # the last days before a deadline, back-dated
                    entered = dt.datetime(2026, rand.choice([10, 11]), rand.randrange(14, 22), rand.randrange(24))
                when = entered.replace(tzinfo=dt.UTC)  # 16:59 and 17:00 UTC fall on two local days
                author = authors[rand.randrange(len(authors))] if rand.random() < 0.5 else authors[0]
                evidence = [{"channel": "telegram", "file_id": "x"}] if rand.random() < 0.3 else []
                session.add(
                    TrainingSession(
                        commune_code=village.commune_code,
                        village_id=village.id or 0,
                        session_date=day,
                        attendees=attendees,
                        member_id=author,
                        author_id=author,
                        evidence=evidence,
                        created_at=when,
                        updated_at=when,
                        deleted_at=when if rand.random() < 0.05 else None,
                    )
                )
                if rand.random() < 0.4 and not same:
                    session.add(
                        HelpRecord(
                            commune_code=village.commune_code,
                            village_id=village.id or 0,
                            record_date=day,
                            kind="vneid_level2",
                            count=rand.randrange(1, 4),
                            member_id=author,
                            author_id=author,
                            created_at=when,
                            updated_at=when,
                        )
                    )
        # a burst: one person entering eight sessions of four villages on one day of November
        burst = dt.datetime(2026, 11, 12, 3, tzinfo=dt.UTC)
        for n in range(8):
            village = villages[n % 4]
            session.add(
                TrainingSession(
                    commune_code=village.commune_code,
                    village_id=village.id or 0,
                    session_date=dt.date(2026, 11, 1 + n),
                    attendees=9,
                    member_id=authors[1],
                    author_id=authors[1],
                    created_at=burst,
                    updated_at=burst,
                )
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_counts_are_the_rules_counts(database: Database, month: Month, seed: int) -> None:
    scatter(database, month, seed)
    seen: Counter[str] = Counter()
    with database.session() as session:
        for period in PERIODS:
            expected = rule_counts(session, HA_TINH, period, VN)
            assert province_sql_counts(session, HA_TINH, period, VN) == expected, period
            assert province_flag_counts(session, HA_TINH, period, VN) == expected
            for counts in expected.values():
                seen.update(counts)
    if seed == 1:  # the data reach every rule (else the comparison would prove little)
        assert set(seen) == set(RULES), seen


def test_a_zone_that_changes_its_offset_is_read_into_python_on_sqlite(database: Database, month: Month) -> None:
    scatter(database, month, 4)
    paris = ZoneInfo("Europe/Paris")  # summer time ends on 25/10/2026
    with database.session() as session:
        period = PERIODS[0]
        counted = province_sql_counts(session, HA_TINH, period, paris)
        expected = rule_counts(session, HA_TINH, period, paris)
        if database.is_sqlite:
            assert counted is None
        else:
            assert counted == expected  # PostgreSQL reads the zone itself
        assert province_flag_counts(session, HA_TINH, period, paris) == expected


@pytest.mark.parametrize("seed", [5])
def test_the_communes_honour_roll_counted_in_sql_is_the_villages_summed(
    database: Database, month: Month, seed: int
) -> None:
    scatter(database, month, seed)
    today = dt.date(2026, 11, 19)
    with database.session() as session:
        codes = {c.code: c.name for c in session.exec(select(Commune).where(Commune.province_code == HA_TINH))}
        for period in PERIODS:
            rows, weeks = _villages(session, list(codes), period, today)
            held: Counter[int] = Counter()
            villages: Counter[int] = Counter()
            came: Counter[int] = Counter()
            for village, village_weeks, attendees in rows:
                held[village.commune_code] += village_weeks
                villages[village.commune_code] += 1
                came[village.commune_code] += attendees
            expected = _order(
                [Standing(code, codes[code], held[code], weeks * villages[code], came[code]) for code in villages], 99
            )
            assert commune_roll(session, HA_TINH, period, today, size=99) == expected
            assert expected


@pytest.mark.parametrize("seed", [6])
def test_the_honour_rolls_from_the_roll_ups_equal_the_rolls_read_alone(
    database: Database, month: Month, seed: int
) -> None:
    """The pages take their honour rolls from the month's roll-ups (`commune_roll_of`, `village_roll_of`) once
    the period is over: the same standings as the rolls reading the sessions themselves; not before."""
    scatter(database, month, seed)
    today = dt.date(2026, 12, 3)
    scope = Scope.operator()
    with database.session() as session:
        communes = list(session.exec(select(Commune.code).where(Commune.province_code == HA_TINH)))
        for period in (Period.month(dt.date(2026, 9, 1)), Period.month(dt.date(2026, 10, 1)), PERIODS[1]):
            rollup = province_rollup(session, scope, HA_TINH, period.start)
            from_rollup = commune_roll_of(rollup.communes, period, today, size=99)
            assert from_rollup == commune_roll(session, HA_TINH, period, today, size=99)
            assert from_rollup
            for code in communes:
                progress = commune_progress(session, scope, code, period, today)
                of_villages = village_roll_of(progress.villages, period, today, size=99)
                assert of_villages == village_roll(session, code, period, today, size=99)
        november = Period.month(dt.date(2026, 11, 1))
        assert (
            commune_roll_of(
                province_rollup(session, scope, HA_TINH, november.start).communes, november, dt.date(2026, 11, 19)
            )
            is None
        )
        progress = commune_progress(session, scope, communes[0], november, dt.date(2026, 11, 19))
        assert village_roll_of(progress.villages, november, dt.date(2026, 11, 19)) is None
