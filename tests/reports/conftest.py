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
from sqlmodel import Session, select

from bot.clock import FixedClock
from storage import activity, indicators
from storage.areas import add_villages
from storage.db import Database
from storage.models import ChannelAccount, HelpRecord, Member, TrainingSession, Village
from tests.conftest import VN
from tests.helpers import log_guided

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
    """A member of that role and area, with a Telegram account (user id = chat id), joined on 1/9/2026."""
    joined = at(dt.date(2026, 9, 1))
    area = {"province_code": province, "commune_code": commune, "village_id": village}
    member = Member(display_name=name, role=role, created_at=joined, **area)
    session.add(member)
    session.flush()
    chat = {"user_id": str(user_id), "chat_id": str(user_id)}
    session.add(ChannelAccount(member_id=member.id, channel="telegram", created_at=joined, **chat))
    return member


def log(
    session: Session,
    village: Village,
    member: Member,
    day: dt.date,
    people: int,
    help: list[tuple[str, int]] | None = None,
) -> TrainingSession:
    """A session (and the people helped) logged by `member` through the guided flow, on that day."""
    return log_guided(session, village, member, day, now=at(day), bounds=BOUNDS, attendees=people, help=help)


# The month's figures: (who set them, commune, month, indicator, numerator, denominator).
FIGURES = [
    (ADMIN, SON_KIM_1, OCTOBER, "adults_vneid_confirmed", 1234, 5000),
    (ADMIN, SON_KIM_1, OCTOBER, "students_digital_skills", 950, 1000),
    (ADMIN, SON_KIM_1, OCTOBER, "officials_digital_skills", 120, 120),
    (ADMIN, SON_KIM_1, OCTOBER, "vneid_level2_activated", 3000, 5000),
    (ADMIN, SON_KIM_1, dt.date(2026, 9, 1), "adults_vneid_confirmed", 1000, 5000),
    (ADMIN_2, SON_KIM_2, OCTOBER, "adults_vneid_confirmed", 500, 1000),
]
# The targets of 2026: (who set them, indicator, percent, scope, area).
TARGETS = [
    (VIEWER, "adults_vneid_confirmed", 80, "province", HA_TINH),
    (VIEWER, "students_digital_skills", 100, "province", HA_TINH),
    (VIEWER, "officials_digital_skills", 100, "province", HA_TINH),
    (ADMIN, "students_digital_skills", 90, "commune", SON_KIM_1),
]


def build_month(database: Database) -> Month:
    """Write the scripted month (everything but the submissions)."""
    script = Month()
    now = at(dt.date(2026, 11, 5))
    with database.session() as session:
        villages, _ = add_villages(session, SON_KIM_1, ["Thôn 1", "Thôn 2", "Thôn 3"], now=now, actor_id=None)
        (trung,), _ = add_villages(session, SON_KIM_2, ["Thôn Trung"], now=now, actor_id=None)
        t1, t2, t3 = villages
        script.villages = {"Thôn 1": t1.id, "Thôn 2": t2.id, "Thôn 3": t3.id, "Thôn Trung": trung.id}
        people = _add_people(session, t2)
        script.members = {user_id: row.id for user_id, row in people.items()}  # type: ignore[misc]
        _log_sessions(session, (t1, t2, t3, trung), people, now)
        _set_indicators(session, people, now)
    return script


def _add_people(session: Session, t2: Village) -> dict[int, Member]:
    """The people of the script, by Telegram user id."""
    return {
        ADMIN: add_member(session, ADMIN, "commune_admin", commune=SON_KIM_1, name="Chị Lan"),
        LEADER: add_member(session, LEADER, "commune_leader", commune=SON_KIM_1, name="Ông Thắng"),
        MEMBER: add_member(session, MEMBER, "member", commune=SON_KIM_1, village=t2.id, name="Bác Hùng"),
        ADMIN_2: add_member(session, ADMIN_2, "commune_admin", commune=SON_KIM_2, name="Anh Nam"),
        VIEWER: add_member(session, VIEWER, "province_viewer", name="Chị Hà"),
        OTHER_VIEWER: add_member(session, OTHER_VIEWER, "province_viewer", province=OTHER_PROVINCE, name="Anh Sài Gòn"),
        OTHER_LEADER: add_member(session, OTHER_LEADER, "commune_leader", commune=SON_KIM_2, name="Bà Kim"),
    }


def _log_sessions(session: Session, villages: tuple[Village, ...], people: dict[int, Member], now: dt.datetime) -> None:
    """The sessions of the script (see the module doc), one deleted with its help records."""
    t1, t2, t3, trung = villages
    member, admin_2, d = people[MEMBER], people[ADMIN_2], dt.date
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
    for record in session.exec(select(HelpRecord).where(HelpRecord.kind == "other")):
        record.deleted_at = now
        session.add(record)
    log(session, trung, admin_2, d(2026, 10, 7), 25)
    log(session, trung, admin_2, d(2026, 10, 8), 5)


def _set_indicators(session: Session, people: dict[int, Member], now: dt.datetime) -> None:
    """The figures and targets of the script, in order."""
    for user_id, commune, month, indicator, n, total in FIGURES:
        figure = {"indicator": indicator, "numerator": n, "denominator": total}
        indicators.set_figure(session, actor=people[user_id], commune_code=commune, month=month, now=now, **figure)
    for user_id, indicator, percent, scope, area in TARGETS:
        target = {"indicator": indicator, "percent": percent, "scope": scope, "area_code": area}
        indicators.set_target(session, actor=people[user_id], year=2026, now=now, **target)


@pytest.fixture
def month(database: Database) -> Month:
    return build_month(database)


def after_october() -> FixedClock:
    """Thursday 19/11/2026, 09:30 in Vietnam: October is over, its report is due tomorrow."""
    return FixedClock(dt.datetime(2026, 11, 19, 9, 30, tzinfo=VN))


def member_of(database: Database, user_id: int, script: Month) -> Member:
    with database.session() as session:
        member = session.get(Member, script.members[user_id])
        assert member is not None
        return member
