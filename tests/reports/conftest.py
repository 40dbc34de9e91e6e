"""A scripted month for the report tests: October 2026 in two communes of Hà Tĩnh, numbers known by hand.

Xã Sơn Kim 1 (18196): Thôn 1, Thôn 2, Thôn 3.
  Thôn 1: 03/10 (20 people), 04/10 (10), 10/10 (15), 24/10 (12) -> 4 sessions, 57 people, weeks of
          28/09, 05/10, 19/10 -> 3 weeks; helped: vneid_level2 10 + 3, public_service_filing 5.
  Thôn 2: 31/10 (30) -> 1 session, 30 people, 1 week (and 01/11, 8 people, outside October); e_health 7.
  Thôn 3: nothing in October (30/09 outside; a deleted session on 15/10 does not count).
  Commune: 5 sessions, 87 people, 4 weeks with a session (28/09, 05/10, 19/10, 26/10).
  Figures of October: vneid confirmed 1234/5000 (24.68 %), students 950/1000 (95 %), officials
  120/120 (100 %), vneid level 2 3000/5000 (60 %); September vneid confirmed 1000/5000 (20 %).
  Targets 2026: province 42 vneid 80, students 100, officials 100; the commune's own students 90.
Xã Sơn Kim 2 (18199): Thôn Trung: 07/10 (25), 08/10 (5): 2 sessions, 30 people, 1 week; vneid 500/1000.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session

from bot.clock import FixedClock
from storage import activity, indicators
from storage.areas import add_villages
from storage.db import Database
from storage.models import ChannelAccount, Member, TrainingSession, Village
from tests.conftest import VN

SON_KIM_1, SON_KIM_2, HA_TINH, OTHER_PROVINCE = 18196, 18199, 42, 79
OCTOBER = dt.date(2026, 10, 1)
BOUNDS = activity.Bounds(1000, 2000, 400)
# Telegram user ids of the people
ADMIN, LEADER, MEMBER, ADMIN_2, VIEWER, OTHER_VIEWER, OTHER_LEADER = 5001, 5002, 5003, 5004, 5005, 5006, 5007


@dataclass
class Month:
    """The ids of what the script created."""

    villages: dict[str, int] = field(default_factory=dict)
    members: dict[int, int] = field(default_factory=dict)  # telegram user id -> member id


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=VN).astimezone(dt.UTC)


def add_member(
    session: Session,
    user_id: int,
    role: str,
    *,
    province: int = HA_TINH,
    commune: int | None = None,
    village: int | None = None,
    name: str = "Người thử",
) -> Member:
    member = Member(
        display_name=name,
        role=role,
        province_code=province,
        commune_code=commune,
        village_id=village,
        created_at=at(dt.date(2026, 9, 1)),
    )
    session.add(member)
    session.flush()
    session.add(
        ChannelAccount(
            member_id=member.id,
            channel="telegram",
            user_id=str(user_id),
            chat_id=str(user_id),
            created_at=at(dt.date(2026, 9, 1)),
        )
    )
    return member


def log(
    session: Session,
    village: Village,
    member: Member,
    day: dt.date,
    people: int,
    help: list[tuple[str, int]] | None = None,
) -> TrainingSession:
    row = activity.record_session(
        session,
        village=village,
        day=day,
        topics=["vneid"],
        attendees=people,
        member=member,
        author=member,
        source="guided",
        now=at(day),
        today=day,
        bounds=BOUNDS,
    )
    if help:
        activity.record_help(
            session,
            village=village,
            day=day,
            items=help,
            member=member,
            author=member,
            source="guided",
            now=at(day),
            today=day,
            bounds=BOUNDS,
        )
    return row


def build_month(database: Database) -> Month:
    """Write the scripted month (everything but the submissions)."""
    script = Month()
    now = at(dt.date(2026, 11, 5))
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2", "Thôn 3"], now=now, actor_id=None)
        (trung,), _ = add_villages(session, SON_KIM_2, ["Thôn Trung"], now=now, actor_id=None)
        t1, t2, t3 = villages
        script.villages = {"Thôn 1": t1.id, "Thôn 2": t2.id, "Thôn 3": t3.id, "Thôn Trung": trung.id}
        admin = add_member(session, ADMIN, "commune_admin", commune=SON_KIM_1, name="Chị Lan")
        leader = add_member(session, LEADER, "commune_leader", commune=SON_KIM_1, name="Ông Thắng")
        member = add_member(session, MEMBER, "member", commune=SON_KIM_1, village=t2.id, name="Bác Hùng")
        admin_2 = add_member(session, ADMIN_2, "commune_admin", commune=SON_KIM_2, name="Anh Nam")
        viewer = add_member(session, VIEWER, "province_viewer", name="Chị Hà")
        other_viewer = add_member(session, OTHER_VIEWER, "province_viewer", province=OTHER_PROVINCE, name="Anh Sài Gòn")
        other_leader = add_member(session, OTHER_LEADER, "commune_leader", commune=SON_KIM_2, name="Bà Kim")
        for user_id, row in (
            (ADMIN, admin),
            (LEADER, leader),
            (MEMBER, member),
            (ADMIN_2, admin_2),
            (VIEWER, viewer),
            (OTHER_VIEWER, other_viewer),
            (OTHER_LEADER, other_leader),
        ):
            script.members[user_id] = row.id  # type: ignore[assignment]
        d = dt.date
        log(session, t1, member, d(2026, 10, 3), 20, [("vneid_level2", 10), ("public_service_filing", 5)])
        log(session, t1, member, d(2026, 10, 4), 10)
        log(session, t1, member, d(2026, 10, 10), 15, [("vneid_level2", 3)])
        log(session, t1, member, d(2026, 10, 24), 12)
        log(session, t2, member, d(2026, 10, 31), 30, [("e_health", 7)])
        log(session, t2, member, d(2026, 11, 1), 8)
        log(session, t3, member, d(2026, 9, 30), 9)
        gone = log(session, t3, member, d(2026, 10, 15), 40, [("other", 4)])
        gone.deleted_at = now
        session.add(gone)
        from sqlmodel import select

        from storage.models import HelpRecord

        for record in session.exec(select(HelpRecord).where(HelpRecord.kind == "other")):
            record.deleted_at = now
            session.add(record)
        log(session, trung, admin_2, d(2026, 10, 7), 25)
        log(session, trung, admin_2, d(2026, 10, 8), 5)
        for indicator, n, total in (
            ("adults_vneid_confirmed", 1234, 5000),
            ("students_digital_skills", 950, 1000),
            ("officials_digital_skills", 120, 120),
            ("vneid_level2_activated", 3000, 5000),
        ):
            indicators.set_figure(
                session,
                actor=admin,
                commune_code=SON_KIM_1,
                month=OCTOBER,
                indicator=indicator,
                numerator=n,
                denominator=total,
                now=now,
            )
        indicators.set_figure(
            session,
            actor=admin,
            commune_code=SON_KIM_1,
            month=dt.date(2026, 9, 1),
            indicator="adults_vneid_confirmed",
            numerator=1000,
            denominator=5000,
            now=now,
        )
        indicators.set_figure(
            session,
            actor=admin_2,
            commune_code=SON_KIM_2,
            month=OCTOBER,
            indicator="adults_vneid_confirmed",
            numerator=500,
            denominator=1000,
            now=now,
        )
        for indicator, percent in (
            ("adults_vneid_confirmed", 80),
            ("students_digital_skills", 100),
            ("officials_digital_skills", 100),
        ):
            indicators.set_target(
                session,
                actor=viewer,
                year=2026,
                indicator=indicator,
                percent=percent,
                scope="province",
                area_code=HA_TINH,
                now=now,
            )
        indicators.set_target(
            session,
            actor=admin,
            year=2026,
            indicator="students_digital_skills",
            percent=90,
            scope="commune",
            area_code=SON_KIM_1,
            now=now,
        )
    return script


@pytest.fixture
def month(database: Database) -> Month:
    return build_month(database)


@pytest.fixture
def november_clock() -> FixedClock:
    """Thursday 19/11/2026, 09:30 in Vietnam: October is over, its report is due tomorrow."""
    return FixedClock(dt.datetime(2026, 11, 19, 9, 30, tzinfo=VN))


def member_of(database: Database, user_id: int, script: Month) -> Member:
    with database.session() as session:
        member = session.get(Member, script.members[user_id])
        assert member is not None
        return member
