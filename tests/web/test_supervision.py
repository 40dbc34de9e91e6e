"""Supervision flags on the commune page: one test per rule, each with the case just inside and just outside it."""

from __future__ import annotations

import datetime as dt

from aiohttp.test_utils import TestClient
from sqlmodel import Session

from bot.clock import FixedClock
from storage.db import Database
from storage.models import Member, TrainingSession, Village
from storage.periods import Period
from storage.supervision import RULE_BURST, RULE_CROWD, RULE_LATE, RULE_NO_PHOTO, Flag, supervision_flags
from tests.conftest import VN
from tests.helpers import log_guided
from tests.reports.conftest import ADMIN, BOUNDS, MEMBER, OCTOBER, SON_KIM_1, Month, at
from tests.web.conftest import sign_in
from tests.web.test_commune_page import marked

NOVEMBER = Period.month(dt.date(2026, 11, 1))


def enter(database: Database, month: Month, who: int, village: str, day: dt.date, people: int, entered: dt.date) -> int:
    """A session of `village` on `day`, entered by `who` on the day `entered`; its id."""
    with database.session() as session:
        member, place = session.get(Member, month.members[who]), session.get(Village, month.villages[village])
        assert member is not None and place is not None
        logged = log_guided(session, place, member, day, now=at(entered), bounds=BOUNDS, attendees=people)
        assert logged.id is not None
        return logged.id


def flags_of(database: Database, period: Period = NOVEMBER) -> list[Flag]:
    with database.session() as session:
        return supervision_flags(session, SON_KIM_1, period, VN)


def by_rule(flags: list[Flag], rule: str) -> list[Flag]:
    return [f for f in flags if f.rule == rule]


def d(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def test_the_scripted_october_has_only_photos_missing(database: Database, month: Month) -> None:
    # Thôn 1 held four sessions in October, none with a photo; Thôn 2 one (under three: nothing said).
    flags = flags_of(database, Period.month(OCTOBER))
    assert [(f.rule, f.first.village, len(f.entries)) for f in flags] == [(RULE_NO_PHOTO, "Thôn 1", 4)]


def test_a_crowd_far_above_the_villages_usual(database: Database, month: Month) -> None:
    # Thôn 1 held 20, 10, 15 and 12 people in October: a median of 13,5, so more than 40,5 stands out.
    crowd = enter(database, month, MEMBER, "Thôn 1", d(5), 50, d(5))
    enter(database, month, MEMBER, "Thôn 1", d(6), 40, d(6))  # the median is now 15: 40 is not above 45
    # Thôn 2: 30 and 8 people around 01/11, then 4 and 4 (median 6): 29 is more than three times, but under 30.
    enter(database, month, MEMBER, "Thôn 2", d(2), 4, d(2))
    enter(database, month, MEMBER, "Thôn 2", d(3), 4, d(3))
    enter(database, month, MEMBER, "Thôn 2", d(9), 29, d(9))
    # Thôn 3 had one session in the 8 weeks before (9 people on 30/09): too little to know its usual.
    enter(database, month, MEMBER, "Thôn 3", d(8), 100, d(8))
    flags = by_rule(flags_of(database), RULE_CROWD)
    assert [(f.first.id, f.first.village, f.first.attendees, f.median) for f in flags] == [(crowd, "Thôn 1", 50, 13.5)]
    assert flags[0].first.logged_by == "Bác Hùng"


def test_a_burst_of_entries_by_one_person_for_several_villages(database: Database, month: Month) -> None:
    # Chị Lan enters five sessions of three villages on 12/11: a burst.
    burst = [
        enter(database, month, ADMIN, village, day, 10, d(12))
        for village, day in (("Thôn 1", d(9)), ("Thôn 2", d(9)), ("Thôn 3", d(9)), ("Thôn 1", d(10)), ("Thôn 2", d(10)))
    ]
    # Bác Hùng enters four sessions of three villages on 13/11: under five, nothing said.
    for village, day in (("Thôn 1", d(11)), ("Thôn 2", d(11)), ("Thôn 3", d(11)), ("Thôn 1", d(12))):
        enter(database, month, MEMBER, village, day, 10, d(13))
    flags = by_rule(flags_of(database), RULE_BURST)
    assert len(flags) == 1
    assert sorted(e.id for e in flags[0].entries) == sorted(burst)
    assert {e.logged_by for e in flags[0].entries} == {"Chị Lan"} and flags[0].first.logged_on == d(12)


def test_a_session_entered_more_than_a_week_after_its_day(database: Database, month: Month) -> None:
    late = enter(database, month, MEMBER, "Thôn 2", d(2), 10, d(10))  # 8 days after
    enter(database, month, MEMBER, "Thôn 3", d(3), 10, d(10))  # 7 days: not more than a week
    flags = by_rule(flags_of(database), RULE_LATE)
    assert [(f.first.id, f.days_late, f.first.logged_on) for f in flags] == [(late, 8, d(10))]
    # A session of October entered in November is October's flag, not November's.
    old = enter(database, month, MEMBER, "Thôn 3", dt.date(2026, 10, 20), 10, d(1))
    assert [f.first.id for f in by_rule(flags_of(database, Period.month(OCTOBER)), RULE_LATE)] == [old]


async def test_the_commune_page_names_each_flagged_entry(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    crowd = enter(database, month, MEMBER, "Thôn 1", d(5), 50, d(5))
    late = enter(database, month, MEMBER, "Thôn 2", d(2), 10, d(10))
    await sign_in(client, database, month.members[ADMIN], web_clock)
    html = await (await client.get(f"/web/commune/{SON_KIM_1}?month=2026-11")).text()
    items = marked(html).of("li", "data-rule")
    assert [(a["data-rule"], a["data-sessions"]) for a in items] == [(RULE_CROWD, str(crowd)), (RULE_LATE, str(late))]
    assert "Thôn 1, ngày 05/11/2026: 50 người dự" in html and "Người ghi: Bác Hùng" in html
    assert "Thôn 2, ngày 02/11/2026: ghi sau 8 ngày (ngày ghi 10/11/2026)" in html
    october = await (await client.get(f"/web/commune/{SON_KIM_1}?month=2026-10")).text()
    assert [a["data-rule"] for a in marked(october).of("li", "data-rule")] == [RULE_NO_PHOTO]


def test_flags_read_only_live_sessions(database: Database, month: Month) -> None:
    late = enter(database, month, MEMBER, "Thôn 2", d(2), 10, d(10))
    with database.session() as session:
        remove(session, late)
    assert flags_of(database) == []


def remove(session: Session, session_id: int) -> None:
    row = session.get(TrainingSession, session_id)
    assert row is not None
    row.deleted_at = at(d(11))
    session.add(row)
