"""What the outbox sender (bot/outbox_sender.py) does after a send the platform did not accept.

Errors from the renderer (`bot.channels.base`):
* `RetryAfter` reschedules the item and pauses the whole channel for that time (not counted as an attempt);
* `TransientError` retries with exponential backoff and gives up (`failed`) after `max_attempts`; a send that got
  no answer in time (`SendTimedOut`, or the sender's own `deliver_timeout`) is retried likewise, but not before
  `timeout_settle` seconds (the sender's docstring says why); a renderer's own crash is retried like a 5xx, so no
  item is lost to a bug;
* `Unreachable` fails the item and the rest of that chat's queue and hands the chat to `on_unreachable` (the
  wiring passes the reminders' notice: the member is marked unreachable and, the first time, their commune admin
  is told; a group chat loses its binding);
* `ChatMoved` (a Telegram group became a supergroup) moves the item and the rest of its chat to the new chat id,
  the group's binding with them, and sends them there;
* `PermanentError` fails the item and logs it.

Per chat order survives failures: when an item has to wait (429, 5xx, a time-out), the chat is *blocked* behind
it and its later items already queued with the worker are handed back; they are read again, in order, once it
has been sent or finally failed.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot.channels.base import ChatMoved, PermanentError, RetryAfter, SendTimedOut, TransientError, Unreachable
from bot.clock import Clock
from bot.delivery.claims import ChatKey, ClaimBook
from bot.delivery.shared import SharedPace
from bot.delivery.store import OutboxStore
from bot.delivery.worker import Worker
from bot.pacing import Pacer, token_key
from storage.outbox import OutboxItem

# These lines were the sender's before they moved here: a log filter set on the sender still sees them.
log = logging.getLogger("bot.outbox_sender")


def send_result(error: BaseException) -> str:
    """What a failed send came to, as the metrics name it: 429, 403, timeout, 5xx (or the network), moved,
    refused (any other refusal by the platform) or error (a renderer's bug)."""
    if isinstance(error, RetryAfter):
        return "429"
    if isinstance(error, Unreachable):
        return "403"
    if isinstance(error, (SendTimedOut, TimeoutError)):
        return "timeout"
    if isinstance(error, TransientError):
        return "5xx"
    if isinstance(error, ChatMoved):
        return "moved"
    if isinstance(error, PermanentError):
        return "refused"
    return "error"


class RetrySettings(Protocol):
    """How a failed send is tried again (the sender's settings, read at each failure: they may change)."""

    max_attempts: int
    base_backoff: float
    max_backoff: float
    timeout_settle: float


class FailedSends:
    """Settles a send that failed: retries it later, moves it, or fails it, keeping its chat's order."""

    def __init__(
        self,
        store: OutboxStore,
        claims: ClaimBook,
        pacer: Pacer,
        clock: Clock,
        settings: RetrySettings,
        stats: collections.Counter[str],
        group_chats: set[ChatKey],
        *,
        notify: Callable[[], None],
        rescan_soon: Callable[[], None],
        shared_pace: SharedPace | None = None,
    ) -> None:
        """The sender's parts this needs; `stats` and `group_chats` are the sender's own, updated in place;
        `notify` looks at the database now, `rescan_soon` reads it whole (a retry set: when to look again)."""
        self.store = store
        self.claims = claims
        self.pacer = pacer
        self.clock = clock
        self.settings = settings
        self.stats = stats
        self.group_chats = group_chats
        self.notify = notify
        self.rescan_soon = rescan_soon
        self.shared_pace = shared_pace  # several instances: a 429 pauses them all

    async def settle(self, worker: Worker, item: OutboxItem, error: Exception) -> None:
        """Act on what the renderer raised for the item (see the module docstring)."""
        if isinstance(error, RetryAfter):
            await self._after_retry_after(worker, item, error)
        elif isinstance(error, Unreachable):
            await self._after_unreachable(worker, item, error)
        elif isinstance(error, ChatMoved):
            await self._after_moved(worker, item, error)
        elif isinstance(error, PermanentError):
            await self._after_permanent(item, error)
        elif isinstance(error, (TimeoutError, TransientError)):
            await self._after_transient(worker, item, error)
        else:  # a renderer's bug must not lose the item: it is retried like a 5xx
            log.error("renderer crashed on item %s; treating it as a transient error", item.id, exc_info=error)
            await self._after_transient(worker, item, error)

    async def _after_retry_after(self, worker: Worker, item: OutboxItem, error: RetryAfter) -> None:
        """The platform asked to slow down: pause the channel, and try the item again then (not an attempt)."""
        self.stats["retry_after"] += 1
        pause = max(error.seconds, 0.0)
        self.pacer.pause(token_key(item), pause, time.monotonic())
        if self.shared_pace is not None:
            try:
                await self.shared_pace.pause(token_key(item), pause)
            except Exception:  # the database is away: this instance pauses, the others meet their own 429
                log.exception("could not share the pause after a 429")
        log.warning("%s asked to slow down for %.1f s (item %s, chat %s)", item.channel, pause, item.id, item.chat_id)
        self._drop_queued(worker, (item.channel, item.chat_id))
        at = self.clock.now() + dt.timedelta(seconds=pause)
        await self._retry_later(item, str(error) or "retry after", at, count_attempt=False)

    async def _after_unreachable(self, worker: Worker, item: OutboxItem, error: Unreachable) -> None:
        """The chat cannot be reached (blocked, deleted): fail it with the rest of its chat, and say so."""
        self.stats["unreachable"] += 1
        log.info("chat %s on %s is unreachable (%s); item %s failed", item.chat_id, item.channel, error, item.id)
        await self.store.run(self.store.unreachable, item, str(error) or "unreachable", self.clock.now())
        self.claims.finish(item.id)
        self.notify()  # the commune admin's notice may be waiting
        self._drop_queued(worker, (item.channel, item.chat_id))  # failed in the database together with this one

    async def _after_moved(self, worker: Worker, item: OutboxItem, error: ChatMoved) -> None:
        """The group chat moved to a new id (a Telegram group became a supergroup): the item and the rest of its
        chat are sent again to the new id, and the group's binding follows it. A move to the same id (never
        seen) would loop: it fails the item instead."""
        old_key, new_id = (item.channel, item.chat_id), error.new_chat_id
        if not new_id or new_id == item.chat_id:
            self.stats["failed"] += 1
            await self.store.run(self.store.fail, item.id, f"permanent: {error}", self.clock.now())
            self.claims.finish(item.id)
            return
        self.stats["moved"] += 1
        log.info("%s chat %s moved to %s; item %s and the rest follow", item.channel, item.chat_id, new_id, item.id)
        if old_key in self.group_chats:
            self.group_chats.add((item.channel, new_id))
        try:
            await self.store.run(self.store.moved, item, new_id, self.clock.now())
        finally:
            self.claims.release(item.id)  # read again, now addressed to the new id
        self._drop_queued(worker, old_key)
        self.rescan_soon()

    async def _after_permanent(self, item: OutboxItem, error: PermanentError) -> None:
        """The platform refused the item for good: fail it (its chat goes on)."""
        self.stats["failed"] += 1
        log.warning("%s refused item %s (%s to chat %s): %s", item.channel, item.id, item.kind, item.chat_id, error)
        await self.store.run(self.store.fail, item.id, f"permanent: {error}", self.clock.now())
        self.claims.finish(item.id)

    async def _after_transient(self, worker: Worker, item: OutboxItem, error: BaseException) -> None:
        """A failure that may pass: try again with backoff (after a time-out, not before `timeout_settle`, the
        chat waiting behind it), or give up after `max_attempts`."""
        self.stats["transient"] += 1
        timed_out = isinstance(error, (SendTimedOut, asyncio.TimeoutError))
        if timed_out:
            self.stats["timed_out"] += 1
        reason = str(error) or type(error).__name__
        attempt = item.attempts + 1
        settings = self.settings
        if attempt >= settings.max_attempts:
            self.stats["failed"] += 1
            log.warning(
                "giving up item %s (%s to chat %s) after %d attempts: %s",
                item.id,
                item.kind,
                item.chat_id,
                attempt,
                reason,
            )
            await self.store.run(
                self.store.fail, item.id, f"gave up after {attempt} attempts: {reason}", self.clock.now()
            )
            self.claims.finish(item.id)
            return
        delay = min(settings.max_backoff, settings.base_backoff * (2**item.attempts))
        if timed_out:
            delay = max(delay, settings.timeout_settle)  # the call may still land: give it time to, first
        log.info("item %s failed (%s); attempt %d again in %.1f s", item.id, reason, attempt + 1, delay)
        self._drop_queued(worker, (item.channel, item.chat_id))
        await self._retry_later(item, reason, self.clock.now() + dt.timedelta(seconds=delay))

    def _drop_queued(self, worker: Worker, key: ChatKey) -> None:
        """Hand back the chat's later items queued in the worker: they must wait for the one that failed
        and are read again, in order, once it has gone (otherwise a lifted block would let them jump it)."""
        for other in worker.drop(key):
            self.claims.release(other.id)

    async def _retry_later(self, item: OutboxItem, reason: str, at: dt.datetime, count_attempt: bool = True) -> None:
        """Reschedule the item and block its chat behind it until then."""
        self.claims.block((item.channel, item.chat_id), item.id)
        try:
            await self.store.run(self.store.reschedule, item.id, reason, at, count_attempt)
        finally:
            self.claims.release(item.id)
        self.rescan_soon()  # the dispatcher learns when to look again
