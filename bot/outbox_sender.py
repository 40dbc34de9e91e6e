"""The outbox sender: delivers what the engine put in the outbox, in order per chat, within rate limits.

How it works
------------
* A dispatcher task reads due items (`status = pending`, `next_attempt_at` empty or past) from the database
  when woken by `notify()` (reminders and other writers call it after they commit) and at least every
  `poll_interval` seconds (retries that became due). The engine does not make it read them again: after each
  commit it hands over the items it just wrote (`handoff()`), which go out at once, with the same order and
  blocking rules. Each item is *claimed* in memory and handed to one of a
  fixed pool of worker coroutines, chosen by a hash of (channel, chat id): all items of a chat go to the same
  worker, which sends them one at a time in id order. So one chat never has two items in flight, and different
  chats are sent in parallel.
* Per chat order survives failures: when an item has to wait (429, 5xx), the chat is *blocked* behind it. Later
  items of that chat are not sent (the worker drops them back to pending; the dispatcher does not hand out items
  of a chat that has an earlier item waiting in the database) until the waiting item is sent or finally failed.
* Rate limits (token buckets, real monotonic time): one global bucket per channel (`global_per_second`), one per
  private chat (`private_chat_per_second`, burst `private_chat_burst`: a two-message reply goes out at once),
  one per group (`group_per_minute`). Replies go first: a worker sends an item without an idempotency key
  (a reply in a conversation) before items with one (reminders, notices to others) whenever both are ready. `answer_callback` and `set_commands` items do not count per chat. A worker
  picks, among its chats, one whose bucket has a token, so a slow chat does not hold back the others.
* Errors from the renderer (`bot.channels.base`): `RetryAfter` reschedules the item and pauses the whole channel
  for that time; `TransientError` retries with exponential backoff and gives up (`failed`) after
  `max_attempts`; `Unreachable` fails the item and the rest of that chat's queue and marks the member behind the
  chat `unreachable` and, the first time, tells the member's commune admin (once per episode); `PermanentError`
  fails the item and logs it.
* A `hold` policy may keep an item back (the app holds reminders that reach the quiet hours, 21:00–07:00,
  behind a long queue): it is marked `held` until the given time, the rest of its chat goes on, and a full
  scan after that time makes it pending again.
* A send that gets no answer in time (`SendTimedOut` from the renderer, whose clients wait `send_timeout`, 60 s by
  default, far beyond Telegram's usual answer of well under a second; or this sender's own `deliver_timeout`
  backstop) is retried like a 5xx, but not before `timeout_settle` seconds (30 s by default): the clients close
  the timed-out call's connection, and a platform that still carries such a call out gets that long to do it,
  so it lands before its retry and before the chat's later messages, which wait behind it.
* Successful sends are marked `sent` at once by a thread of its own (`SentMarker`), in small transactions (what
  succeeds while one is being written goes in the next); the event loop and the outbox scans are not on the
  way. A chat's next item waits until its previous one is marked, so a crash finds at most one item per chat
  answered and not marked. `mark_lag()` tells how long that window was (a few milliseconds on SQLite). All
  other database work runs in one executor thread, so the event loop stays free.

Delivery is at least once: a crash after the platform accepted an item and before it was marked `sent` sends it
again after restart (as does a retried multi-part message, whose first parts were already accepted). An item is
never lost: it stays `pending` in the database until it is marked `sent` or `failed`.

The bound on what a person sees twice, and its honest limits. Telegram documents neither how long a send may
take nor whether a call whose connection was closed is still carried out. A platform that drops such a call
shows nothing twice. One that carries it out anyway shows the timed-out message twice (one message per
time-out: a chat has one item in flight), in order as long as it lands within `send_timeout + timeout_settle`
of being sent; a call held longer than that (90 s by default) may land after the chat's later messages. A
crash (SIGKILL) re-sends in each chat at most the one item that was in flight or answered and not yet marked,
right after its first copy, never after a later message. tests/reliability/test_platform_faults.py measures
both.

Run one sender per database: two processes sending the same outbox would both send each item.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import itertools
import logging
import math
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from typing import Any, Optional, TypeVar

from sqlalchemy import func, update
from sqlalchemy.orm import aliased
from sqlmodel import select

from bot.channels.base import (
    ChannelRenderer,
    PermanentError,
    RetryAfter,
    SendTimedOut,
    TransientError,
    Unreachable,
    is_group_chat,
)
from bot.clock import Clock
from bot.settings import RateLimits
from bot.reminders.notices import mark_unreachable
from storage import outbox
from storage.db import Database
from storage.models import ChannelAccount, OutboxMessage
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

T = TypeVar("T")
ChatKey = tuple[str, str]  # (channel, chat id)

# Kinds that Telegram does not count as messages in a chat.
# Not counted against a chat's own limit: they add no new message to the chat (an edit closes the message
# whose button was pressed); they still count against the bot's overall rate.
UNMETERED_KINDS = frozenset({outbox.KIND_ANSWER_CALLBACK, outbox.KIND_SET_COMMANDS, outbox.KIND_EDIT})


class TokenBucket:
    """`rate` tokens per second, at most `capacity` saved up; time is `time.monotonic()` seconds."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, capacity)
        self.tokens = self.capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is there now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


