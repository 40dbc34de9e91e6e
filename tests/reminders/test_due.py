"""Who is reminded when, and what they read: the due computation at chosen moments after a scripted week."""

from __future__ import annotations

import datetime as dt

from bot.reminders.planner import Due, firings, preview
from storage import reminders, reports
from storage.db import Database
from storage.indicators import set_figure
from storage.models import Member
from tests.conftest import VN
from tests.reminders.conftest import SON_KIM_1, SONG_TRI, Area, local


def due_at(database: Database, at: dt.datetime) -> list[Due]:
    with database.session() as session:
        return preview(session, VN, at)


def who(dues: list[Due], rule: str | None = None) -> dict[str, str]:
    return {d.name: d.text for d in dues if rule is None or d.rule == rule}


def scripted_week(area: Area) -> None:
    """Thôn 1 meets on Tuesday; Tổ dân phố 1 on Wednesday; Thôn 2 only on Friday; Thôn 3 never."""
    area.log_session("Thôn 1", dt.date(2026, 11, 24), attendees=15)
    area.log_session("Tổ dân phố 1", dt.date(2026, 11, 25), author="mem_st", attendees=9)


def test_weekly_session_thursday_reaches_only_villages_without_a_session(database: Database, area: Area) -> None:
    scripted_week(area)
    dues = due_at(database, local(2026, 11, 26, 19, 0))
    assert {d.rule for d in dues} == {"weekly_session"}
    # Thôn 2 (the paused member skipped) and Thôn 3; not Thôn 1, not Sông Trí, not admins.
    assert set(who(dues)) == {"Anh Tuấn", "Mr Nam"}
    text = who(dues)["Anh Tuấn"]
    assert "Thôn 2" in text and "23/11 – 29/11/2026" in text and "/ghibuoi" in text and "Nhắc lại" not in text
    assert "hasn't logged" in who(dues)["Mr Nam"] or "no community session" in who(dues)["Mr Nam"]
    due = next(d for d in dues if d.name == "Anh Tuấn")
    assert (due.channel, due.chat_id) == ("telegram", area.chat("mem2"))
    assert due.key == f"reminder:weekly_session:2026-11-23:2026-11-26.1:m{area.people['mem2']}"
    # Any other minute of the evening: nothing fires.
    assert due_at(database, local(2026, 11, 26, 19, 5)) == []
    assert due_at(database, local(2026, 11, 26, 18, 59)) == []


def test_weekly_session_saturday_is_a_second_reminder_to_those_still_missing(database: Database, area: Area) -> None:
    scripted_week(area)
    area.log_session("Thôn 2", dt.date(2026, 11, 27), author="mem2")
    dues = due_at(database, local(2026, 11, 28, 8, 0))
    assert set(who(dues, "weekly_session")) == {"Mr Nam"}
    assert who(dues)["Mr Nam"].startswith("🔔")
    assert "again" in who(dues)["Mr Nam"].lower() or "Nhắc lại" in who(dues)["Mr Nam"]


def test_weekly_summary_sunday_evening_to_admin_and_leader(database: Database, area: Area) -> None:
    scripted_week(area)
    area.log_session("Thôn 2", dt.date(2026, 11, 27), author="mem2", attendees=20)
    dues = due_at(database, local(2026, 11, 29, 20, 0))
    assert {d.rule for d in dues} == {"weekly_summary"}
    assert set(who(dues)) == {"Chị Lan", "Ông Thắng", "Anh Phúc"}
    text = who(dues)["Chị Lan"]
    assert "Xã Sơn Kim 1" in text and "2 buổi sinh hoạt, 35 người tham dự" in text
    assert "1/3 thôn chưa có buổi sinh hoạt: Thôn 3" in text
    assert "Cả 1 thôn đều đã có buổi sinh hoạt" in who(dues)["Anh Phúc"]


