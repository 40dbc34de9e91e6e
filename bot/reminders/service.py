"""Firing reminders on time with APScheduler, from the rules in the database.

    service = ReminderService(database, config.tz, clock, notify=sender.notify)
    await service.start()   # catch up what was missed while down, then schedule the next firings
    ...
    await service.stop()

How it works
------------
* The jobs are only wake-ups. `rebuild()` reads every rule and deadline, computes the send times of the next
  `horizon` (8 days; quiet hours already applied) and adds one APScheduler date job per distinct time, plus
  the next 07:00 (the end of the quiet hours). It runs at start-up, whenever the rules' version in the
  database changes (checked every `watch_seconds`, and soon after each conversation commit through
  `poke()`), and every hour.
* A wake-up runs `tick()`: every firing sent between the previous tick and now that is still useful gets its
  reminders computed and put in the outbox (bot.reminders.planner); the database remembers up to when
  (`reminders.checked_until`). At start-up the scheduler goes on from there (at most `catch_up`, 8 days, back):
  what was missed while the bot was down goes out now if it is still useful.
* Every reminder carries the idempotency key (rule, period, recipient) and is inserted with ON CONFLICT DO
  NOTHING: a double firing, a restart or a second process on the same database sends nothing twice.
* Time comes from the injectable clock. APScheduler waits in real time, so a send time is turned into a real
  run date by the clock's offset from the system clock (zero in production). Tests build the service with
  `run_jobs=False` and trigger jobs themselves (`run_job`), with a FixedClock set to the firing.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock, SystemClock
from bot.reminders import planner
from storage.db import Database
from storage.reminders import QUIET_END, checked_until, datetime_at, is_quiet, rules_version, set_checked_until

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRE_PREFIX = "reminders:fire:"
WATCH_JOB = "reminders:watch"
REFRESH_JOB = "reminders:refresh"


class ReminderService:
    """APScheduler jobs that put due reminders in the outbox; see the module docstring."""

    def __init__(
        self,
        database: Database,
        tz: ZoneInfo,
        clock: Clock,
        notify: Callable[[], None] = lambda: None,
        *,
        on_fired: Callable[[str, int], None] | None = None,
        run_jobs: bool = True,
        horizon: dt.timedelta = dt.timedelta(days=8),
        catch_up: dt.timedelta = dt.timedelta(days=8),
        watch_seconds: float = 15.0,
        refresh_seconds: float = 3600.0,
    ) -> None:
        self.database = database
        self.tz = tz  # the deployment's timezone: rules, quiet hours and periods are local times
        self.clock = clock
        self.notify = notify
        # After each commit that queued reminders: how many of one rule kind (the metrics count them).
        self.on_fired = on_fired or (lambda rule, count: None)
        self.run_jobs = run_jobs
        self.horizon = horizon
        self.catch_up = catch_up
        self.watch_seconds = watch_seconds
        self.refresh_seconds = refresh_seconds
        self.scheduler: AsyncIOScheduler | None = None
        self.version: str | None = None
        self.watermark: dt.datetime | None = None  # firings sent before this were handled
        self.stats: dict[str, int] = {"ticks": 0, "enqueued": 0, "rebuilds": 0}
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()  # one tick at a time; binds to the running loop on first use
        self._poke_pending = False
        self._last_check = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Catch up on missed firings, then schedule the coming ones."""
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="reminders-db")
        self.scheduler = AsyncIOScheduler(
            timezone=self.tz,
            event_loop=self._loop,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.scheduler.start(paused=not self.run_jobs)
        now = self.clock.now()
        # Catch up from where the last scheduler stopped (not further back than `catch_up`); the very first
        # start of a deployment has nothing to catch up.
        checked = await self._db(self._checked_sync)
        self.watermark = max(checked, now - self.catch_up) if checked is not None else now
        await self.tick()
        await self.rebuild()
        self.scheduler.add_job(
            self.check_version, IntervalTrigger(seconds=self.watch_seconds), id=WATCH_JOB, replace_existing=True
        )
        self.scheduler.add_job(
            self.rebuild, IntervalTrigger(seconds=self.refresh_seconds), id=REFRESH_JOB, replace_existing=True
        )

    async def stop(self) -> None:
        """Stop the scheduler; a tick in progress finishes (its transaction commits or rolls back)."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None  # stopped: another instance may hold the scheduler role now (bot/leadership.py)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        async with self._lock:  # let a running tick finish its database work
            pass
        if self._executor is not None:
            await asyncio.to_thread(self._executor.shutdown, True)
            self._executor = None
        self._loop = None

    # -- what the jobs do -------------------------------------------------------------------------

    async def tick(self) -> int:
        """Queue the reminders of every firing since the last tick that is still useful; returns how many."""
        async with self._lock:
            now = self.clock.now()
            start = self.watermark or now
            end = now + dt.timedelta(microseconds=1)  # a firing at exactly now is due now
            try:
                by_rule = await self._db(self._tick_sync, start, end, now)
            except Exception:  # a scheduler job must not die: log it, the next tick covers the same window
                log.exception("could not queue the reminders due since %s; the next tick tries again", start)
                return 0
            added = sum(by_rule.values())
            for rule, count in by_rule.items():
                self.on_fired(rule, count)
            self.stats["ticks"] += 1
            self.stats["enqueued"] += added
            if not is_quiet(now.astimezone(self.tz)):
                self.watermark = end  # in the quiet hours nothing went out: 07:00 looks again
            if added:
                log.info("queued %d reminders", added)
                self.notify()
            return added

    def _tick_sync(self, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> collections.Counter[str]:
        """Plan and queue the window's reminders and move the watermark, in one transaction; returns how many
        were queued, by rule kind."""
        by_rule: collections.Counter[str] = collections.Counter()
        with self.database.session() as session:
            dues = planner.plan(session, self.tz, start, end, now)
            if dues:
                planner.enqueue(session, dues, now, by_rule)
            if not is_quiet(now.astimezone(self.tz)):
                set_checked_until(session, end, now)  # in the same transaction as the reminders
        return by_rule

    def _checked_sync(self) -> dt.datetime | None:
        """Up to when the last scheduler queued reminders (None on a new deployment)."""
        with self.database.session() as session:
            return checked_until(session)

    async def rebuild(self) -> list[dt.datetime]:
        """Replace the wake-up jobs with the send times of the coming `horizon`, read from the database."""
        if self.scheduler is None:
            return []
        now = self.clock.now()
        moments, version = await self._db(self._moments_sync, now)
        offset = now - SystemClock().now()  # the injected clock's distance from real time
        for job in self.scheduler.get_jobs():
            if job.id.startswith(FIRE_PREFIX):
                job.remove()
        for moment in moments:
            self.scheduler.add_job(
                self.tick,
                DateTrigger(run_date=moment - offset),
                id=FIRE_PREFIX + moment.isoformat(),
                replace_existing=True,
            )
        self.version = version
        self.stats["rebuilds"] += 1
        return moments

    def _moments_sync(self, now: dt.datetime) -> tuple[list[dt.datetime], str]:
        """The coming send times (and the end of the quiet hours) and the rules' version."""
        with self.database.session() as session:
            found = planner.firings(session, self.tz, now, now + self.horizon, all_rules=True)
            version = rules_version(session)
        local = now.astimezone(self.tz)
        quiet_end = datetime_at(local.date(), QUIET_END, self.tz)
        if quiet_end <= local:
            quiet_end += dt.timedelta(days=1)
        moments = {f.at.astimezone(dt.UTC) for f in found} | {quiet_end.astimezone(dt.UTC)}
        return sorted(m for m in moments if m > now), version

    async def check_version(self) -> bool:
        """Rebuild when a rule or deadline changed (in this process or another); True when it did."""
        self._last_check = asyncio.get_running_loop().time()
        try:
            version = await self._db(self._version_sync)
        except Exception:  # a scheduler job must not die: log it, the next check tries again
            log.exception("could not read the reminder rules' version")
            return False
        if version == self.version:
            return False
        log.info("reminder rules changed (version %s); rebuilding the schedule", version)
        await self.rebuild()
        return True

    def _version_sync(self) -> str:
        """The rules' version as the database has it now."""
        with self.database.session() as session:
            return rules_version(session)

    def poke(self) -> None:
        """A conversation committed (maybe a rule change): look at the version soon. Safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._poke_pending:
            return
        self._poke_pending = True
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._spawn_check)

    def _spawn_check(self) -> None:
        """Start a version check on the loop, keeping the task until it ends."""
        task = asyncio.get_running_loop().create_task(self._poked())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poked(self) -> None:
        """Check the rules' version after a commit, at most once a second."""
        # At most one look a second, however busy the conversation is.
        wait = self._last_check + 1.0 - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._poke_pending = False
        await self.check_version()

    # -- for tests and the health page ------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """The scheduled jobs (wake-ups first, by time)."""
        if self.scheduler is None:
            return []
        return sorted(self.scheduler.get_jobs(), key=lambda j: (not j.id.startswith(FIRE_PREFIX), j.id))

    def fire_times(self) -> list[dt.datetime]:
        """The send times the scheduler will wake up for (UTC, clock time)."""
        return [
            dt.datetime.fromisoformat(j.id[len(FIRE_PREFIX) :]) for j in self.jobs() if j.id.startswith(FIRE_PREFIX)
        ]

    async def run_job(self, job_id: str) -> Any:
        """Run one job now, as APScheduler would (tests move the clock and trigger jobs)."""
        if self.scheduler is None:
            raise RuntimeError("the reminder service is not started")
        job = self.scheduler.get_job(job_id)
        if job is None:
            raise KeyError(job_id)
        return await job.func(*job.args, **job.kwargs)

    async def _db(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking database function on the service's own thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)
