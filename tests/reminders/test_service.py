"""The scheduler: jobs rebuilt from the database, firings caught up after a restart, every reminder queued
once across double firings, restarts and two schedulers on one database. Time is a FixedClock, jobs are
triggered by hand: nothing sleeps waiting for a reminder."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from sqlmodel import select

from bot.clock import FixedClock
from bot.config import Config
from bot.metrics import Metrics
from bot.reminders.service import FIRE_PREFIX, ReminderService
from storage import reminders
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import VN
from tests.reminders.conftest import SON_KIM_1, Area, local


def reminder_rows(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.idempotency_key.like("reminder:%")).order_by(OutboxMessage.id)
            )
        )  # type: ignore[union-attr]


async def started(database: Database, config: Config, clock: FixedClock) -> ReminderService:
    service = ReminderService(database, config.tz, clock, run_jobs=False, watch_seconds=3600)
    await service.start()
    return service


async def test_jobs_are_built_from_the_rules_and_rebuilt_on_change(
    database: Database, config: Config, area: Area, week_clock: FixedClock
) -> None:
    service = await started(database, config, week_clock)
    try:
        local_times = [t.astimezone(VN).strftime("%a %d/%m %H:%M") for t in service.fire_times()]
        assert local_times[:4] == ["Tue 24/11 07:00", "Tue 24/11 08:00", "Thu 26/11 19:00", "Sat 28/11 08:00"]
        assert "Sun 29/11 20:00" in local_times
        assert not await service.check_version()  # nothing changed
        admin = area.member("admin")
        with database.session() as session:
            reminders.set_rule(
                session,
                actor=admin,
                kind="weekly_session",
                scope="commune",
                area_code=SON_KIM_1,
                times=["wed 17:30"],
                now=week_clock.now(),
            )
        assert await service.check_version()
        local_times = [t.astimezone(VN).strftime("%a %d/%m %H:%M") for t in service.fire_times()]
        assert "Wed 25/11 17:30" in local_times and "Thu 26/11 19:00" in local_times  # Sông Trí keeps Thursday
    finally:
        await service.stop()


async def test_a_triggered_job_queues_each_reminder_once(
    database: Database, config: Config, area: Area, week_clock: FixedClock
) -> None:
    area.log_session("Thôn 1", dt.date(2026, 11, 24))
    service = await started(database, config, week_clock)
    try:
        assert reminder_rows(database) == []  # the first start of a deployment catches nothing up
        week_clock.set(local(2026, 11, 26, 19, 0))
        job = FIRE_PREFIX + local(2026, 11, 26, 19, 0).astimezone(dt.UTC).isoformat()
        assert await service.run_job(job) == 3  # Thôn 2, Thôn 3, Tổ dân phố 1 (the paused member skipped)
        assert await service.run_job(job) == 0  # a double firing adds nothing
        await service.rebuild()
        assert await service.tick() == 0
        weekly = [r for r in reminder_rows(database) if "weekly_session" in (r.idempotency_key or "")]
        assert sorted(r.chat_id for r in weekly) == sorted(area.chat(n) for n in ("mem2", "lead3", "mem_st"))
    finally:
        await service.stop()


async def test_restart_around_a_firing_sends_it_once(database: Database, config: Config, area: Area) -> None:
    clock = FixedClock(local(2026, 11, 26, 18, 58))
    first = await started(database, config, clock)
    await first.stop()  # the bot goes down two minutes before the firing
    clock.set(local(2026, 11, 26, 19, 20))
    second = await started(database, config, clock)  # caught up at start-up: still useful
    await second.stop()
    queued = reminder_rows(database)
    assert len(queued) == 5 and all(r.idempotency_key.startswith("reminder:weekly_session") for r in queued)  # type: ignore[union-attr]
    clock.set(local(2026, 11, 26, 19, 21))
    third = await started(database, config, clock)  # killed and restarted again: nothing twice
    await third.stop()
    assert len(reminder_rows(database)) == 5
    # Friday morning, with the Thursday reminders sent: nothing more until Saturday.
    clock.set(local(2026, 11, 27, 7, 30))
    fourth = await started(database, config, clock)
    await fourth.stop()
    assert len(reminder_rows(database)) == 5


async def test_a_firing_missed_overnight_waits_for_seven(database: Database, config: Config, area: Area) -> None:
    clock = FixedClock(local(2026, 11, 29, 19, 0))
    await (await started(database, config, clock)).stop()  # down over Sunday 20:00 (the summary) ...
    clock.set(local(2026, 11, 29, 23, 0))
    service = await started(database, config, clock)  # ... and up again at 23:00
    try:
        assert reminder_rows(database) == []  # quiet hours: nothing now
        clock.set(local(2026, 11, 30, 7, 0))
        job = FIRE_PREFIX + local(2026, 11, 30, 7, 0).astimezone(dt.UTC).isoformat()
        assert await service.run_job(job) == 3  # the Sunday summary: both admins and the leader, at 07:00
        rows = reminder_rows(database)
        assert {r.idempotency_key.split(":")[1] for r in rows} == {"weekly_summary"}  # type: ignore[union-attr]
    finally:
        await service.stop()


async def test_a_firing_missed_for_too_long_is_dropped(database: Database, config: Config, area: Area) -> None:
    clock = FixedClock(local(2026, 11, 29, 19, 0))
    await (await started(database, config, clock)).stop()  # down from Sunday evening ...
    clock.set(local(2026, 12, 1, 9, 0))
    await (await started(database, config, clock)).stop()  # ... to Tuesday: the Sunday summary is stale
    assert reminder_rows(database) == []


async def test_two_schedulers_on_one_database_queue_each_reminder_once(
    database: Database, config: Config, area: Area
) -> None:
    clock = FixedClock(local(2026, 11, 26, 18, 0))
    other_process = Database(database.url)  # a second process: its own engine and connections
    one = await started(database, config, clock)
    two = await started(other_process, config, clock)
    try:
        clock.set(local(2026, 11, 26, 19, 0))
        counts = await asyncio.gather(*(service.tick() for service in (one, two, one, two)))
        assert sum(counts) == 5
        keys = Counter(r.idempotency_key for r in reminder_rows(database))
        assert len(keys) == 5 and set(keys.values()) == {1}
    finally:
        await one.stop()
        await two.stop()
        other_process.dispose()


async def test_fired_reminders_are_counted_by_rule_once_committed(
    database: Database, config: Config, area: Area, week_clock: FixedClock
) -> None:
    metrics = Metrics()
    service = ReminderService(
        database, config.tz, week_clock, run_jobs=False, watch_seconds=3600, on_fired=metrics.reminders_fired
    )
    await service.start()
    try:
        week_clock.set(local(2026, 11, 26, 19, 0))
        job = FIRE_PREFIX + local(2026, 11, 26, 19, 0).astimezone(dt.UTC).isoformat()
        queued = await service.run_job(job)
        assert queued > 0
        assert await service.run_job(job) == 0  # a double firing queues nothing, counts nothing
    finally:
        await service.stop()
        metrics.close()
    by_rule = Counter((r.idempotency_key or "").split(":")[1] for r in reminder_rows(database))
    assert sum(by_rule.values()) == queued and by_rule["weekly_session"] > 0
    exposition = metrics.exposition().decode()
    for rule, count in by_rule.items():
        assert f'bdhvs_reminders_fired_total{{rule="{rule}"}} {float(count)}' in exposition
