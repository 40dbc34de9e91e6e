"""Reminders to group chats through the running application and the fake Telegram and Zalo APIs: a village's
group and a Zalo group get their reminder once, across restarts of the application on the same database; a group
that removed the bot (403) loses its binding and is not tried again, and nobody is marked unreachable; a group
that became a supergroup (400 with migrate_to_chat_id) gets its message at the new id, and its binding follows."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.app import BotApplication
from bot.clock import FixedClock
from bot.sandbox.fake_telegram import FakeTelegram
from storage import groups, outbox
from storage.db import Database
from storage.models import AuditEntry, ChannelAccount, Member, OutboxMessage
from tests.app.conftest import AppFactory, FakeApi, wait_until
from tests.reminders.conftest import SON_KIM_1, Area, local, seed_area
from tests.zalo.conftest import ZaloApi, zalo_api, zalo_options  # noqa: F401  # the fake Zalo's fixtures

THON2_GROUP, COMMUNE_GROUP, SUPERGROUP, THON3_ZALO = "-1002", "-1000", "-1001000", "zg-thon3"


async def started(make_app: AppFactory, clock: FixedClock, zalo: ZaloApi) -> BotApplication:
    """The real application on Telegram and Zalo, its reminder jobs triggered by the test."""
    app = await make_app(
        clock=clock, router=None, start=False, zalo_token=zalo.fake.token, zalo_api_base_url=zalo.base_url
    )
    app.reminders.run_jobs = False
    await app.start()
    return app


def bind(database: Database, area: Area, channel: str, chat_id: str, village: str | None) -> None:
    now = local(2026, 11, 20, 9)
    with database.session() as session:
        admin = session.get(Member, area.people["admin"])
        assert admin is not None
        group, _ = groups.seen(session, channel, chat_id, f"Nhóm {village or 'xã'}", now)
        groups.bind(session, group, admin, SON_KIM_1, area.villages[village] if village else None, now)


async def talk_in(app: BotApplication, fake: FakeTelegram, user: int, chat_id: str) -> None:
    """Someone talks in a Telegram group (not to the bot): the group exists, and the bot has seen it."""
    fake.user_says(user, "Chào cả nhà", chat_id=int(chat_id), chat_title=f"Nhóm {chat_id}")

    def seen() -> bool:
        with app.database.session() as session:
            return groups.find(session, "telegram", chat_id) is not None

    await wait_until(seen, what=f"the bot to see group {chat_id}")


def group_rows(database: Database, chat_id: str) -> list[OutboxMessage]:
    with database.session() as session:
        rows = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(col(OutboxMessage.id))
        return list(session.exec(rows).all())  # in the order written (PostgreSQL keeps no order of its own)


async def test_a_group_reminder_goes_out_once_across_restarts_on_telegram_and_zalo(
    make_app: AppFactory,
    fake_api: FakeApi,
    zalo_api: ZaloApi,  # noqa: F811  # the fixture imported above
) -> None:
    fake, zalo = fake_api.fake, zalo_api.fake
    clock = FixedClock(local(2026, 11, 26, 18, 0))
    app = await started(make_app, clock, zalo_api)
    area = seed_area(app.database)
    for member_id in area.people.values():
        fake.add_user(member_id, first_name=f"user{member_id}")
    zalo.add_group(THON3_ZALO)
    await talk_in(app, fake, area.people["mem2"], THON2_GROUP)
    bind(app.database, area, "telegram", THON2_GROUP, "Thôn 2")
    bind(app.database, area, "zalo", THON3_ZALO, "Thôn 3")
    area.log_session("Thôn 1", dt.date(2026, 11, 24))
    clock.set(local(2026, 11, 26, 19, 0))
    assert await app.reminders.tick() == 3  # Thôn 2's group, Thôn 3's Zalo group, Sông Trí's member privately
    [thon2] = await fake.wait_for_bot_messages(int(THON2_GROUP), 1)
    assert thon2["text"].startswith("🔔 Chào cả tổ Thôn 2,") and "ngay trong nhóm này: gõ /ghibuoi" in thon2["text"]
    [thon3] = await zalo.wait_for_bot_messages(THON3_ZALO, 1)
    assert "Nhờ tổ trưởng Mr Nam cùng cả tổ" in thon3["text"]
    assert await app.sender.drain()
    await app.stop()

    # Restarted on the same database at the same minute: the firing was handled, nothing goes out twice.
    app = await started(make_app, clock, zalo_api)
    assert await app.reminders.tick() == 0
    clock.set(local(2026, 11, 28, 8, 0))  # Saturday: the second firing of the week, once
    assert await app.reminders.tick() == 3
    [_, again] = await fake.wait_for_bot_messages(int(THON2_GROUP), 2)
    assert again["text"].startswith("🔔 Nhắc lại: chào cả tổ Thôn 2,")
    await zalo.wait_for_bot_messages(THON3_ZALO, 2)
    assert await app.sender.drain()
    await app.stop()

    app = await started(make_app, clock, zalo_api)  # and again: still nothing twice
    assert await app.reminders.tick() == 0
    assert await app.sender.drain()
    assert len(fake.bot_messages(int(THON2_GROUP))) == 2 and len(zalo.bot_messages(THON3_ZALO)) == 2
    # Their members were not reminded privately; the village without a group was.
    assert fake.bot_messages(area.people["mem2"]) == [] and fake.bot_messages(area.people["lead3"]) == []
    assert len(fake.bot_messages(area.people["mem_st"])) == 2
    assert {r.status for r in group_rows(app.database, THON2_GROUP) + group_rows(app.database, THON3_ZALO)} == {"sent"}


async def test_a_group_that_removed_the_bot_or_moved_is_followed(
    make_app: AppFactory,
    fake_api: FakeApi,
    zalo_api: ZaloApi,  # noqa: F811  # the fixture imported above
) -> None:
    fake, faults = fake_api.fake, fake_api.faults
    clock = FixedClock(local(2026, 11, 26, 18, 0))
    app = await started(make_app, clock, zalo_api)
    area = seed_area(app.database)
    for member_id in area.people.values():
        fake.add_user(member_id, first_name=f"user{member_id}")
    for group in (THON2_GROUP, COMMUNE_GROUP):
        await talk_in(app, fake, area.people["admin"], group)
    bind(app.database, area, "telegram", THON2_GROUP, "Thôn 2")
    bind(app.database, area, "telegram", COMMUNE_GROUP, None)
    area.log_session("Thôn 1", dt.date(2026, 11, 24))

    # The bot was removed from Thôn 2's group: 403. The binding ends; nobody is marked unreachable.
    fake.block(int(THON2_GROUP))
    clock.set(local(2026, 11, 26, 19, 0))
    assert await app.reminders.tick() == 3  # Thôn 2's group, Thôn 3's lead, Sông Trí's member
    await fake.wait_for_bot_messages(area.people["lead3"], 1)
    assert await app.sender.drain()
    with app.database.session() as session:
        group = groups.find(session, "telegram", THON2_GROUP)
        assert group is not None and group.left_at is not None and group.commune_code is None
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "bot_removed")).first() is not None
        assert not any(m.unreachable for m in session.exec(select(Member)).all())
        assert (
            session.exec(select(OutboxMessage).where(col(OutboxMessage.idempotency_key).like("unreachable:%"))).first()
            is None
        )
    assert [r.status for r in group_rows(app.database, THON2_GROUP)] == ["failed"]
    # Saturday: Thôn 2 has no group any more, so its member is reminded privately; the group is not tried again.
    clock.set(local(2026, 11, 28, 8, 0))
    assert await app.reminders.tick() == 3
    await fake.wait_for_bot_messages(area.people["mem2"], 1)
    assert await app.sender.drain()
    assert len([e for e in fake.errors if e[2] == 403]) == 1

    # Sunday: the commune's group became a supergroup; the summary follows it to the new id, once.
    with app.database.session() as session:
        paused = session.get(Member, area.people["admin_st"])
        assert paused is not None
        paused.reminders_paused = True  # only the commune group gets a message at this firing
        session.add(paused)
    await talk_in(app, fake, area.people["admin"], SUPERGROUP)  # the supergroup (the bot has not bound it)
    faults.add(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": int(SUPERGROUP)},
    )
    clock.set(local(2026, 11, 29, 20, 0))
    assert await app.reminders.tick() == 1
    [summary] = await fake.wait_for_bot_messages(int(SUPERGROUP), 1)
    assert "🙏 Cảm ơn tổ Thôn 1 đã tổ chức buổi sinh hoạt tuần này!" in summary["text"]
    assert await app.sender.drain()
    assert fake.bot_messages(int(COMMUNE_GROUP)) == []
    with app.database.session() as session:
        assert groups.find(session, "telegram", COMMUNE_GROUP) is None
        moved = groups.find(session, "telegram", SUPERGROUP)
        assert moved is not None and moved.commune_code == SON_KIM_1 and moved.village_id is None
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "migrate")).first() is not None
    [row] = group_rows(app.database, SUPERGROUP)
    assert row.status == "sent" and row.idempotency_key == (
        "reminder:weekly_summary:2026-11-23:2026-11-29.1:g:telegram:-1000"
    )
    assert await app.reminders.tick() == 0


async def test_a_zalo_group_bound_in_chat_gets_its_reminder_with_the_bots_name(
    make_app: AppFactory,
    fake_api: FakeApi,
    zalo_api: ZaloApi,  # noqa: F811  # the fixture imported above
) -> None:
    zalo = zalo_api.fake
    clock = FixedClock(local(2026, 11, 26, 18, 0))
    app = await started(make_app, clock, zalo_api)
    area = seed_area(app.database)
    for member_id in area.people.values():
        fake_api.fake.add_user(member_id, first_name=f"user{member_id}")
    with app.database.session() as session:  # the commune admin uses the bot on Zalo too
        session.add(
            ChannelAccount(
                member_id=area.people["admin"], channel="zalo", user_id="z-lan", chat_id="z-lan", created_at=clock.now()
            )
        )
    zalo.add_group(THON3_ZALO)
    zalo.user_says("z-lan", "/nhom", display_name="Chị Lan", chat_id=THON3_ZALO)  # mentioning the bot
    [offer] = await zalo.wait_for_bot_messages(THON3_ZALO, 1)
    assert "Thôn 3" in offer["text"]
    zalo.user_says("z-lan", "Thôn 3", display_name="Chị Lan", chat_id=THON3_ZALO)

    def bound_to_thon3() -> bool:
        with app.database.session() as session:
            group = groups.find(session, "zalo", THON3_ZALO)
            return group is not None and group.village_id == area.villages["Thôn 3"]

    await wait_until(bound_to_thon3, what="the Zalo group bound to Thôn 3")
    assert await app.sender.drain()
    before = len(zalo.bot_messages(THON3_ZALO))
    clock.set(local(2026, 11, 26, 19, 0))
    assert await app.reminders.tick() == 5  # Thôn 1's two, Thôn 2's member, Thôn 3's Zalo group, Sông Trí's member
    reminder = (await zalo.wait_for_bot_messages(THON3_ZALO, before + 1))[-1]
    assert reminder["text"].startswith("🔔 Chào cả tổ Thôn 3,") and "Nhờ tổ trưởng Mr Nam" in reminder["text"]
    assert f"«@{zalo.bot_name} hôm nay học cài VNeID 12 người»" in reminder["text"]
    assert await app.sender.drain() and fake_api.fake.bot_messages(area.people["lead3"]) == []  # not privately


async def test_quiet_hours_hold_a_group_reminder_until_seven(
    make_app: AppFactory,
    fake_api: FakeApi,
    zalo_api: ZaloApi,  # noqa: F811  # the fixture imported above
) -> None:
    fake = fake_api.fake
    clock = FixedClock(local(2026, 11, 29, 19, 0))
    app = await started(make_app, clock, zalo_api)
    area = seed_area(app.database)
    for member_id in area.people.values():
        fake.add_user(member_id, first_name=f"user{member_id}")
    await talk_in(app, fake, area.people["admin"], COMMUNE_GROUP)
    bind(app.database, area, "telegram", COMMUNE_GROUP, None)
    await app.stop()  # down over Sunday 20:00, the summary's firing ...
    clock.set(local(2026, 11, 29, 23, 0))
    app = await started(make_app, clock, zalo_api)  # ... up again in the quiet hours: nothing goes out
    assert group_rows(app.database, COMMUNE_GROUP) == []
    clock.set(local(2026, 11, 30, 7, 0))
    assert await app.reminders.tick() == 2  # at 07:00: the commune's group (not its admin), Sông Trí's admin
    [summary] = await fake.wait_for_bot_messages(int(COMMUNE_GROUP), 1)
    assert summary["text"].startswith("📊 Tổng kết tuần 23/11 – 29/11/2026 của Xã Sơn Kim 1:")
    assert "Tuần này chưa thôn nào ghi buổi sinh hoạt" in summary["text"]

    # A group reminder still queued when the quiet hours begin waits for 07:00, holding nothing else back.
    clock.set(local(2026, 11, 30, 21, 30))
    with app.database.session() as session:
        outbox.enqueue(
            session,
            channel="telegram",
            chat_id=COMMUNE_GROUP,
            kind="message",
            payload={"text": "late", "to_group": True},
            now=clock.now(),
            idempotency_key="reminder:test:late:g:telegram:-1000",
        )
    app.sender.notify()

    def held() -> bool:
        return [r.status for r in group_rows(app.database, COMMUNE_GROUP)][-1] == "held"

    await wait_until(held, what="the late reminder held")
    [row] = [r for r in group_rows(app.database, COMMUNE_GROUP) if r.payload["text"] == "late"]
    until = row.next_attempt_at
    assert until is not None and (until if until.tzinfo else until.replace(tzinfo=dt.UTC)) == local(2026, 12, 1, 7, 0)
    assert len(fake.bot_messages(int(COMMUNE_GROUP))) == 1