class SentMarker:
    """Marks sent items on a thread of its own as soon as they are handed over; whatever waits meanwhile goes in
    the same small transaction. Neither the event loop nor a scan of the outbox is on the way, so a crash between
    the platform's answer and the mark has only this thread's wake-up and one short commit to fall into."""

    def __init__(self, mark: Callable[[list[int]], None], marked: Callable[[list[int], list[float]], None], *,
                 batch_size: int = 50, gather: float = 0.0) -> None:
        self._mark = mark  # writes the marks (one transaction)
        self._marked = marked  # told, on this thread, which ids were marked and how long each waited
        self.batch_size = max(1, batch_size)
        self.gather = gather  # > 0: wait this long for a batch to fill (throughput over the window)
        self._queue: "SimpleQueue[Optional[tuple[int, float]]]" = SimpleQueue()
        self._stop_requested = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-mark", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def put(self, item_id: int, answered_at: float) -> None:
        """An item the platform accepted at `answered_at` (time.monotonic()): mark it now."""
        self._queue.put((item_id, answered_at))

    def stop(self) -> None:
        """Mark what was handed over, then end the thread (blocking: run it off the event loop)."""
        self._stop_requested.set()
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            if self.gather > 0:
                time.sleep(self.gather)
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    following = self._queue.get_nowait()
                except Empty:
                    break
                if following is None:
                    stopping = True
                    break
                batch.append(following)
            self._write(batch)

    def _write(self, batch: list[tuple[int, float]]) -> None:
        """One transaction; on a database error try again each second (when stopping, three times at most:
        the items stay pending and are sent again after restart)."""
        ids = [item_id for item_id, _ in batch]
        for attempt in itertools.count(1):
            try:
                self._mark(ids)
                break
            except Exception:
                log.exception("could not mark %d outbox items sent (attempt %d)", len(ids), attempt)
                if self._stop_requested.is_set() and attempt >= 3:
                    return
                time.sleep(1.0)
        done = time.monotonic()
        self._marked(ids, [done - answered for _, answered in batch])


@dataclass
class _Worker:
    index: int
    chats: "collections.OrderedDict[ChatKey, collections.deque[OutboxItem]]" = field(
        default_factory=collections.OrderedDict
    )
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: Optional["asyncio.Task[None]"] = None
    current: Optional[OutboxItem] = None


@dataclass
class _Fetched:
    due: list[OutboxItem]
    blockers: dict[ChatKey, int]  # the earliest item of a chat that waits for a later attempt
    next_due: Optional[dt.datetime]
    held_next: Optional[dt.datetime] = None  # the earliest end of a hold (full scans only)