def test_quiet_hours_hold_and_the_reminder_waits_for_seven(database: Database, area: Area) -> None:
    admin = area.member("admin")
    with database.session() as session:
        reminders.set_rule(
            session,
            actor=admin,
            kind="weekly_summary",
            scope="commune",
            area_code=SON_KIM_1,
            times=["sun 22:30"],
            now=local(2026, 11, 23, 9),
        )
    assert [d for d in due_at(database, local(2026, 11, 29, 22, 30)) if d.rule == "weekly_summary"] == []
    for hour in (21, 23, 0, 3, 6):
        day = 29 if hour >= 21 else 30
        assert due_at(database, local(2026, 11, day, hour, 0)) == [], hour
    dues = due_at(database, local(2026, 11, 30, 7, 0))
    assert set(who(dues, "weekly_summary")) == {"Chị Lan", "Ông Thắng"}  # Sông Trí keeps Sunday 20:00
    assert "23/11 – 29/11/2026" in who(dues)["Chị Lan"]  # the week that was, not the new one
    assert set(who(due_at(database, local(2026, 11, 29, 20, 0)))) == {"Anh Phúc"}


def test_monthly_report_reminds_the_admin_with_the_draft_in_numbers(database: Database, area: Area) -> None:
    scripted_week(area)
    with database.session() as session:
        set_figure(
            session,
            actor=session.get(Member, area.people["admin"]),
            commune_code=SON_KIM_1,
            month=dt.date(2026, 11, 1),
            indicator="adults_digital_skills",
            numerator=500,
            denominator=1000,
            now=local(2026, 12, 2, 9),
        )
    dues = due_at(database, local(2026, 12, 15, 8, 0))
    assert {d.rule for d in dues} == {"monthly_report"}
    assert set(who(dues)) == {"Chị Lan", "Anh Phúc"}
    text = who(dues)["Chị Lan"]
    assert "Báo cáo tháng 11/2026 của Xã Sơn Kim 1 chưa nộp" in text and "20/12/2026 (còn 5 ngày)" in text
    assert "1 buổi sinh hoạt, 15 người tham dự" in text
    assert "Chỉ tiêu chưa nhập số liệu" in text and "Người dân có KNS" not in text and "Học sinh" in text
    assert "Thôn có tuần chưa sinh hoạt: Thôn 1, Thôn 2, Thôn 3" in text
    second = who(due_at(database, local(2026, 12, 18, 8, 0)))["Chị Lan"]
    assert "Nhắc lại" in second and "còn 2 ngày" in second
    # Once submitted, the admin is not reminded again.
    with database.session() as session:
        reports.submit(
            session,
            actor=session.get(Member, area.people["admin"]),
            commune_code=SON_KIM_1,  # type: ignore[arg-type]
            month=dt.date(2026, 11, 1),
            now=local(2026, 12, 18, 10),
            today=dt.date(2026, 12, 18),
        )
    assert set(who(due_at(database, local(2026, 12, 19, 8, 0)), "monthly_report")) == {"Anh Phúc"}  # a Saturday


def test_escalation_and_province_consolidation_on_the_21st(database: Database, area: Area) -> None:
    with database.session() as session:
        reports.submit(
            session,
            actor=session.get(Member, area.people["admin_st"]),
            commune_code=SONG_TRI,  # type: ignore[arg-type]
            month=dt.date(2026, 11, 1),
            now=local(2026, 12, 19, 10),
            today=dt.date(2026, 12, 19),
        )
    dues = due_at(database, local(2026, 12, 21, 8, 0))
    assert who(dues, "monthly_escalation").keys() == {"Ông Thắng"}
    assert "Báo cáo tháng 11/2026 của Xã Sơn Kim 1 đến nay vẫn chưa nộp (hạn 20/12/2026)" in who(dues)["Ông Thắng"]
    assert who(dues, "province_consolidation").keys() == {"Chị Hà"}
    text = who(dues)["Chị Hà"]
    assert "Đã nộp: 1/69 xã, trong đó 1 xã đúng hạn" in text and "Xã Sơn Kim 1" in text
    assert "và 48 nơi khác" in text and "25/12/2026" in text
    assert set(who(due_at(database, local(2026, 12, 24, 8, 0)))) == {"Chị Hà"}
    assert due_at(database, local(2026, 12, 22, 8, 0)) == []


