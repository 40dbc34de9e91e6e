"""Reminders through the running application and the fake Bot API: delivered once, and a member who blocked
the bot (403) is marked unreachable and their commune admin is told once."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.clock import FixedClock
from storage.models import AuditEntry, Member, OutboxMessage
from tests.app.conftest import AppFactory, FakeApi
from tests.reminders.conftest import local, seed_area


async def test_reminders_arrive_once_and_a_blocked_member_is_reported_once(
    make_app: AppFactory, fake_api: FakeApi
) -> None:
    fake = fake_api.fake
    clock = FixedClock(local(2026, 11, 26, 18, 0))
    app = await make_app(clock=clock, router=None, start=False)
    app.reminders.run_jobs = False  # the test triggers the firings itself
    await app.start()
    area = seed_area(app.database)
    for member_id in area.people.values():
        fake.add_user(member_id, first_name=f"user{member_id}")
    area.log_session("Thôn 1", dt.date(2026, 11, 24))
    fake.block(area.people["mem2"])
    clock.set(local(2026, 11, 26, 19, 0))
    assert await app.reminders.tick() == 3  # Thôn 2 (mem2), Thôn 3 (lead3), Tổ dân phố 1 (mem_st)
    lead3, mem_st, admin = (area.people[n] for n in ("lead3", "mem_st", "admin"))
    [english] = await fake.wait_for_bot_messages(lead3, 1)
    assert "has no community session recorded yet" in english["text"]
    [vietnamese] = await fake.wait_for_bot_messages(mem_st, 1)
    assert "Tổ dân phố 1 chưa ghi buổi sinh hoạt" in vietnamese["text"]
    [notice] = await fake.wait_for_bot_messages(admin, 1)
    assert "không gửi được tin nhắn cho Anh Tuấn" in notice["text"] and "Thôn 2, Xã Sơn Kim 1" in notice["text"]
    assert fake.bot_messages(area.people["admin_st"]) == []  # only the member's own commune admin
    assert await app.sender.drain()

    def member(member_id: int) -> Member:
        with app.database.session() as session:
            row = session.get(Member, member_id)
            assert row is not None
            return row

    assert member(area.people["mem2"]).unreachable
    # Again, a double firing and the Saturday reminder: nothing twice, no second notice, mem2 skipped.
    assert await app.reminders.tick() == 0
    clock.set(local(2026, 11, 28, 8, 0))
    assert await app.reminders.tick() == 2
    await fake.wait_for_bot_messages(lead3, 2)
    assert await app.sender.drain()
    assert len(fake.bot_messages(admin)) == 1 and len(fake.bot_messages(lead3)) == 2
    assert len([e for e in fake.errors if e[2] == 403]) == 1
    with app.database.session() as session:
        unreachable_notice = col(OutboxMessage.idempotency_key).like("unreachable:%")
        notices = session.exec(select(OutboxMessage).where(unreachable_notice)).all()
        assert len(notices) == 1
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "unreachable")).first() is not None
