"""A commune in Hà Tĩnh with villages and people on Telegram, and a second commune, for the reminder tests.

Xã Sơn Kim 1 (18196): Thôn 1, Thôn 2, Thôn 3; an admin, a leader, a team lead and members (one paused, one
English-speaking team lead). Phường Sông Trí (18754): one village, one member, one admin. A province viewer of
Hà Tĩnh (42). Every chat id is the member's Telegram user id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from bot.clock import FixedClock
from storage import activity
from storage.areas import add_villages
from storage.db import Database
from storage.models import ChannelAccount, Member, Village
from tests.app.conftest import db_url, fake_api, fake_options, make_app  # noqa: F401  (the app fixtures)
from tests.conftest import VN
from tests.helpers import log_guided

SON_KIM_1, SONG_TRI, HA_TINH = 18196, 18754, 42
BOUNDS = activity.Bounds(max_attendees=1000, max_help_count=2000, max_days_back=62)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


@dataclass
class Area:
    """The people and villages made by the `area` fixture, by short names."""

    database: Database
    villages: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)  # name -> member id (= chat id)

    def member(self, name: str) -> Member:
        with self.database.session() as session:
            member = session.get(Member, self.people[name])
            assert member is not None
            return member

    def chat(self, name: str) -> str:
        return str(self.people[name])

    def log_session(self, village: str, day: dt.date, author: str = "lead1", attendees: int = 12) -> None:
        """A session held in a village on a day, as the team lead would log it."""
        with self.database.session() as session:
            row = session.get(Village, self.villages[village])
            member = session.get(Member, self.people[author])
            assert row is not None and member is not None
            evening = dt.datetime.combine(day, dt.time(20), tzinfo=VN)
            log_guided(session, row, member, day, now=evening, bounds=BOUNDS, attendees=attendees)


PEOPLE = [
    # name, display name, role, commune, village, locale, paused
    ("admin", "Chị Lan", "commune_admin", SON_KIM_1, None, "vi", False),
    ("leader", "Ông Thắng", "commune_leader", SON_KIM_1, None, "vi", False),
    ("lead1", "Chị Mai", "team_lead", SON_KIM_1, "Thôn 1", "vi", False),
    ("mem1", "Bác Hùng", "member", SON_KIM_1, "Thôn 1", "vi", False),
    ("mem2", "Anh Tuấn", "member", SON_KIM_1, "Thôn 2", "vi", False),
    ("paused2", "Cô Hoa", "member", SON_KIM_1, "Thôn 2", "vi", True),
    ("lead3", "Mr Nam", "team_lead", SON_KIM_1, "Thôn 3", "en", False),
    ("admin_st", "Anh Phúc", "commune_admin", SONG_TRI, None, "vi", False),
    ("mem_st", "Chị Vân", "member", SONG_TRI, "Tổ dân phố 1", "vi", False),
    ("viewer", "Chị Hà", "province_viewer", None, None, "vi", False),
]


@pytest.fixture
def area(database: Database) -> Area:
    return seed_area(database)


def seed_area(database: Database) -> Area:
    """Villages, people and their Telegram accounts (chat id = member id)."""
    made = Area(database)
    created = local(2026, 11, 1, 9)
    with database.session() as session:
        for commune, names in ((SON_KIM_1, ["Thôn 1", "Thôn 2", "Thôn 3"]), (SONG_TRI, ["Tổ dân phố 1"])):
            added, _ = add_villages(session, commune, names, now=created, actor_id=None)
            made.villages.update({v.name: v.id for v in added})  # type: ignore[misc]
        for name, display, role, commune, village, locale, paused in PEOPLE:
            member = Member(
                display_name=display,
                role=role,
                province_code=HA_TINH,
                commune_code=commune,
                village_id=made.villages[village] if village else None,
                locale=locale,
                reminders_paused=paused,
                created_at=created,
            )
            session.add(member)
            session.flush()
            session.add(
                ChannelAccount(
                    member_id=member.id,
                    channel="telegram",
                    user_id=str(member.id),
                    chat_id=str(member.id),
                    created_at=created,
                )
            )
            made.people[name] = member.id  # type: ignore[assignment]
    return made


@pytest.fixture
def week_clock() -> FixedClock:
    """Monday 23/11/2026, 08:00 in Vietnam: the start of the scripted week."""
    return FixedClock(local(2026, 11, 23, 8))