def test_custom_deadline_seven_days_and_one_day_before(database: Database, area: Area) -> None:
    viewer = area.member("viewer")
    with database.session() as session:
        deadline = reminders.create_deadline(
            session,
            actor=viewer,
            title="Gửi danh sách đề cử khen thưởng",
            due_date=dt.date(2026, 12, 10),
            roles=["commune_admin"],
            now=local(2026, 11, 25, 10),
            today=dt.date(2026, 11, 25),
        )
        deadline_id = deadline.id
    first = due_at(database, local(2026, 12, 3, 8, 0))
    assert set(who(first, "custom")) == {"Chị Lan", "Anh Phúc"}
    assert "«Gửi danh sách đề cử khen thưởng» — hạn 10/12/2026 (còn 7 ngày)" in who(first)["Chị Lan"]
    assert first[0].key.startswith(f"reminder:custom:d{deadline_id}:-7d:")
    assert "ngày mai là hạn chót" in who(due_at(database, local(2026, 12, 9, 8, 0)))["Anh Phúc"]
    assert due_at(database, local(2026, 12, 4, 8, 0)) == []
    with database.session() as session:
        reminders.cancel_deadline(session, actor=viewer, deadline_id=deadline_id, now=local(2026, 12, 5, 9))  # type: ignore[arg-type]
    assert who(due_at(database, local(2026, 12, 9, 8, 0)), "custom") == {}


def test_paused_and_unreachable_members_are_skipped(database: Database, area: Area) -> None:
    with database.session() as session:
        mem2 = session.get(Member, area.people["mem2"])
        assert mem2 is not None
        reminders.set_paused(session, mem2, True, local(2026, 11, 25, 9))
        lead3 = session.get(Member, area.people["lead3"])
        assert lead3 is not None
        lead3.unreachable = True
        session.add(lead3)
    # No session logged this week anywhere: everyone in a village is due, except the paused and unreachable.
    assert set(who(due_at(database, local(2026, 11, 26, 19, 0)))) == {"Bác Hùng", "Chị Mai", "Chị Vân"}


def test_a_rule_switched_off_sends_nothing_and_a_province_rule_applies_to_its_communes(
    database: Database, area: Area
) -> None:
    viewer, admin_st = area.member("viewer"), area.member("admin_st")
    with database.session() as session:
        reminders.set_rule(
            session,
            actor=viewer,
            kind="weekly_session",
            scope="province",
            area_code=42,
            times=["wed 18:00"],
            now=local(2026, 11, 23, 9),
        )
        reminders.set_rule(
            session,
            actor=admin_st,
            kind="weekly_session",
            scope="commune",
            area_code=SONG_TRI,
            enabled=False,
            now=local(2026, 11, 23, 9),
        )
    assert due_at(database, local(2026, 11, 26, 19, 0)) == []
    dues = due_at(database, local(2026, 11, 25, 18, 0))
    assert {d.area.split(", ")[-1] for d in dues} == {"Xã Sơn Kim 1"}


def test_fire_times_of_the_defaults(database: Database, area: Area) -> None:
    with database.session() as session:
        found = firings(session, VN, local(2026, 11, 23), local(2026, 12, 1))
    assert sorted({(f.kind, f.at.strftime("%a %d %H:%M")) for f in found}) == [
        ("province_consolidation", "Tue 24 08:00"),
        ("weekly_session", "Sat 28 08:00"),
        ("weekly_session", "Thu 26 19:00"),
        ("weekly_summary", "Sun 29 20:00"),
    ]
