"""The four later supervision rules, each with the case just inside and just outside it; the province page's flags
per commune; the honour roll's order on the commune and province pages."""

from __future__ import annotations

import datetime as dt

from aiohttp.test_utils import TestClient

from bot.clock import FixedClock
from storage.db import Database
from storage.models import HelpRecord, TrainingSession, Village
from storage.periods import Period
from storage.supervision import RULE_CAPACITY, RULE_NO_PHOTO, RULE_REPEATED, RULE_RUSH
from storage.supervision.honour import commune_roll, village_roll
from tests.reports.conftest import ADMIN, HA_TINH, MEMBER, OCTOBER, SON_KIM_1, SON_KIM_2, VIEWER, Month
from tests.web.conftest import sign_in
from tests.web.test_commune_page import marked
from tests.web.test_supervision import by_rule, d, enter, flags_of

OCT = Period.month(OCTOBER)
TODAY = dt.date(2026, 11, 19)


def households(database: Database, month: Month, village: str, count: int) -> None:
    with database.session() as session:
        row = session.get(Village, month.villages[village])
        assert row is not None
        row.households = count
        session.add(row)


def test_more_attendees_than_twice_the_households(database: Database, month: Month) -> None:
    households(database, month, "Thôn 3", 10)
    above = enter(database, month, MEMBER, "Thôn 3", d(3), 21, d(3))
    enter(database, month, MEMBER, "Thôn 3", d(4), 20, d(4))  # twice the households: a full turn-out, not more
    enter(database, month, MEMBER, "Thôn 1", d(4), 25, d(4))  # households not known: nothing said
    assert [(f.first.id, f.first.households) for f in by_rule(flags_of(database), RULE_CAPACITY)] == [(above, 10)]


def test_the_same_figures_four_weeks_in_a_row(database: Database, month: Month) -> None:
    # Thôn 3: 12 people on 26/10, 02/11, 09/11 and 16/11: four weeks running, the same figures.
    run = [enter(database, month, MEMBER, "Thôn 3", day, 12, day) for day in (dt.date(2026, 10, 26), d(2), d(9), d(16))]
    # Thôn 2: 8 people on 01/11 (after 30 on 31/10), 08/11 and 15/11: three in a row, not four.
    for day in (d(8), d(15)):
        enter(database, month, MEMBER, "Thôn 2", day, 8, day)
    flags = by_rule(flags_of(database), RULE_REPEATED)
    assert [[e.id for e in f.entries] for f in flags] == [run]
    assert by_rule(flags_of(database, OCT), RULE_REPEATED) == []  # the run ends in November


def test_the_same_attendees_with_other_people_helped_is_no_run(database: Database, month: Month) -> None:
    ids = [enter(database, month, MEMBER, "Thôn 3", day, 12, day) for day in (dt.date(2026, 10, 26), d(2), d(9), d(16))]
    with database.session() as session:
        entry = session.get(TrainingSession, ids[2])
        assert entry is not None
        now = dt.datetime(2026, 11, 9, 5, tzinfo=dt.UTC)
        session.add(
            HelpRecord(
                commune_code=SON_KIM_1,
                village_id=entry.village_id,
                record_date=d(9),
                kind="vneid_level2",
                count=2,
                member_id=entry.member_id,
                author_id=entry.author_id,
                created_at=now,
                updated_at=now,
            )
        )
    assert by_rule(flags_of(database), RULE_REPEATED) == []


def test_back_dated_entries_just_before_the_deadline(database: Database, month: Month) -> None:
    # 16/11 – 20/11 are the last five days before October's report is due (20/11).
    for village, day in (("Thôn 1", 1), ("Thôn 2", 2), ("Thôn 3", 3), ("Thôn 1", 5)):
        enter(database, month, MEMBER, village, d(day), 10, d(day + 14 if day + 14 >= 16 else 18))
    enter(database, month, MEMBER, "Thôn 2", d(6), 10, d(19))  # 13 days back: not back-dated enough
    enter(database, month, MEMBER, "Thôn 3", d(7) - dt.timedelta(days=30), 10, d(15))  # entered before the window
    assert by_rule(flags_of(database), RULE_RUSH) == []
    last = enter(database, month, MEMBER, "Thôn 3", d(6), 10, d(20))  # 14 days back, on the deadline: the fifth
    flags = by_rule(flags_of(database), RULE_RUSH)
    assert len(flags) == 1 and flags[0].deadline == d(20) and len(flags[0].entries) == 5
    assert flags[0].entries[-1].id == last