class OutboxSender:
    """Delivers outbox items through channel renderers; see the module docstring."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        rate_limits: RateLimits | None = None,
        renderers: Iterable[ChannelRenderer] = (),
        *,
        workers: int = 6,
        poll_interval: float = 1.0,
        max_attempts: int = 8,
        base_backoff: float = 1.0,
        max_backoff: float = 600.0,
        batch_size: int = 50,
        flush_interval: float = 0.0,
        max_claimed: int = 2000,
        deliver_timeout: float = 300.0,
        timeout_settle: float = 30.0,
        db_executor: Executor | None = None,
        hold: Optional[Callable[[OutboxItem, dt.datetime], Optional[dt.datetime]]] = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.rate_limits = rate_limits or RateLimits()
        self.renderers: dict[str, ChannelRenderer] = {renderer.channel: renderer for renderer in renderers}
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self.flush_interval = flush_interval  # > 0: wait this long to gather a batch of marks (throughput tests)
        self.max_claimed = max_claimed
        # A backstop above the clients' own per-call time-out: an item may take several calls (a long text).
        self.deliver_timeout = deliver_timeout
        self.timeout_settle = timeout_settle
        # When an item may not go out now (a reminder reaching the quiet hours behind a long queue): the time
        # it may. It is then held in the database, and the rest of its chat goes on.
        self.hold = hold
        self._held_next: Optional[dt.datetime] = None
        self._check_held = True
        self._worker_count = max(1, workers)
        self._own_executor = db_executor is None
        self._executor_closed = False
        self._db_executor: Executor = db_executor or ThreadPoolExecutor(1, thread_name_prefix="outbox-db")
        # Marks have a thread of their own (SentMarker), made at each start.
        self._marker: Optional[SentMarker] = None
        self._mark_lags: collections.deque[float] = collections.deque(maxlen=10_000)
        self._awaiting_mark: dict[ChatKey, int] = {}  # a chat's item answered by the platform, not yet marked
        self._awaiting_chat: dict[int, ChatKey] = {}  # the same, by item id

        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._workers: list[_Worker] = []
        self._dispatcher: Optional["asyncio.Task[None]"] = None
        self._wake: Optional[asyncio.Event] = None
        self._fetch_wanted = True  # notify() was called: read the database for new items
        self._handed: list[OutboxItem] = []  # committed by the engine, not yet dispatched
        self._stop_event: Optional[asyncio.Event] = None
        self._running = False
        self._stopping = False

        self._claimed: set[int] = set()
        # Release order, so a fetch that read the database before an item was marked does not hand it out again.
        self._seq = 0
        self._released: dict[int, int] = {}
        self._blocked: dict[ChatKey, int] = {}
        self._high_water = 0  # the newest item id handed to a worker (or skipped behind a waiting one)
        self._rescan = True
        self._next_due: Optional[dt.datetime] = None
        self._paused_until: dict[str, float] = {}
        self._global_buckets: dict[str, TokenBucket] = {}
        self._chat_buckets: dict[ChatKey, TokenBucket] = {}
        self.stats: collections.Counter[str] = collections.Counter()

    # -- public API -------------------------------------------------------------------------------

    def add_renderer(self, renderer: ChannelRenderer) -> None:
        """Deliver items of `renderer.channel` through it; items of channels without a renderer wait."""
        self.renderers[renderer.channel] = renderer
        self.notify()

    def notify(self) -> None:
        """New items may be in the database: look now. Safe to call from any thread."""
        self._fetch_wanted = True
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(wake.set)

    def handoff(self, items: Iterable[OutboxItem]) -> None:
        """Items just committed (with their ids), to send without reading them back. Safe from any thread.

        The database stays the record: an item that cannot be taken now (no renderer yet, too many claimed,
        its chat waits behind a retry) is simply left to the next database read.
        """
        items = [item for item in items if item.id is not None]
        loop = self._loop
        if not items:
            return
        if loop is None or loop.is_closed():
            self.notify()
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._accept_handed, items)

    def _accept_handed(self, items: list[OutboxItem]) -> None:
        if self._wake is None or self._stopping:
            return
        self._handed.extend(items)
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def worker_count(self) -> int:
        return self._worker_count

    async def start(self) -> None:
        """Start the dispatcher, the workers and the marker."""
        if self._running:
            return
        if self._own_executor and self._executor_closed:
            self._db_executor = ThreadPoolExecutor(1, thread_name_prefix="outbox-db")
            self._executor_closed = False
        self._rescan, self._high_water = True, 0
        self._handed, self._fetch_wanted = [], True
        self._check_held = True
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._awaiting_mark, self._awaiting_chat = {}, {}
        loop = self._loop
        self._marker = SentMarker(self._mark_sent_sync,
                                  lambda ids, lags: self._call_soon(loop, self._after_marked, ids, lags),
                                  batch_size=self.batch_size, gather=self.flush_interval)
        self._marker.start()
        self._stopping = False
        self._workers = [_Worker(index) for index in range(self._worker_count)]
        for worker in self._workers:
            worker.task = asyncio.create_task(self._work(worker), name=f"outbox-worker-{worker.index}")
        self._dispatcher = asyncio.create_task(self._dispatch_loop(), name="outbox-dispatcher")
        self._running = True
        self.notify()

    async def stop(self, drain_timeout: float = 0.0, stop_timeout: float = 30.0) -> None:
        """Optionally send what is due (up to `drain_timeout` s), finish the items in flight, then stop.

        Items handed to a worker but not started stay pending in the database and go out after restart.
        """
        if not self._running:
            self._shutdown_executor()
            return
        if drain_timeout > 0:
            await self.drain(drain_timeout)
        self._stopping = True
        assert self._stop_event is not None and self._wake is not None
        self._stop_event.set()
        self._wake.set()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        for worker in self._workers:
            worker.wake.set()
        tasks = [worker.task for worker in self._workers if worker.task is not None]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=stop_timeout)
            for task in late:  # a renderer stuck past its own time-outs: the item stays pending
                log.warning("outbox worker did not finish in %.0f s; cancelling it", stop_timeout)
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        if self._marker is not None:
            # What was sent gets marked; its releases were queued on this loop before the join returned.
            await asyncio.to_thread(self._marker.stop)
            self._marker = None
            await asyncio.sleep(0)
        for worker in self._workers:
            for queue in worker.chats.values():
                for item in queue:
                    self._release(item.id)
            worker.chats.clear()
        self._running = False
        self._loop = None
        self._shutdown_executor()

    async def drain(self, timeout: float = 10.0, *, include_waiting: bool = False) -> bool:
        """Wait until no item is due or in flight (True), or until `timeout` seconds passed (False).

        With `include_waiting`, also wait for items scheduled for a later attempt (tests with tiny delays).
        """
        if not self._running:
            raise RuntimeError("the outbox sender is not running")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self.notify()
            if not self._claimed:  # a sent item stays claimed until it is marked
                due, waiting = await self._db(self._count_sync, self.clock.now())
                if due == 0 and (waiting == 0 or not include_waiting) and not self._claimed:
                    return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.005)

    # -- dispatcher -------------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        assert self._wake is not None
        last_full = -math.inf
        next_due: Optional[dt.datetime] = None
        while not self._stopping:
            self._wake.clear()
            # A full scan finds retries that became due and items dropped behind a waiting one; it reads
            # every pending row, so it runs at most once per poll interval. A wake-up from `notify()` only
            # looks at items newer than the newest one handed out.
            full = (
                self._rescan
                or time.monotonic() - last_full >= self.poll_interval
                or (next_due is not None and next_due <= self.clock.now())
            )
            delay = self.poll_interval
            try:
                if self._handed:
                    handed, self._handed = self._handed, []
                    self._dispatch_handed(handed)
                if full:
                    self._rescan = False
                    last_full = time.monotonic()
                if full or self._fetch_wanted:
                    self._fetch_wanted = False
                    next_due = await self._dispatch_once(full)
                else:
                    next_due = self._next_due
                if next_due is not None:
                    until = (next_due - self.clock.now()).total_seconds()
                    delay = min(delay, max(0.005, until))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox dispatch failed; trying again in %.1f s", self.poll_interval)
                self._rescan = True
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _dispatch_once(self, full: bool) -> Optional[dt.datetime]:
        channels = sorted(self.renderers)
        room = self.max_claimed - len(self._claimed)
        if not channels:
            return None
        if full and (self._check_held or (self._held_next is not None and self._held_next <= self.clock.now())):
            self._check_held = False
            released = await self._db(self._release_held_sync, self.clock.now())
            if released:
                log.info("%d held outbox items may go out now", released)
        fetch_seq = self._seq
        fetched = await self._db(
            self._fetch_sync, self.clock.now(), channels, frozenset(self._claimed) if full else frozenset(),
            max(0, room), None if full else self._high_water,
        )
        if full:
            self._next_due = fetched.next_due
            self._held_next = fetched.held_next
            # After a restart the database is the only record of which chats wait behind an item; and a
            # block whose item is no longer waiting there (failed by hand, say) must not hold the chat forever.
            for key, blocker in list(self._blocked.items()):
                changed_since = self._released.get(blocker, -1) > fetch_seq
                if key not in fetched.blockers and blocker not in self._claimed and not changed_since:
                    del self._blocked[key]
            for key, first in fetched.blockers.items():
                current = self._blocked.get(key)
                self._blocked[key] = first if current is None else min(current, first)
        for item in fetched.due:
            assert item.id is not None
            if item.id in self._claimed or self._released.get(item.id, -1) > fetch_seq:
                continue  # in flight, or marked after this fetch read it
            key = (item.channel, item.chat_id)
            self._high_water = max(self._high_water, item.id)
            blocker = fetched.blockers.get(key) if full else self._blocked.get(key)
            if blocker is not None and item.id > blocker:
                continue  # an earlier item of this chat waits for its next attempt: a later full scan
            self._claim_for_worker(key, item)
        self._released.clear()  # the next fetch starts after every release recorded so far
        return fetched.next_due if full else self._next_due

    def _dispatch_handed(self, items: list[OutboxItem]) -> None:
        """Claim items the engine handed over, as a database read would have found them.

        Not done here, left to the database (the next read finds them): items at or below the high-water mark
        (a read already covered them), of a channel without a renderer, or behind an item of their chat that
        waits for a later attempt. `max_claimed` does not apply: a reply must not wait behind thousands of
        reminders already claimed (there are only ever a few replies per update). The high-water mark does not move: an item another
        writer committed just before must still be found by the next read after `notify()`.
        """
        for item in items:
            assert item.id is not None
            if item.id in self._claimed or item.id <= self._high_water:
                continue
            if item.channel not in self.renderers:
                self._fetch_wanted = True
                continue
            key = (item.channel, item.chat_id)
            blocker = self._blocked.get(key)
            if blocker is not None and item.id > blocker:
                continue  # found by the full scan once the waiting item has gone
            self._claim_for_worker(key, item)

    def _claim_for_worker(self, key: ChatKey, item: OutboxItem) -> None:
        """Claim an item and queue it, in id order, with its chat's worker."""
        assert item.id is not None
        self._claimed.add(item.id)
        worker = self._worker_for(key)
        queue = worker.chats.get(key)
        if queue is None:
            worker.chats[key] = collections.deque([item])
        elif not queue or queue[-1].id < item.id:  # type: ignore[operator]
            queue.append(item)
        else:  # another writer's item committed before ones already queued: it goes first
            position = next(i for i, queued in enumerate(queue) if queued.id > item.id)  # type: ignore[operator]
            queue.insert(position, item)
        worker.wake.set()

    def _worker_for(self, key: ChatKey) -> _Worker:
        """The worker that sends every item of this chat."""
        return self._workers[zlib.crc32(f"{key[0]}:{key[1]}".encode()) % len(self._workers)]

    def _fetch_sync(
        self, now: dt.datetime, channels: list[str], claimed: frozenset[int], room: int,
        after_id: Optional[int],
    ) -> _Fetched:
        with self.database.session(readonly=True) as session:
            blockers: dict[ChatKey, int] = {}
            next_due: Optional[dt.datetime] = None
            held_next: Optional[dt.datetime] = None
            if after_id is None:
                waiting = session.exec(
                    select(OutboxMessage.channel, OutboxMessage.chat_id, func.min(OutboxMessage.id),
                           func.min(OutboxMessage.next_attempt_at))
                    .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at > now)
                    .where(OutboxMessage.channel.in_(channels))  # type: ignore[attr-defined]
                    .group_by(OutboxMessage.channel, OutboxMessage.chat_id)
                ).all()
                blockers = {(channel, chat_id): first for channel, chat_id, first, _ in waiting}
                next_due = min((at for *_, at in waiting if at is not None), default=None)
                held_next = session.exec(
                    select(func.min(OutboxMessage.next_attempt_at))
                    .where(OutboxMessage.status == outbox.STATUS_HELD)
                    .where(OutboxMessage.channel.in_(channels))  # type: ignore[attr-defined]
                ).one()
            due: list[OutboxItem] = []
            cursor, page = after_id or 0, 500
            while room > 0:
                rows = session.exec(
                    select(*outbox.item_columns())
                    .where(OutboxMessage.status == "pending", OutboxMessage.id > cursor)
                    .where((OutboxMessage.next_attempt_at == None) | (OutboxMessage.next_attempt_at <= now))  # noqa: E711
                    .where(OutboxMessage.channel.in_(channels))  # type: ignore[attr-defined]
                    .order_by(OutboxMessage.id)  # type: ignore[arg-type]
                    .limit(page)
                ).all()
                for row in rows:
                    if row.id not in claimed and room > 0:
                        due.append(OutboxItem(*row))
                        room -= 1
                if len(rows) < page:
                    break
                cursor = rows[-1].id  # type: ignore[assignment]
            return _Fetched(due=due, blockers=blockers, next_due=next_due, held_next=held_next)

    def _count_sync(self, now: dt.datetime) -> tuple[int, int]:
        """(items that could be sent now, items waiting for a later attempt or behind one that waits)."""
        channels = sorted(self.renderers)
        earlier = aliased(OutboxMessage)
        behind_waiting = (
            select(earlier.id)
            .where(earlier.status == "pending", earlier.channel == OutboxMessage.channel,
                   earlier.chat_id == OutboxMessage.chat_id, earlier.next_attempt_at > now,
                   earlier.id < OutboxMessage.id)  # type: ignore[operator]
            .exists()
        )
        with self.database.session(readonly=True) as session:
            base = (
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == "pending")
                .where(OutboxMessage.channel.in_(channels))  # type: ignore[attr-defined]
            )
            due = session.exec(
                base.where((OutboxMessage.next_attempt_at == None) | (OutboxMessage.next_attempt_at <= now))  # noqa: E711
                .where(~behind_waiting)
            ).one()
            pending = session.exec(base).one()
            return int(due), int(pending) - int(due)

    # -- workers ----------------------------------------------------------------------------------

    async def _work(self, worker: _Worker) -> None:
        while not self._stopping:
            if not worker.chats:
                worker.wake.clear()
                await worker.wake.wait()
                continue
            now = time.monotonic()
            chosen: Optional[ChatKey] = None
            background: Optional[ChatKey] = None
            soonest = math.inf
            for key, queue in worker.chats.items():
                if key in self._awaiting_mark:
                    continue  # its last item was answered, not yet marked: the next waits (woken by the mark)
                wait = self._chat_wait(key, queue[0], now)
                if wait > 0:
                    soonest = min(soonest, wait)
                elif queue[0].idempotency_key is None:
                    chosen = key  # a reply to someone in a conversation: first
                    break
                elif background is None:
                    background = key  # a reminder or a notice: when no reply is ready
            chosen = chosen or background
            if chosen is None:
                worker.wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(worker.wake.wait(), None if soonest == math.inf else soonest)
                continue
            queue = worker.chats[chosen]
            item = queue.popleft()
            if queue:
                worker.chats.move_to_end(chosen)  # round robin between the worker's chats
            else:
                del worker.chats[chosen]
            worker.current = item
            try:
                await self._deliver(worker, item)
            except asyncio.CancelledError:
                self._release(item.id)  # cut off mid-delivery: it stays pending
                raise
            except Exception:  # a bug here must not kill the worker; the item stays pending
                log.exception("outbox worker failed on item %s", item.id)
                self._release(item.id)
            finally:
                worker.current = None

    def _chat_wait(self, key: ChatKey, item: OutboxItem, now: float) -> float:
        blocker = self._blocked.get(key)
        if item.kind in UNMETERED_KINDS or (blocker is not None and item.id > blocker):  # type: ignore[operator]
            return 0.0
        return self._chat_bucket(key, now).wait_time(now)

    def _chat_bucket(self, key: ChatKey, now: float) -> TokenBucket:
        bucket = self._chat_buckets.get(key)
        if bucket is None:
            if len(self._chat_buckets) > 10_000:  # forget idle chats (a full bucket is the default state)
                self._chat_buckets = {k: b for k, b in self._chat_buckets.items() if not b.full(now)}
            renderer = self.renderers.get(key[0])
            limits = self.rate_limits
            if renderer is not None and is_group_chat(renderer, key[1]):
                # Telegram allows 20 a minute in a group: a small burst, then one every 3 s.
                bucket = TokenBucket(limits.group_per_minute / 60.0, min(limits.private_chat_burst, 3), now)
            else:
                bucket = TokenBucket(limits.private_chat_per_second, limits.private_chat_burst, now)
            self._chat_buckets[key] = bucket
        return bucket

    async def _wait_for_channel(self, channel: str) -> bool:
        """Wait out a 429 pause and the global rate; False when stopping meanwhile."""
        assert self._stop_event is not None
        bucket = self._global_buckets.get(channel)
        if bucket is None:
            rate = self.rate_limits.global_per_second
            bucket = self._global_buckets[channel] = TokenBucket(rate, max(1.0, rate), time.monotonic())
        while True:
            now = time.monotonic()
            wait = max(self._paused_until.get(channel, 0.0) - now, bucket.wait_time(now))
            if wait <= 0:
                bucket.take(now)
                return True
            if self._stopping:
                return False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), wait)

    async def _deliver(self, worker: _Worker, item: OutboxItem) -> None:
        assert item.id is not None
        key = (item.channel, item.chat_id)
        blocker = self._blocked.get(key)
        if blocker is not None and item.id > blocker:
            self._release(item.id)  # an earlier item of this chat must go first; fetched again later
            return
        renderer = self.renderers.get(item.channel)
        if renderer is None:
            self._release(item.id)
            return
        until = self.hold(item, self.clock.now()) if self.hold is not None else None
        if until is not None:
            self.stats["held"] += 1
            try:
                await self._db(self._hold_sync, item.id, until)
            finally:
                self._release(item.id)
            self._held_next = until if self._held_next is None else min(self._held_next, until)
            return
        if not await self._wait_for_channel(item.channel):
            self._release(item.id)
            return
        if item.kind not in UNMETERED_KINDS:
            self._chat_bucket(key, time.monotonic()).take(time.monotonic())
        try:
            await asyncio.wait_for(renderer.deliver(item), self.deliver_timeout)
        except RetryAfter as error:
            self.stats["retry_after"] += 1
            pause = max(error.seconds, 0.0)
            self._paused_until[item.channel] = max(self._paused_until.get(item.channel, 0.0),
                                                   time.monotonic() + pause)
            log.warning("%s asked to slow down for %.1f s (item %s, chat %s)", item.channel, pause,
                        item.id, item.chat_id)
            at = self.clock.now() + dt.timedelta(seconds=pause)
            self._drop_queued(worker, key)
            await self._retry_later(item, str(error) or "retry after", at, count_attempt=False)
        except Unreachable as error:
            self.stats["unreachable"] += 1
            log.info("chat %s on %s is unreachable (%s); item %s failed", item.chat_id, item.channel,
                     error, item.id)
            await self._db(self._unreachable_sync, item, str(error) or "unreachable", self.clock.now())
            self._finish(item.id)
            self.notify()  # the commune admin's notice may be waiting
            self._drop_queued(worker, key)  # failed in the database together with this one
        except PermanentError as error:
            self.stats["failed"] += 1
            log.warning("%s refused item %s (%s to chat %s): %s", item.channel, item.id, item.kind,
                        item.chat_id, error)
            await self._db(self._fail_sync, item.id, f"permanent: {error}", self.clock.now())
            self._finish(item.id)
        except (TransientError, asyncio.TimeoutError, Exception) as error:
            await self._after_transient(worker, item, error)
        else:
            self._after_sent(item)

    async def _after_transient(self, worker: _Worker, item: OutboxItem, error: BaseException) -> None:
        """A failure that may pass: try again with backoff (after a time-out, not before `timeout_settle`, the
        chat waiting behind it), or give up after `max_attempts`."""
        if not isinstance(error, (TransientError, asyncio.TimeoutError)):
            log.error("renderer crashed on item %s; treating it as a transient error", item.id, exc_info=error)
        self.stats["transient"] += 1
        timed_out = isinstance(error, (SendTimedOut, asyncio.TimeoutError))
        if timed_out:
            self.stats["timed_out"] += 1
        reason = str(error) or type(error).__name__
        attempt = item.attempts + 1
        if attempt >= self.max_attempts:
            self.stats["failed"] += 1
            log.warning("giving up item %s (%s to chat %s) after %d attempts: %s", item.id, item.kind,
                        item.chat_id, attempt, reason)
            await self._db(self._fail_sync, item.id, f"gave up after {attempt} attempts: {reason}", self.clock.now())
            self._finish(item.id)
            return
        delay = min(self.max_backoff, self.base_backoff * (2 ** item.attempts))
        if timed_out:
            delay = max(delay, self.timeout_settle)  # the call may still land: give it time to, first
        log.info("item %s failed (%s); attempt %d again in %.1f s", item.id, reason, attempt + 1, delay)
        self._drop_queued(worker, (item.channel, item.chat_id))
        await self._retry_later(item, reason, self.clock.now() + dt.timedelta(seconds=delay))

    def _after_sent(self, item: OutboxItem) -> None:
        """The platform accepted the item: mark it at once, off the event loop. The chat's next item waits for
        the mark, so a crash finds at most this one answered and unmarked in the chat (sent again right after
        itself)."""
        key = (item.channel, item.chat_id)
        if self._marker is None:  # stopped meanwhile: it stays pending and goes out again after restart
            self._release(item.id)
            return
        self._awaiting_mark[key], self._awaiting_chat[item.id] = item.id, key
        self._marker.put(item.id, time.monotonic())
        self.stats["sent"] += 1
        if self._blocked.get(key) == item.id:
            self._unblock(key)

    def _drop_queued(self, worker: _Worker, key: ChatKey) -> None:
        """Hand back the chat's later items queued in the worker: they must wait for the one that failed
        and are fetched again, in order, once it has gone (otherwise a lifted block would let them jump it)."""
        for other in worker.chats.pop(key, None) or ():
            self._release(other.id)

    async def _retry_later(self, item: OutboxItem, reason: str, at: dt.datetime,
                           count_attempt: bool = True) -> None:
        assert item.id is not None
        key = (item.channel, item.chat_id)
        current = self._blocked.get(key)
        self._blocked[key] = item.id if current is None else min(current, item.id)
        try:
            await self._db(self._reschedule_sync, item.id, reason, at, count_attempt)
        finally:
            self._release(item.id)
        self._rescan = True  # the dispatcher learns when to look again
        self.notify()

    def _finish(self, item_id: Optional[int]) -> None:
        """An item reached its final state (failed): unblock its chat and release it."""
        assert item_id is not None
        for key, blocker in list(self._blocked.items()):
            if blocker == item_id:
                self._unblock(key)
        self._release(item_id)

    def _unblock(self, key: ChatKey) -> None:
        """The item a chat waited behind is done: its later items may go (found by a full scan)."""
        del self._blocked[key]
        self._rescan = True
        self.notify()

    def _release(self, item_id: Optional[int]) -> None:
        if item_id is None or item_id not in self._claimed:
            return
        self._claimed.discard(item_id)
        self._seq += 1
        self._released[item_id] = self._seq
        if len(self._claimed) == self.max_claimed // 2:
            self.notify()  # room again after a full house: fetch more

    # -- marking ----------------------------------------------------------------------------------

    @staticmethod
    def _call_soon(loop: Optional[asyncio.AbstractEventLoop], callback: Callable[..., None], *args: Any) -> None:
        """Run `callback(*args)` on the event loop, from another thread (nothing if the loop is gone)."""
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(callback, *args)

    def _after_marked(self, ids: list[int], lags: list[float]) -> None:
        """The marker committed these: release them (a later read may not hand them out again) and keep the
        window each one waited."""
        self._mark_lags.extend(lags)
        for item_id in ids:
            key = self._awaiting_chat.pop(item_id, None)
            if key is not None and self._awaiting_mark.get(key) == item_id:
                del self._awaiting_mark[key]
                if self._workers:
                    self._worker_for(key).wake.set()  # the chat's next item may go
            self._release(item_id)

    def mark_lag(self) -> dict[str, float]:
        """How long sent items stayed unmarked after the platform's answer (the window in which a crash sends
        one again): count, mean, p99 and max in seconds, over the latest 10,000 items."""
        lags = sorted(self._mark_lags)
        if not lags:
            return {"count": 0, "mean": 0.0, "p99": 0.0, "max": 0.0}
        return {"count": len(lags), "mean": sum(lags) / len(lags),
                "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))], "max": lags[-1]}

    # -- database work (runs in the executor thread) ----------------------------------------------

    async def _db(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_executor, function, *args)

    def _mark_sent_sync(self, ids: list[int]) -> None:
        with self.database.session() as session:
            outbox.mark_sent(session, ids, self.clock.now())

    def _hold_sync(self, item_id: int, until: dt.datetime) -> None:
        with self.database.session() as session:
            outbox.hold(session, item_id, until)

    def _release_held_sync(self, now: dt.datetime) -> int:
        with self.database.session() as session:
            return outbox.release_held(session, now)

    def _fail_sync(self, item_id: int, error: str, now: dt.datetime) -> None:
        with self.database.session() as session:
            outbox.mark_failed(session, item_id, error, now)

    def _reschedule_sync(self, item_id: int, error: str, at: dt.datetime, count_attempt: bool) -> None:
        with self.database.session() as session:
            outbox.reschedule(session, item_id, error, at, count_attempt=count_attempt)

    def _unreachable_sync(self, item: OutboxItem, error: str, now: dt.datetime) -> None:
        with self.database.session() as session:
            outbox.mark_failed(session, item.id, f"unreachable: {error}", now)  # type: ignore[arg-type]
            # Nothing more goes to this chat: the rest of its queue fails with it.
            session.exec(  # type: ignore[call-overload]
                update(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.channel == item.channel,
                       OutboxMessage.chat_id == item.chat_id)
                .values(status="failed", last_error=f"unreachable: {error}"[:500], sent_at=now)
            )
            accounts = session.exec(
                select(ChannelAccount).where(ChannelAccount.channel == item.channel,
                                             ChannelAccount.chat_id == item.chat_id)
            ).all()
            for account in accounts:
                # The first sender to mark the member tells their commune admin, once (bot.reminders.notices).
                mark_unreachable(session, account.member_id, cause_item_id=item.id, now=now)  # type: ignore[arg-type]

    def _shutdown_executor(self) -> None:
        if self._own_executor and not self._executor_closed:
            self._executor_closed = True
            self._db_executor.shutdown(wait=True)
