"""The outbox sender: delivers what the engine put in the outbox, in order per chat, within rate limits.

How it works
------------
* A dispatcher (bot/delivery/dispatcher.py) takes the items the engine hands over after each commit
  (`handoff()`) and reads due ones from the database when `notify()` says so and at least every
  `poll_interval` seconds. Each item is *claimed* (bot/delivery/claims.py) and queued with one of a fixed pool
  of worker coroutines, chosen by a hash of (channel, chat id), which sends a chat's items one at a time in id
  order (bot/delivery/worker.py): one chat never has two items in flight; different chats go in parallel.
* Per chat order survives failures: when an item has to wait (429, 5xx), the chat is *blocked* behind it; its
  later items are not sent until the waiting item is sent or finally failed.
* Rate limits and a channel's pause after a 429 are bot/pacing.py's; replies go before reminders and notices.
* What happens after a send fails is bot/delivery/failures.py's (`FailedSends`): `RetryAfter` pauses the
  channel, `TransientError` retries with backoff up to `max_attempts`, `Unreachable` fails the chat's queue and
  calls `on_unreachable`, `ChatMoved` follows the group to its new id, `PermanentError` fails the item.
* A group chat is paced by the group limit: the renderer knows it (Telegram: a negative id; Zalo: a group it
  has heard from), or an item to it says so (`TO_GROUP` in a reminder's payload).
* A `hold` policy may keep an item back (the app holds reminders that reach the quiet hours, 21:00–07:00,
  behind a long queue): it is marked `held` until the given time, the rest of its chat goes on, and a full
  scan after that time makes it pending again.
* A send that gets no answer in time (`SendTimedOut` from the renderer, whose clients wait `send_timeout`, 60 s by
  default, far beyond Telegram's usual answer of well under a second; or this sender's own `deliver_timeout`
  backstop) is retried like a 5xx, but not before `timeout_settle` seconds (30 s by default): the clients close
  the timed-out call's connection, and a platform that still carries such a call out gets that long to do it,
  so it lands before its retry and before the chat's later messages, which wait behind it.
* Successful sends are marked `sent` at once by a thread of their own (bot/delivery/marker.py; one autocommit
  statement on PostgreSQL; on SQLite with the engine in a process of its own, written by that process, the file's
  one writer, see bot/engine_process.py). A chat's next item waits until its previous one is marked, so a crash
  finds at most one item per chat answered and not marked. `mark_lag()` tells how long that window was (a few
  milliseconds on SQLite). All other database work runs in one executor thread (bot/delivery/store.py), so the
  event loop stays free.

Delivery is at least once: a crash after the platform accepted an item and before it was marked `sent` sends it again
after restart (as does a retried multi-part message, whose first parts were already accepted). An item is never lost:
it stays `pending` in the database until it is marked `sent` or `failed`.

The bound on what a person sees twice, and its honest limits. Telegram documents neither how long a send may take nor
whether a call whose connection was closed is still carried out. A platform that drops such a call shows nothing
twice. One that carries it out anyway shows the timed-out message twice (one message per time-out: a chat has one item
in flight), in order as long as it lands within `send_timeout + timeout_settle` of being sent; a call held longer than
that (90 s by default) may land after the chat's later messages. A crash (SIGKILL) re-sends in each chat at most the
one item that was in flight or answered and not yet marked, right after its first copy, never after a later message.
tests/reliability/test_platform_faults.py measures both.

Several instances on one PostgreSQL database each run a sender (`leases`): every read of due rows claims them in the
database with a lease (storage/outbox_leases.py: a chat is held by one instance at a time, oldest rows first, never
behind a row of its chat that waits), the sender renews the leases of the rows it has in hand every third of their
life, and stops sending when it could not renew them for longer than that life less a margin (another instance may
hold them by then). A killed instance's rows pass to another once their lease runs out (15 s by default); at a clean
stop it frees them at once. The engine leases its replies to this instance as it writes them when their chat is free
for it (`OutboxItem.leased`): those go to the workers as handed over, without a claim. A row the engine committed
here whose chat another instance holds is that instance's to send: the read that left it out wakes the others
(LISTEN/NOTIFY, bot/delivery/wakeup.py), which read in full at once rather than at their next poll; so does a clean
stop. Each token's global rate is reserved in the database (`shared_pace`, bot/delivery/shared.py). What a person may
see twice after a kill is the same as above: per chat at most the one item that was in flight or answered and not yet
marked; over the whole bot, the dead instance's `workers` sends in flight (6 per bot by default) plus what the platform
answered within the mark's lag before the kill (its rate times a few milliseconds; more on a loaded machine).
bench/failover.py prints both: the doubled equal the rows the platform already had and the dead one had not marked.
On SQLite one instance runs (storage/instance_lock.py), and none of this is used.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any

from bot.channels.base import ChannelRenderer, is_group_chat, unseen_when_repeated
from bot.clock import Clock
from bot.delivery.claims import ClaimBook
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.failures import FailedSends, send_result
from bot.delivery.leases import LeaseKeeper
from bot.delivery.marker import SentMarker, lag_summary
from bot.delivery.shared import Leases, SharedPace
from bot.delivery.store import OutboxStore, UnreachableHook
from bot.delivery.wakeup import Wakeups
from bot.delivery.worker import Worker
from bot.messages import ChatKey, chat_hash
from bot.pacing import Pacer, token_key
from bot.settings import SENDER_WORKERS_PER_BOT, RateLimits
from storage.db import Database
from storage.outbox import TO_GROUP, OutboxItem

log = logging.getLogger(__name__)

HoldPolicy = Callable[[OutboxItem, dt.datetime], dt.datetime | None]
LEASED_SECONDS, LEASED_MIN = 4.0, 100  # with leases: rows in hand at most this many seconds at the rate (or 100)


class OutboxSender:
    """Delivers outbox items through channel renderers; see the module docstring."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        rate_limits: RateLimits | None = None,
        renderers: Iterable[ChannelRenderer] = (),
        *,
        workers: int = SENDER_WORKERS_PER_BOT,
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
        hold: HoldPolicy | None = None,
        on_unreachable: UnreachableHook | None = None,
        on_result: Callable[[str, str], None] | None = None,
        leases: Leases | None = None,
        shared_pace: SharedPace | None = None,
    ) -> None:
        self.clock = clock
        # Several instances on PostgreSQL: rows claimed in the database, the token's rate shared (see above).
        self.leases = leases
        self.shared_pace = shared_pace
        # After each send: (channel, result), result "ok" or what `send_result` names a failure (for metrics).
        self.on_result = on_result or (lambda channel, result: None)
        self.rate_limits = rate_limits or RateLimits()
        self.renderers: dict[str, ChannelRenderer] = {renderer.channel: renderer for renderer in renderers}
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self.flush_interval = flush_interval  # > 0: wait this long to gather a batch of marks (throughput tests)
        # A backstop above the clients' own per-call time-out: an item may take several calls (a long text).
        self.deliver_timeout = deliver_timeout
        self.timeout_settle = timeout_settle
        # When an item may not go out now (a reminder reaching the quiet hours behind a long queue): the time
        # it may. It is then held in the database, and the rest of its chat goes on.
        self.hold = hold
        self.store = OutboxStore(database, db_executor, on_unreachable, leases)
        self.pacer = Pacer(self.rate_limits, self._is_group)
        self.stats: collections.Counter[str] = collections.Counter()
        self._worker_count = max(1, workers)
        self._marker: SentMarker | None = None  # made at each start
        self._mark_lags: collections.deque[float] = collections.deque(maxlen=10_000)
        self._awaiting_mark: dict[ChatKey, int] = {}  # a chat's item answered by the platform, not yet marked
        self._awaiting_chat: dict[int, ChatKey] = {}  # the same, by item id
        self._group_chats: set[ChatKey] = set()  # chats an item said were groups (`TO_GROUP` in its payload)
        self._build_delivery(database, poll_interval, max_claimed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._workers: list[Worker] = []
        self._dispatching: asyncio.Task[None] | None = None
        self._stop_event = asyncio.Event()
        self._running = False
        self._stopping = False

    def _build_delivery(self, database: Database, poll_interval: float, max_claimed: int) -> None:
        """The parts that claim, dispatch and retry items, and with leases keep them and wake the others."""
        clock, leases, shared_pace = self.clock, self.leases, self.shared_pace
        if leases is not None:
            # Rows in hand wait for this instance alone: keep a few seconds' worth at the rate, so that rows a
            # killed instance held are few, and the others have rows of their own to send meanwhile.
            max_claimed = min(max_claimed, max(LEASED_MIN, int(self.rate_limits.global_per_second * LEASED_SECONDS)))
        self.claims = ClaimBook(max_claimed, on_unblock=self._rescan_soon, on_room=self.notify)
        self.dispatcher = Dispatcher(
            self.store, self.claims, clock, self.renderers, self._queue_with_worker, poll_interval
        )
        # Reads max_attempts, the backoffs and timeout_settle from here at each failure (a test may change them).
        self.failures = FailedSends(
            self.store,
            self.claims,
            self.pacer,
            clock,
            self,
            self.stats,
            self._group_chats,
            notify=self.notify,
            rescan_soon=self._rescan_soon,
            shared_pace=shared_pace,
        )
        self.lease_keeper = LeaseKeeper(self.store, leases, lambda: sorted(self.claims.claimed), self._forfeit)
        # With leases, another instance may hold the chat of a row committed here: tell the others at once.
        self.wakeups = Wakeups(database, leases.owner, self._rescan_soon) if leases is not None else None
        if self.wakeups is not None:
            self.dispatcher.on_left = self.wakeups.tell_others

    # -- public API -------------------------------------------------------------------------------

    def add_renderer(self, renderer: ChannelRenderer) -> None:
        """Deliver items of `renderer.channel` through it; items of channels without a renderer wait."""
        self.renderers[renderer.channel] = renderer
        self.notify()

    def notify(self) -> None:
        """New items may be in the database: look now. Safe to call from any thread."""
        self.dispatcher.fetch_wanted = True
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing
            loop.call_soon_threadsafe(self.dispatcher.wake.set)

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
            loop.call_soon_threadsafe(self.dispatcher.accept, items)

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._running

    @property
    def worker_count(self) -> int:
        """How many chats may be sent to at once."""
        return self._worker_count

    async def start(self) -> None:
        """Start the dispatcher, the workers and the marker."""
        if self._running:
            return
        self.store.open()
        self.claims.reset()
        self.dispatcher.reset()
        self._loop = loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        self._awaiting_mark, self._awaiting_chat = {}, {}
        self._marker = SentMarker(
            self._mark_sent,
            lambda ids, lags: self._call_soon(loop, self._after_marked, ids, lags),
            batch_size=self.batch_size,
            gather=self.flush_interval,
        )
        self._marker.start()
        self._stopping = False
        self._workers = [Worker(index) for index in range(self._worker_count)]
        for worker in self._workers:
            worker.task = asyncio.create_task(self._work(worker), name=f"outbox-worker-{worker.index}")
        self._dispatching = asyncio.create_task(self.dispatcher.run(), name="outbox-dispatcher")
        self.lease_keeper.start()
        if self.wakeups is not None:
            self.wakeups.start()
        self._running = True
        self.notify()

    async def stop(self, drain_timeout: float = 0.0, stop_timeout: float = 30.0) -> None:
        """Optionally send what is due (up to `drain_timeout` s), finish the items in flight, then stop.

        Items handed to a worker but not started stay pending in the database and go out after restart.
        """
        if not self._running:
            self.store.close()
            return
        if drain_timeout > 0:
            await self.drain(drain_timeout)
        self._stopping = True
        self._stop_event.set()
        self.dispatcher.stop()
        if self._dispatching is not None:
            self._dispatching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatching
        await self._stop_workers(stop_timeout)
        if self._marker is not None:
            # What was sent gets marked; its releases were queued on this loop before the join returned.
            await asyncio.to_thread(self._marker.stop)
            self._marker = None
            await asyncio.sleep(0)
        for worker in self._workers:
            for item in worker.drop_all():
                self.claims.release(item.id)
        await self.lease_keeper.stop()
        if self.wakeups is not None:
            await asyncio.to_thread(self.wakeups.stop, True)  # the rows it freed: the others take them at once
        if self.shared_pace is not None:
            self.shared_pace.close()
        self._running = False
        self._loop = None
        self.store.close()

    async def _stop_workers(self, stop_timeout: float) -> None:
        """Let each worker finish its item in flight; cancel one stuck past `stop_timeout` (it stays pending)."""
        for worker in self._workers:
            worker.wake.set()
        tasks = [worker.task for worker in self._workers if worker.task is not None]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=stop_timeout)
        for task in late:  # a renderer stuck past its own time-outs: the item stays pending
            log.warning("outbox worker did not finish in %.0f s; cancelling it", stop_timeout)
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)

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
            if not self.claims.claimed:  # a sent item stays claimed until it is marked
                due, waiting = await self.store.run(self.store.count, self.clock.now(), sorted(self.renderers))
                if due == 0 and (waiting == 0 or not include_waiting) and not self.claims.claimed:
                    return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.005)

    def mark_lag(self) -> dict[str, float]:
        """How long sent items stayed unmarked after the platform's answer (the window in which a crash sends
        one again): count, mean, p99 and max in seconds, over the latest 10,000 items."""
        return lag_summary(self._mark_lags)

    def _forfeit(self, ids: set[int]) -> None:
        """These rows' leases could not be renewed: let go of the ones still queued (another instance may hold
        them now); a row answered and awaiting its mark is left to it (it is sent)."""
        for worker in self._workers:
            for item in worker.drop_ids(ids - self._awaiting_chat.keys()):
                self.claims.release(item.id)

    def _is_group(self, channel: str, chat_id: str) -> bool:
        """True when the chat is a group on its channel, or an item to it said so (paced by the group limit)."""
        if (channel, chat_id) in self._group_chats:
            return True
        renderer = self.renderers.get(channel)
        return renderer is not None and is_group_chat(renderer, chat_id)

    def _rescan_soon(self) -> None:
        """Read the whole outbox at once: a chat's block was lifted or a retry set (when to look again)."""
        self.dispatcher.rescan = True
        self.notify()

    def _queue_with_worker(self, key: ChatKey, item: OutboxItem) -> None:
        """Queue a claimed item, in id order, with its chat's worker."""
        if item.payload.get(TO_GROUP):
            self._group_chats.add(key)  # a group the channel may not have heard from since start-up (Zalo)
        self._worker_for(key).queue(key, item)

    def _worker_for(self, key: ChatKey) -> Worker:
        """The worker that sends every item of this chat."""
        return self._workers[chat_hash(*key) % len(self._workers)]

    # -- workers ----------------------------------------------------------------------------------

    async def _work(self, worker: Worker) -> None:
        """Send the worker's chats' items, one chat at a time, the ready ones first, until stopped."""
        while not self._stopping:
            if not worker.chats:
                worker.wake.clear()
                await worker.wake.wait()
                continue
            chosen, soonest = worker.pick(time.monotonic(), self._awaiting_mark.__contains__, self._chat_wait)
            if chosen is None:
                worker.wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(worker.wake.wait(), None if soonest == math.inf else soonest)
                continue
            item = worker.current = worker.take(chosen)
            try:
                await self._deliver(worker, item)
            except asyncio.CancelledError:
                self.claims.release(item.id)  # cut off mid-delivery: it stays pending
                raise
            except Exception:  # a bug here must not kill the worker; the item stays pending
                log.exception("outbox worker failed on item %s", item.id)
                self.claims.release(item.id)
            finally:
                worker.current = None

    def _chat_wait(self, key: ChatKey, item: OutboxItem, now: float) -> float:
        """Seconds before the chat's next item may go (0 for one behind a block: it is only handed back)."""
        if self.claims.behind(key, item.id):
            return 0.0
        return self.pacer.chat_wait(key, item.kind, now)

    async def _wait_for_channel(self, channel: str) -> bool:
        """Wait out a 429 pause and the global rate; False when stopping meanwhile."""
        if self.shared_pace is not None and channel in self.shared_pace.keys:
            return await self._wait_for_shared(channel)
        while True:
            wait = self.pacer.take_channel(channel, time.monotonic())
            if wait <= 0:
                return True
            if self._stopping:
                return False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), wait)

    async def _wait_for_shared(self, channel: str) -> bool:
        """The token's rate shared by every instance: reserve this send's slot in the database and wait for it
        (a 429 anywhere moved it past the pause); False when stopping meanwhile (the slot is then unused)."""
        assert self.shared_pace is not None
        wait = await self.shared_pace.reserve(channel)
        if wait > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), wait)
        return not self._stopping

    async def _deliver(self, worker: Worker, item: OutboxItem) -> None:
        """Send one item unless it must wait (behind its chat's block, no renderer, held, stopping)."""
        key = (item.channel, item.chat_id)
        renderer = self.renderers.get(item.channel)
        if self.claims.behind(key, item.id) or renderer is None:
            self.claims.release(item.id)  # an earlier item of this chat must go first; read again later
            return
        until = self.hold(item, self.clock.now()) if self.hold is not None else None
        if until is not None:
            await self._hold(item, until)
            return
        if not await self._wait_for_channel(token_key(item)):
            self.claims.release(item.id)
            return
        if not self.lease_keeper.valid(time.monotonic()):
            # The leases could not be renewed in time: another instance may hold this chat by now.
            log.warning("outbox leases not renewed in time; item %s left to whoever holds it", item.id)
            self.claims.release(item.id)
            await asyncio.sleep(0.5)
            return
        self.pacer.take_chat(key, item.kind, time.monotonic())
        await self._send(worker, item, renderer)

    async def _send(self, worker: Worker, item: OutboxItem, renderer: ChannelRenderer) -> None:
        """Hand the item to its renderer and settle what came back."""
        try:
            await asyncio.wait_for(renderer.deliver(item), self.deliver_timeout)
        except Exception as error:  # what came back decides: retry, move, or fail (bot/delivery/failures.py)
            self.on_result(item.channel, send_result(error))
            await self.failures.settle(worker, item, error)
        else:
            self.on_result(item.channel, "ok")
            self._after_sent(item)

    async def _hold(self, item: OutboxItem, until: dt.datetime) -> None:
        """The hold policy keeps the item back until `until`; the rest of its chat goes on."""
        self.stats["held"] += 1
        try:
            await self.store.run(self.store.hold, item.id, until)
        finally:
            self.claims.release(item.id)
        self.dispatcher.held_until(until)

    def _after_sent(self, item: OutboxItem) -> None:
        """The platform accepted the item: mark it at once, off the event loop. The chat's next item waits for
        the mark, so a crash finds at most this one answered and unmarked in the chat (sent again right after
        itself)."""
        key = (item.channel, item.chat_id)
        if self._marker is None:  # stopped meanwhile: it stays pending and goes out again after restart
            self.claims.release(item.id)
            return
        if item.kind not in unseen_when_repeated(self.renderers.get(item.channel)):
            self._awaiting_mark[key], self._awaiting_chat[item.id] = item.id, key
        self._marker.put(item.id, time.monotonic())
        self.stats["sent"] += 1
        if self.claims.blocked.get(key) == item.id:
            self.claims.unblock(key)

    # -- marking ----------------------------------------------------------------------------------

    def _mark_sent(self, ids: list[int]) -> None:
        """On the marker's thread: mark these items sent (one transaction)."""
        self.store.mark_sent(ids, self.clock.now())

    @staticmethod
    def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
        """Run `callback(*args)` on the event loop, from another thread (nothing if the loop is gone)."""
        if not loop.is_closed():
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
            self.claims.release(item_id)
