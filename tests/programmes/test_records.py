"""Programme figures and priority groups: saved with the audit trail, refused when not a figure, summed per
village, commune and month; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from storage.activity import Bounds, record_session
from storage.areas import add_villages
from storage.db import Database
from storage.errors import DomainError
from storage.models import AuditEntry, Member, Village
from storage.programmes import records
from storage.programmes.records import ProgrammeFigure
from tests.conftest import VN

SON_KIM_1 = 18196
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=VN).astimezone(dt.UTC)
TODAY = dt.date(2026, 11, 25)
BOUNDS = Bounds(max_attendees=500, max_help_count=500, max_days_back=60)


def setting(session: Session) -> tuple[Village, Village, Member]:
    villages, _ = add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2"], now=NOW, actor_id=None)
    member = Member(
        display_name="Lan",
        role="member",
        province_code=42,
        commune_code=SON_KIM_1,
        village_id=villages[0].id,
        created_at=NOW,
    )
    session.add(member)
    session.flush()
    return villages[0], villages[1], member


def save(session: Session, village: Village, member: Member, day: dt.date, *figures: ProgrammeFigure) -> None:
    records.record_programmes(
        session,
        village=village,
        day=day,
        figures=list(figures),
        member=member,
        author=member,
        source="text",
        now=NOW,
        today=TODAY,
        bounds=BOUNDS,
    )


def test_figures_are_saved_audited_and_summed(database: Database) -> None:
    with database.session() as session:
        one, two, member = setting(session)
        save(session, one, member, TODAY, ProgrammeFigure("gia_dinh_so", 6, "households"))
        save(session, one, member, dt.date(2026, 11, 2), ProgrammeFigure("gia_dinh_so", 4, "households"))
        save(session, two, member, TODAY, ProgrammeFigure("dai_su_so", 5, "people", "Lan"))
        save(session, two, member, TODAY, ProgrammeFigure("dai_su_so", 2, "people", "Minh"))
        save(session, two, member, TODAY, ProgrammeFigure("cho_so_4t", 2, "markets"))
        save(session, one, member, dt.date(2026, 10, 30), ProgrammeFigure("gia_dinh_so", 9, "households"))
        by_village = records.totals_by_village(session, SON_KIM_1, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        assert by_village[one.id] == {("gia_dinh_so", "households"): 10}  # type: ignore[index]
        assert by_village[two.id] == {  # type: ignore[index]
            ("dai_su_so", "people"): 7,
            ("cho_so_4t", "markets"): 2,
        }
        month = records.totals_of_month(session, SON_KIM_1, TODAY)
        assert month[("gia_dinh_so", "households")] == 10
        assert records.totals_of_month(session, SON_KIM_1, dt.date(2026, 10, 1)) == {("gia_dinh_so", "households"): 9}
        assert records.mentees_by_mentor(
            session, SON_KIM_1, "dai_su_so", dt.date(2026, 11, 1), dt.date(2026, 11, 30)
        ) == {"Lan": 5, "Minh": 2}
        trail = list(session.exec(select(AuditEntry).where(AuditEntry.entity == "programme_record")))
        assert len(trail) == 6
        assert trail[2].after["mentor"] == "Lan"  # type: ignore[index]


@pytest.mark.parametrize(
    ("figure", "code"),
    [
        (ProgrammeFigure("gia_dinh_so", 0, "households"), "count_too_small"),
        (ProgrammeFigure("gia_dinh_so", 9999, "households"), "count_too_large"),
        (ProgrammeFigure("gia_dinh_so", 3, "markets"), "unknown_programme"),
        (ProgrammeFigure("vneid_muc_2", 3, "people"), "unknown_programme"),  # entered monthly by the commune
        (ProgrammeFigure("khong_co", 3, "people"), "unknown_programme"),
        (ProgrammeFigure("dai_su_so", 3, "people", "0912345678"), "mentor_not_a_name"),
        (ProgrammeFigure("dai_su_so", 3, "people", "Lan, 0912 345 678"), "mentor_not_a_name"),
    ],
)
def test_what_is_not_a_figure_is_refused(database: Database, figure: ProgrammeFigure, code: str) -> None:
    with database.session() as session:
        one, _, member = setting(session)
        with pytest.raises(DomainError) as refused:
            save(session, one, member, TODAY, figure)
        assert refused.value.code == code


def test_a_session_s_priority_groups(database: Database) -> None:
    with database.session() as session:
        one, _, member = setting(session)
        held = record_session(
            session,
            village=one,
            day=TODAY,
            topics=["vneid"],
            attendees=23,
            member=member,
            author=member,
            source="text",
            now=NOW,
            today=TODAY,
            bounds=BOUNDS,
        )
        with pytest.raises(DomainError) as refused:
            records.record_priority_groups(
                session, training_session=held, groups={"elderly": 24}, author=member, now=NOW
            )
        assert refused.value.code == "priority_group_over_attendees"
        records.record_priority_groups(
            session, training_session=held, groups={"disabled": 2, "elderly": 15}, author=member, now=NOW
        )
        assert records.priority_groups_of(session, held.id) == {"elderly": 15, "disabled": 2}  # type: ignore[arg-type]
        assert records.priority_totals(session, SON_KIM_1, TODAY, TODAY) == {"elderly": 15, "disabled": 2}
        trail = session.exec(select(AuditEntry).where(AuditEntry.entity == "session_priority_groups")).one()
        assert trail.entity_id == str(held.id)
