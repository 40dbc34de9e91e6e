"""Reads of a commune kept until what they were read from changes (storage/kept.py): the database's triggers bump
a commune's number on every change the reads depend on, a kept read is used while the numbers and the code
are the same, and read again (equal to reading it anew) after any change, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import Counter

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.webpages.views import area_view
from storage import kept
from storage.db import Database
from storage.models import Commune, HelpRecord, Member, ProvinceSetting, TrainingSession, Village
from storage.periods import Period, month_of
from storage.progress.series import daily_activity, daily_activity_kept, monthly_sessions, monthly_sessions_kept
from storage.reports import DEFAULT_DEADLINE_DAY
from storage.scope import Scope
from storage.supervision import province_flag_counts, rule_counts, supervision_flags
from storage.supervision.entries import load_entries
from storage.supervision.rules import commune_flags
from storage.supervision.tallies import ONE_BY_ONE
from tests.conftest import VN
from tests.reports.conftest import HA_TINH, SON_KIM_1, SON_KIM_2, Month
from tests.web.test_supervision_province import scatter

OCTOBER, NOVEMBER = Period.month(dt.date(2026, 10, 1)), Period.month(dt.date(2026, 11, 1))
NOW = dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
SOME = 6  # communes given villages and sessions where one commune's reads are tested


def numbers(database: Database) -> dict[int, int]:
    with database.session(readonly=True) as session:
        return {int(c): int(v) for c, v in session.execute(text("SELECT commune_code, version FROM communechange"))}


def bumped(before: dict[int, int], after: dict[int, int]) -> set[int]:
    """The communes whose number grew."""
    return {code for code, version in after.items() if version > before.get(code, 0)}


def a_village(session: Session, commune: int) -> Village:
    village = session.exec(select(Village).where(Village.commune_code == commune)).first()
    assert village is not None and village.id is not None
    return village


def add_session(session: Session, village: Village, author: int, day: dt.date, attendees: int) -> TrainingSession:
    row = TrainingSession(
        commune_code=village.commune_code,
        village_id=village.id or 0,
        session_date=day,
        attendees=attendees,
        member_id=author,
        author_id=author,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(row)
    session.flush()
    return row


def add_help(session: Session, village: Village, author: int, day: dt.date, count: int) -> None:
    session.add(
        HelpRecord(
            commune_code=village.commune_code,
            village_id=village.id or 0,
            record_date=day,
            kind="vneid_level2",
            count=count,
            member_id=author,
            author_id=author,
            created_at=NOW,
            updated_at=NOW,
        )
    )


def test_every_change_the_reads_depend_on_bumps_its_commune(database: Database, month: Month) -> None:
    author = next(iter(month.members.values()))
    steps: list[tuple[str, set[int]]] = []

    def step(name: str, change: object) -> None:
        before = numbers(database)
        with database.session() as session:
            change(session)  # type: ignore[operator]
        steps.append((name, bumped(before, numbers(database))))

    held: dict[str, int] = {}

    def log(session: Session) -> None:
        held["id"] = add_session(session, a_village(session, SON_KIM_1), author, dt.date(2026, 11, 3), 12).id or 0

    def correct(session: Session) -> None:
        row = session.get(TrainingSession, held["id"])
        assert row is not None
        row.attendees = 13

    def withdraw(session: Session) -> None:
        row = session.get(TrainingSession, held["id"])
        assert row is not None
        row.deleted_at = NOW

    def move(session: Session) -> None:  # a session put right into another commune's village
        row = session.get(TrainingSession, held["id"])
        assert row is not None
        other = a_village(session, SON_KIM_2)
        row.commune_code, row.village_id = other.commune_code, other.id or 0

    def erase(session: Session) -> None:
        row = session.get(TrainingSession, held["id"])
        session.delete(row)

    def help_someone(session: Session) -> None:
        add_help(session, a_village(session, SON_KIM_1), author, dt.date(2026, 11, 3), 2)

    def count_households(session: Session) -> None:
        a_village(session, SON_KIM_2).households = 40

    def rename(session: Session) -> None:
        member = session.get(Member, author)
        assert member is not None
        member.display_name = member.display_name + " (tổ trưởng)"

    def keep_the_name(session: Session) -> None:
        member = session.get(Member, author)
        assert member is not None
        member.locale = "en"

    def move_the_deadline(session: Session) -> None:
        session.add(ProvinceSetting(province_code=HA_TINH, report_deadline_day=18, updated_at=NOW))

    for name, change in [
        ("log", log),
        ("correct", correct),
        ("withdraw", withdraw),
        ("move", move),
        ("erase", erase),
        ("help", help_someone),
        ("households", count_households),
        ("rename", rename),
        ("locale", keep_the_name),
        ("deadline", move_the_deadline),
    ]:
        step(name, change)
    assert dict(steps) == {
        "log": {SON_KIM_1},
        "correct": {SON_KIM_1},
        "withdraw": {SON_KIM_1},
        "move": {SON_KIM_1, SON_KIM_2},
        "erase": {SON_KIM_2},
        "help": {SON_KIM_1},
        "households": {SON_KIM_2},
        "rename": {kept.EVERY_COMMUNE},
        "locale": set(),  # nothing the reads read
        "deadline": {kept.EVERY_COMMUNE},
    }


def read_anew(session: Session, commune: int, period: Period) -> list:  # type: ignore[type-arg]
    entries = load_entries(session, [commune], period, VN)
    return commune_flags(entries.sessions, period, entries.deadline_days.get(commune, DEFAULT_DEADLINE_DAY))


def flagged_commune(database: Database, period: Period) -> int:
    """A commune of the province with flags over the period."""
    with database.session(readonly=True) as session:
        codes = session.exec(select(Commune.code).where(Commune.province_code == HA_TINH).order_by(Commune.code))
        for code in codes:
            if read_anew(session, code, period):
                return code
    raise AssertionError("no commune with flags")


def test_a_kept_read_is_used_while_nothing_changes_then_read_again(database: Database, month: Month) -> None:
    scatter(database, month, 1, communes_at_most=SOME)
    code = flagged_commune(database, NOVEMBER)
    with database.session() as session:
        first = supervision_flags(session, code, NOVEMBER, VN)
        assert first == read_anew(session, code, NOVEMBER) and first
    with database.session() as session:  # what is kept is what is used: made to say nothing, it says nothing
        session.execute(
            text("UPDATE keptread SET value = :v WHERE what = 'flags'"), {"v": '{"counts": {}, "flags": []}'}
        )
    with database.session() as session:
        assert supervision_flags(session, code, NOVEMBER, VN) == []
    with database.session() as session:  # any change of the commune: read again
        add_session(session, a_village(session, code), next(iter(month.members.values())), dt.date(2026, 9, 1), 5)
    with database.session() as session:
        again = supervision_flags(session, code, NOVEMBER, VN)
        assert again == read_anew(session, code, NOVEMBER) and again  # not the kept (emptied) one
    with database.session() as session:  # a member renamed (every commune): read again, with the new name
        session.execute(
            text("UPDATE keptread SET value = :v WHERE what = 'flags'"), {"v": '{"counts": {}, "flags": []}'}
        )
        member = session.exec(select(Member).where(Member.display_name == first[0].entries[0].logged_by)).first()
        assert member is not None
        member.display_name = "Chị Hoa"
    with database.session() as session:
        renamed = supervision_flags(session, code, NOVEMBER, VN)
        assert renamed == read_anew(session, code, NOVEMBER) and renamed
        assert "Chị Hoa" in {entry.logged_by for flag in renamed for entry in flag.entries}


def test_a_read_kept_by_other_code_is_not_used(database: Database, month: Month) -> None:
    scatter(database, month, 2, communes_at_most=SOME)
    code = flagged_commune(database, OCTOBER)
    with database.session() as session:
        assert supervision_flags(session, code, OCTOBER, VN)
        session.flush()
    with database.session() as session:
        session.execute(text("UPDATE keptread SET value = :v, code = 'another'"), {"v": '{"counts": {}, "flags": []}'})
    with database.session() as session:
        assert supervision_flags(session, code, OCTOBER, VN) == read_anew(session, code, OCTOBER) != []


def change_communes(database: Database, codes: list[int], rand: random.Random, author: int) -> None:
    """Real changes in each commune: a crowd logged, a session withdrawn or one corrected."""
    with database.session() as session:
        for code in codes:
            sessions = list(
                session.exec(
                    select(TrainingSession).where(
                        TrainingSession.commune_code == code,
                        TrainingSession.deleted_at.is_(None),  # type: ignore[union-attr]
                    )
                )
            )
            choice = rand.randrange(3)
            if choice == 0 or not sessions:
                add_session(session, a_village(session, code), author, dt.date(2026, 11, rand.randrange(1, 28)), 95)
            elif choice == 1:
                rand.choice(sessions).deleted_at = NOW
            else:
                rand.choice(sessions).attendees = rand.choice([1, 30, 200])


@pytest.mark.parametrize("changed", [3, ONE_BY_ONE + 1])
def test_kept_province_counts_are_the_rules_counts_after_communes_change(
    database: Database, month: Month, changed: int
) -> None:
    scatter(database, month, 3)
    rand = random.Random(changed)
    author = next(iter(month.members.values()))
    with database.session(readonly=True) as session:
        codes = list(session.exec(select(Commune.code).where(Commune.province_code == HA_TINH)))
    for period in (OCTOBER, NOVEMBER):
        with database.session() as session:  # nothing kept yet: all read at once, and kept
            assert province_flag_counts(session, HA_TINH, period, VN) == rule_counts(session, HA_TINH, period, VN)
    for round_ in range(2):
        change_communes(database, rand.sample(codes, changed), rand, author)
        for period in (OCTOBER, NOVEMBER):
            with database.session() as session:
                expected = rule_counts(session, HA_TINH, period, VN)
                assert province_flag_counts(session, HA_TINH, period, VN) == expected, (round_, period)
            with database.session(readonly=True) as session:  # the commune pages read their flags again too
                for code in rand.sample(codes, 4):
                    flags = supervision_flags(session, code, period, VN)
                    assert flags == read_anew(session, code, period)
                    assert Counter(f.rule for f in flags) == expected.get(code, Counter())


def test_a_read_only_unit_keeps_its_reads_right_after_it(database: Database, month: Month, caplog) -> None:  # type: ignore[no-untyped-def]
    scatter(database, month, 4, communes_at_most=SOME)
    code = flagged_commune(database, OCTOBER)
    with database.session(readonly=True) as session:
        flags = supervision_flags(session, code, OCTOBER, VN)
        assert session.execute(text("SELECT COUNT(*) FROM keptread")).scalar() == 0  # not in the read itself
    with database.session(readonly=True) as session:
        assert session.execute(text("SELECT COUNT(*) FROM keptread")).scalar() == 1
        assert supervision_flags(session, code, OCTOBER, VN) == flags


def test_a_failed_keep_leaves_the_read_standing(
    database: Database, month: Month, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    scatter(database, month, 4, communes_at_most=SOME)
    code = flagged_commune(database, OCTOBER)

    def locked(_session: Session, _rows: object) -> None:
        raise OperationalError("INSERT INTO keptread", {}, Exception("database is locked"))

    monkeypatch.setattr(kept, "_keep", locked)
    with caplog.at_level(logging.WARNING), database.session(readonly=True) as session:
        flags = supervision_flags(session, code, OCTOBER, VN)
        assert flags == read_anew(session, code, OCTOBER)
    assert "a write left by a read failed" in caplog.text
    with database.session(readonly=True) as session:
        assert session.execute(text("SELECT COUNT(*) FROM keptread")).scalar() == 0


def test_kept_days_and_months_follow_new_sessions_and_help(database: Database, month: Month) -> None:
    scatter(database, month, 5, communes_at_most=SOME)
    months = [dt.date(2026, m, 1) for m in range(1, 12)]
    author = next(iter(month.members.values()))
    start, end = month_of(NOVEMBER.start)
    for round_ in range(3):
        for _twice in range(2):  # read (and kept right after), then the kept one
            with database.session(readonly=True) as session:
                assert daily_activity_kept(session, SON_KIM_1, start, end) == daily_activity(
                    session, SON_KIM_1, start, end
                )
                assert monthly_sessions_kept(session, SON_KIM_1, months) == monthly_sessions(session, SON_KIM_1, months)
        with database.session() as session:
            village = a_village(session, SON_KIM_1)
            add_session(session, village, author, dt.date(2026, 11, 10 + round_), 7 + round_)
            add_help(session, village, author, dt.date(2026, 11, 10 + round_), 3)


def test_a_unit_of_work_that_writes_reads_its_own_changes(database: Database, month: Month) -> None:
    scatter(database, month, 6, communes_at_most=SOME)
    code = flagged_commune(database, NOVEMBER)
    author = next(iter(month.members.values()))
    with database.session() as session:
        before = supervision_flags(session, code, NOVEMBER, VN)
        assert daily_activity_kept(session, code, *month_of(NOVEMBER.start)) == daily_activity(
            session, code, *month_of(NOVEMBER.start)
        )
        village = a_village(session, code)
        for week in range(4):  # a run of the very same figures: flagged
            add_session(session, village, author, dt.date(2026, 11, 2 + 7 * week), 77)
        after = supervision_flags(session, code, NOVEMBER, VN)
        assert after == read_anew(session, code, NOVEMBER) != before
        assert daily_activity_kept(session, code, *month_of(NOVEMBER.start)) == daily_activity(
            session, code, *month_of(NOVEMBER.start)
        )


def test_a_page_reads_what_is_kept_of_its_commune_in_one_statement(database: Database, month: Month) -> None:
    scatter(database, month, 7, communes_at_most=SOME)
    code = flagged_commune(database, NOVEMBER)
    today = dt.date(2026, 11, 25)
    with database.session(readonly=True) as session:
        first = area_view(session, Scope.operator(), code, NOVEMBER, today, tz=VN)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        with database.session(readonly=True) as session:
            again = area_view(session, Scope.operator(), code, NOVEMBER, today, tz=VN)
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    kept_reads = [s for s in statements if "keptread" in s or "communechange" in s]
    assert len(kept_reads) == 1, kept_reads
    assert again.flags == first.flags and again.flags
    assert again.rows == first.rows and again.trend == first.trend
    with database.session(readonly=True) as session:
        assert again.flags == read_anew(session, code, NOVEMBER)
