"""Reminders to group chats, planned from the database: a village's bound group gets one message naming its team
lead instead of a private one to each member, the commune's group gets the Sunday summary with thanks to the
villages that held a session, as the commune's delivery choice says (`group` by default when a group is bound,
`direct`, `both`); a Zalo group as well as a Telegram one; only villages with nothing logged that week."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.reminders.planner import Due, enqueue, preview
from storage import groups
from storage.db import Database
from storage.models import Member
from storage.settings import set_setting
from tests.conftest import VN
from tests.reminders.conftest import SON_KIM_1, Area, local

THON2_GROUP, THON1_GROUP, COMMUNE_GROUP, THON3_ZALO = "-1002", "-1001", "-1000", "zg-thon3"


def bind(database: Database, area: Area, channel: str, chat_id: str, village: str | None, title: str) -> None:
    """The commune admin binds a group chat to a village of Xã Sơn Kim 1 (or to the commune, village None)."""
    now = local(2026, 11, 20, 9)
    with database.session() as session:
        admin = session.get(Member, area.people["admin"])
        assert admin is not None
        group, _ = groups.seen(session, channel, chat_id, title, now)
        groups.bind(session, group, admin, SON_KIM_1, area.villages[village] if village else None, now)


def choose(database: Database, area: Area, choice: str | None) -> None:
    with database.session() as session:
        admin = session.get(Member, area.people["admin"])
        assert admin is not None
        groups.set_delivery_choice(session, SON_KIM_1, choice, admin, local(2026, 11, 20, 9))


@pytest.fixture
def bound(database: Database, area: Area) -> Area:
    """Groups for Thôn 1 and Thôn 2 on Telegram, Thôn 3 on Zalo, and the commune's own group; Thôn 1 held a
    session this week. Sông Trí has no group."""
    bind(database, area, "telegram", THON1_GROUP, "Thôn 1", "Tổ CNSCĐ Thôn 1")
    bind(database, area, "telegram", THON2_GROUP, "Thôn 2", "Tổ CNSCĐ Thôn 2")
    bind(database, area, "zalo", THON3_ZALO, "Thôn 3", "Tổ CNSCĐ Thôn 3")
    bind(database, area, "telegram", COMMUNE_GROUP, None, "CNSCĐ Xã Sơn Kim 1")
    with database.session() as session:
        set_setting(session, "telegram.username", "bdhvs_bot", local(2026, 11, 20, 9))
    area.log_session("Thôn 1", dt.date(2026, 11, 24))
    return area


def thursday(database: Database) -> list[Due]:
    with database.session() as session:
        return preview(session, VN, local(2026, 11, 26, 19, 0))


def sunday(database: Database) -> list[Due]:
    with database.session() as session:
        return preview(session, VN, local(2026, 11, 29, 20, 0))


def recipients(dues: list[Due]) -> set[tuple[str, str]]:
    return {(d.channel, d.chat_id) for d in dues}


def test_by_default_a_village_with_a_group_is_reminded_there_once_naming_its_lead(
    database: Database, bound: Area
) -> None:
    dues = thursday(database)
    assert recipients(dues) == {
        ("telegram", THON2_GROUP),
        ("zalo", THON3_ZALO),
        ("telegram", bound.chat("mem_st")),  # Sông Trí has no group: its member privately, as before
    }
    thon2 = next(d for d in dues if d.chat_id == THON2_GROUP)
    assert thon2.group and thon2.member_id is None and thon2.locale == "vi" and thon2.name == "Tổ CNSCĐ Thôn 2"
    assert thon2.key == "reminder:weekly_session:2026-11-23:2026-11-26.1:g:telegram:-1002"
    assert thon2.text.startswith("🔔 Chào cả tổ Thôn 2,")
    assert "Thôn 2 chưa ghi buổi sinh hoạt cộng đồng nào" in thon2.text
    assert "ngay trong nhóm này: gõ /ghibuoi" in thon2.text and "«@bdhvs_bot hôm nay học cài VNeID" in thon2.text
    assert "nhắn riêng" not in thon2.text and thon2.buttons == []
    assert thon2.payload()["to_group"] is True
    thon3 = next(d for d in dues if d.chat_id == THON3_ZALO)
    # Thôn 3's lead reads English privately, but the group's message is in Vietnamese and names him.
    assert "Nhờ tổ trưởng Mr Nam cùng cả tổ" in thon3.text and "Chào cả tổ Thôn 3" in thon3.text
    assert "@tên bot" in thon3.text  # the Zalo bot's name is not known yet


def test_a_lead_who_paused_reminders_is_not_named_in_the_group(database: Database, bound: Area) -> None:
    with database.session() as session:
        lead = session.get(Member, bound.people["lead3"])
        assert lead is not None
        lead.reminders_paused = True
        session.add(lead)
    thon3 = next(d for d in thursday(database) if d.chat_id == THON3_ZALO)
    assert "Mr Nam" not in thon3.text and "Chào cả tổ Thôn 3" in thon3.text
    assert "Thôn 3 chưa ghi buổi sinh hoạt cộng đồng nào" in thon3.text


def test_direct_reminds_each_member_and_both_does_both(database: Database, bound: Area) -> None:
    choose(database, bound, "direct")
    private = {("telegram", bound.chat(n)) for n in ("mem2", "lead3", "mem_st")}
    assert recipients(thursday(database)) == private  # as without groups (the paused member skipped)
    choose(database, bound, "both")
    assert recipients(thursday(database)) == private | {("telegram", THON2_GROUP), ("zalo", THON3_ZALO)}
    choose(database, bound, "group")
    assert recipients(thursday(database)) == {
        ("telegram", THON2_GROUP),
        ("zalo", THON3_ZALO),
        ("telegram", bound.chat("mem_st")),
    }


def test_a_group_the_bot_left_or_unbound_is_not_reminded(database: Database, bound: Area) -> None:
    with database.session() as session:
        groups.bot_removed(session, "telegram", THON2_GROUP, local(2026, 11, 25, 9))
    dues = thursday(database)
    assert ("telegram", THON2_GROUP) not in recipients(dues)
    assert ("telegram", bound.chat("mem2")) in recipients(dues)  # no group left: the member privately again


def test_the_sunday_summary_thanks_the_villages_that_held_a_session_in_the_commune_group(
    database: Database, bound: Area
) -> None:
    dues = sunday(database)
    # The commune's group by default; Sông Trí (no group) its admin privately.
    assert recipients(dues) == {("telegram", COMMUNE_GROUP), ("telegram", bound.chat("admin_st"))}
    [summary] = [d for d in dues if d.group]
    assert summary.rule == "weekly_summary" and summary.area == "Xã Sơn Kim 1"
    assert summary.text.startswith("📊 Tổng kết tuần 23/11 – 29/11/2026 của Xã Sơn Kim 1:")
    assert "🙏 Cảm ơn tổ Thôn 1 đã tổ chức buổi sinh hoạt tuần này!" in summary.text
    assert "2/3 thôn chưa có buổi sinh hoạt: Thôn 2, Thôn 3" in summary.text
    assert summary.key == "reminder:weekly_summary:2026-11-23:2026-11-29.1:g:telegram:-1000"
    choose(database, bound, "both")
    assert recipients(sunday(database)) == {
        ("telegram", COMMUNE_GROUP),
        ("telegram", bound.chat("admin")),
        ("telegram", bound.chat("leader")),
        ("telegram", bound.chat("admin_st")),
    }
    choose(database, bound, "direct")
    assert ("telegram", COMMUNE_GROUP) not in recipients(sunday(database))


def test_a_group_reminder_is_queued_once(database: Database, bound: Area) -> None:
    dues = thursday(database)
    with database.session() as session:
        assert enqueue(session, dues, local(2026, 11, 26, 19, 0)) == 3
    with database.session() as session:
        assert enqueue(session, thursday(database), local(2026, 11, 26, 19, 1)) == 0


def test_a_group_of_a_provinces_own_bot_names_that_bot(database: Database, area: Area) -> None:
    """With a bot per province, the group's reminder shows how to mention the bot that is in the group."""
    now = local(2026, 11, 20, 9)
    with database.session() as session:
        admin = session.get(Member, area.people["admin"])
        assert admin is not None
        group, _ = groups.seen(session, "telegram", THON2_GROUP, "Tổ CNSCĐ Thôn 2", now, bot="ht")
        groups.bind(session, group, admin, SON_KIM_1, area.villages["Thôn 2"], now)
        group, _ = groups.seen(session, "telegram", THON1_GROUP, "Tổ CNSCĐ Thôn 1", now)
        groups.bind(session, group, admin, SON_KIM_1, area.villages["Thôn 1"], now)
        set_setting(session, "telegram.username", "bdhvs_bot", now)
        set_setting(session, "telegram.username.ht", "bdhvs_hatinh_bot", now)
    dues = {d.chat_id: d for d in thursday(database)}
    assert "«@bdhvs_hatinh_bot hôm nay học cài VNeID" in dues[THON2_GROUP].text
    assert "«@bdhvs_bot hôm nay học cài VNeID" in dues[THON1_GROUP].text