def test_a_village_with_sessions_and_no_photo(database: Database, month: Month) -> None:
    # Thôn 2: 01/11 and 05/11, two sessions without a photo: under three, nothing said; a third is.
    enter(database, month, MEMBER, "Thôn 2", d(5), 10, d(5))
    assert by_rule(flags_of(database), RULE_NO_PHOTO) == []
    enter(database, month, MEMBER, "Thôn 2", d(12), 10, d(12))
    assert [(f.first.village, len(f.entries)) for f in by_rule(flags_of(database), RULE_NO_PHOTO)] == [("Thôn 2", 3)]
    # One photo on one of Thôn 1's four October sessions: the village's sessions are backed.
    with database.session() as session:
        entry = session.get(TrainingSession, by_rule(flags_of(database, OCT), RULE_NO_PHOTO)[0].first.id)
        assert entry is not None
        entry.evidence = [{"channel": "telegram", "file_id": "photo-1", "at": "2026-10-03T12:00:00+00:00"}]
        session.add(entry)
    assert by_rule(flags_of(database, OCT), RULE_NO_PHOTO) == []


def test_the_honour_roll_order(database: Database, month: Month) -> None:
    # October: Thôn 1 3 of 5 weeks (57 people), Thôn 2 1 week (30); Thôn 3 one session of 31 on 12/10 ties
    # Thôn 2 on weeks and passes it on attendees; a village with no session is not on the roll.
    enter(database, month, MEMBER, "Thôn 3", dt.date(2026, 10, 12), 31, dt.date(2026, 10, 12))
    with database.session() as session:
        villages = village_roll(session, SON_KIM_1, OCT, TODAY)
        communes = commune_roll(session, HA_TINH, OCT, TODAY)
    assert [(s.name, s.weeks_with_session, s.weeks, s.attendees) for s in villages] == [
        ("Thôn 1", 3, 5, 57),
        ("Thôn 3", 1, 5, 31),
        ("Thôn 2", 1, 5, 30),
    ]
    # Sơn Kim 1: 5 village-weeks of 15; Sơn Kim 2: 1 of 5.
    assert [(s.code, s.weeks_with_session, s.weeks) for s in communes] == [(SON_KIM_1, 5, 15), (SON_KIM_2, 1, 5)]


async def test_the_pages_show_flags_per_commune_and_the_honour_roll(
    client: TestClient, database: Database, month: Month, web_clock: FixedClock
) -> None:
    await sign_in(client, database, month.members[VIEWER], web_clock)
    html = await (await client.get(f"/web/province/{HA_TINH}?month=2026-10")).text()
    section = html[html.index('data-testid="province-flags"') :]
    assert [(a["data-commune"], a["data-flags"]) for a in marked(section).of("li", "data-flags")] == [
        (str(SON_KIM_1), "1")
    ]
    assert f'href="/web/commune/{SON_KIM_1}?month=2026-10#flags">Xã Sơn Kim 1</a>: 1 mục: chưa có ảnh (1)' in html
    honour = html[html.index('data-testid="honour"') :]
    assert [a["data-commune"] for a in marked(honour).of("li", "data-share")] == [str(SON_KIM_1), str(SON_KIM_2)]
    await sign_in(client, database, month.members[ADMIN], web_clock)
    commune = await (await client.get(f"/web/commune/{SON_KIM_1}?month=2026-10")).text()
    honour = commune[commune.index('data-testid="honour"') :]
    assert [a["data-village"] for a in marked(honour).of("li", "data-share")] == [
        str(month.villages["Thôn 1"]),
        str(month.villages["Thôn 2"]),
    ]
    assert "Thôn 1: 3/5 tuần có buổi sinh hoạt, 57 người dự" in commune
    assert 'data-testid="spot-check"' in commune
