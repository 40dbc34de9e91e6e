"""Submitting a month: on time or late (per province deadline), the lock, reopening with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from storage import indicators
from storage.db import Database
from storage.errors import DomainError
from storage.models import AuditEntry, MonthlyReport, Village
from storage.reports import deadline_day, due_date, reopen, set_deadline_day, submit, working_month
from tests.reports.conftest import (
    ADMIN,
    ADMIN_2,
    HA_TINH,
    LEADER,
    OCTOBER,
    OTHER_VIEWER,
    SON_KIM_1,
    SON_KIM_2,
    VIEWER,
    Month,
    at,
    log,
    member_of,
)


def test_due_date_is_the_20th_of_the_next_month() -> None:
    assert due_date(OCTOBER) == dt.date(2026, 11, 20)
    assert due_date(dt.date(2026, 12, 1)) == dt.date(2027, 1, 20)
    assert due_date(dt.date(2026, 1, 1), 28) == dt.date(2026, 2, 28)


def test_on_time_on_the_19th_and_20th_late_on_the_21st(database: Database, month: Month) -> None:
    admin, admin_2 = member_of(database, ADMIN, month), member_of(database, ADMIN_2, month)
    with database.session() as session:
        first = submit(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 20), 23),
            today=dt.date(2026, 11, 20),
        )
        second = submit(
            session,
            actor=admin_2,
            commune_code=SON_KIM_2,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 21), 0),
            today=dt.date(2026, 11, 21),
        )
        assert (first.status, first.on_time, second.on_time) == ("submitted", True, False)
        assert first.submitted_by == admin.id


def test_the_deadline_day_is_set_per_province(database: Database, month: Month) -> None:
    admin_2 = member_of(database, ADMIN_2, month)
    with database.session() as session:
        assert deadline_day(session, HA_TINH) == 20
        set_deadline_day(session, HA_TINH, 22, actor_id=None, now=at(dt.date(2026, 11, 1)))
        with pytest.raises(DomainError):
            set_deadline_day(session, HA_TINH, 31, actor_id=None, now=at(dt.date(2026, 11, 1)))
    with database.session() as session:
        report = submit(
            session,
            actor=admin_2,
            commune_code=SON_KIM_2,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 22)),
            today=dt.date(2026, 11, 22),
        )
        assert report.on_time is True


def test_only_the_commune_admin_submits_and_only_a_finished_month(database: Database, month: Month) -> None:
    admin, leader, admin_2 = (member_of(database, u, month) for u in (ADMIN, LEADER, ADMIN_2))
    with database.session() as session:
        for actor, commune in ((leader, SON_KIM_1), (admin_2, SON_KIM_1)):
            with pytest.raises(DomainError) as refused:
                submit(
                    session,
                    actor=actor,
                    commune_code=commune,
                    month=OCTOBER,
                    now=at(dt.date(2026, 11, 5)),
                    today=dt.date(2026, 11, 5),
                )
            assert refused.value.code == "report_not_allowed"
        with pytest.raises(DomainError) as early:
            submit(
                session,
                actor=admin,
                commune_code=SON_KIM_1,
                month=dt.date(2026, 11, 1),
                now=at(dt.date(2026, 11, 25)),
                today=dt.date(2026, 11, 25),
            )
        assert early.value.code == "report_month_not_over"
        submit(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 5)),
            today=dt.date(2026, 11, 5),
        )
        with pytest.raises(DomainError) as twice:
            submit(
                session,
                actor=admin,
                commune_code=SON_KIM_1,
                month=OCTOBER,
                now=at(dt.date(2026, 11, 6)),
                today=dt.date(2026, 11, 6),
            )
        assert twice.value.code == "report_already_submitted"


def test_a_submitted_month_is_locked_until_reopened(database: Database, month: Month) -> None:
    admin, viewer, outsider, leader = (member_of(database, u, month) for u in (ADMIN, VIEWER, OTHER_VIEWER, LEADER))
    with database.session() as session:
        submit(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 19)),
            today=dt.date(2026, 11, 19),
        )
    with database.session() as session:
        village = session.get(Village, month.villages["Thôn 1"])
        with pytest.raises(DomainError) as locked:
            log(session, village, admin, dt.date(2026, 10, 30), 11)
        assert locked.value.code == "month_locked"
        with pytest.raises(DomainError):
            indicators.set_figure(
                session,
                actor=admin,
                commune_code=SON_KIM_1,
                month=OCTOBER,
                indicator="workers_digital_skills",
                numerator=1,
                denominator=2,
                now=at(dt.date(2026, 11, 20)),
            )
        # November is still open
        log(session, village, admin, dt.date(2026, 11, 18), 11)
    with database.session() as session:
        for actor in (outsider, leader, admin):
            with pytest.raises(DomainError) as refused:
                reopen(
                    session,
                    actor=actor,
                    commune_code=SON_KIM_1,
                    month=OCTOBER,
                    reason="Sai số liệu VNeID",
                    now=at(dt.date(2026, 11, 21)),
                )
            assert refused.value.code == "reopen_not_allowed"
        with pytest.raises(DomainError) as no_reason:
            reopen(
                session, actor=viewer, commune_code=SON_KIM_1, month=OCTOBER, reason="  ", now=at(dt.date(2026, 11, 21))
            )
        assert no_reason.value.code == "reopen_reason_required"
        report = reopen(
            session,
            actor=viewer,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            reason="Số liệu VNeID chưa khớp với Công an xã",
            now=at(dt.date(2026, 11, 21)),
        )
        assert (report.status, report.submitted_at, report.reopen_reason, report.reopened_by) == (
            "draft",
            None,
            "Số liệu VNeID chưa khớp với Công an xã",
            viewer.id,
        )
    with database.session() as session:
        village = session.get(Village, month.villages["Thôn 1"])
        log(session, village, admin, dt.date(2026, 10, 30), 11)  # open again
        # submitted again after the deadline: the first submission's verdict (on time) is kept
        again = submit(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 23)),
            today=dt.date(2026, 11, 23),
        )
        assert again.on_time is True and again.reopen_reason == "Số liệu VNeID chưa khớp với Công an xã"
        actions = [
            (a.action, (a.after or {}).get("reason"))
            for a in session.exec(
                select(AuditEntry).where(AuditEntry.entity == "monthly_report").order_by(AuditEntry.id)
            )
        ]
        assert actions == [("submit", None), ("reopen", "Số liệu VNeID chưa khớp với Công an xã"), ("submit", None)]


def test_reopen_needs_a_submitted_month(database: Database, month: Month) -> None:
    viewer = member_of(database, VIEWER, month)
    with database.session() as session:
        with pytest.raises(DomainError) as refused:
            reopen(
                session,
                actor=viewer,
                commune_code=SON_KIM_2,
                month=OCTOBER,
                reason="Lý do đầy đủ",
                now=at(dt.date(2026, 11, 21)),
            )
        assert refused.value.code == "report_not_submitted"
        assert session.exec(select(MonthlyReport)).all() == []


def test_working_month_is_last_month_until_submitted(database: Database, month: Month) -> None:
    admin = member_of(database, ADMIN, month)
    with database.session() as session:
        assert working_month(session, SON_KIM_1, dt.date(2026, 11, 5)) == OCTOBER
        submit(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=OCTOBER,
            now=at(dt.date(2026, 11, 5)),
            today=dt.date(2026, 11, 5),
        )
        assert working_month(session, SON_KIM_1, dt.date(2026, 11, 5)) == dt.date(2026, 11, 1)
