"""The sender's dispatcher: finds the items to send and claims them for the workers, keeping each chat's order.

Items come two ways. The engine hands over what it just committed (`accept`), which goes out at once without
being read back. The database is read when `notify()` says new items may be there (reminders, notices) and, in
full, at least every `poll_interval` seconds: a full read finds retries that became due, items dropped behind a
waiting one, and the chats that wait behind an item due later. A held item (the quiet hours) becomes pending
again on the first full read after its time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from bot.clock import Clock
from bot.delivery.claims import ChatKey, ClaimBook
from bot.delivery.store import OutboxStore
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


class Dispatcher:
    """Reads due items, claims them and hands them to `queue` (the sender queues each with its chat's worker)."""

    def __init__(
        self,
        store: OutboxStore,
        claims: ClaimBook,
        clock: Clock,
        channels: Mapping[str, Any],
        queue: Callable[[ChatKey, OutboxItem], None],
        poll_interval: float,
    ) -> None:
        self.store = store
        self.claims = claims
        self.clock = clock
        self.channels = channels  # the channels that have a renderer (the sender's live mapping)
        self.queue = queue
        self.poll_interval = poll_interval
        self.wake = asyncio.Event()
        self.fetch_wanted = True  # notify() was called: read the database for new items
        self.rescan = True  # read everything at the next turn (a block was lifted, a retry scheduled)
        self.stopping = False
        self._handed: list[OutboxItem] = []  # committed by the engine, not yet dispatched
        self._next_due: dt.datetime | None = None
        self._held_next: dt.datetime | None = None
        self._check_held = True
        # With leases: ids the engine handed over, not yet looked for in the database, and who to tell when a
        # read left one of them unclaimed (another instance holds its chat: it must be told to take it).
        self._handed_ids: set[int] = set()
        self.on_left: Callable[[], None] | None = None

    def reset(self) -> None:
        """Ready for a (re)start on the running loop: everything is read afresh."""
        self.wake = asyncio.Event()
        self.rescan, self.fetch_wanted, self._check_held, self.stopping = True, True, True, False
        self._handed = []
        self._handed_ids = set()

    def accept(self, items: list[OutboxItem]) -> None:
        """On the loop: items the engine committed, for the next turn."""
        if self.stopping:
            return
        self._handed.extend(items)
        self.wake.set()

    def held_until(self, until: dt.datetime) -> None:
        """An item was held until `until`: a full read after then makes it pending again."""
        self._held_next = until if self._held_next is None else min(self._held_next, until)

    def stop(self) -> None:
        """End the loop at its next turn."""
        self.stopping = True
        self.wake.set()

    async def run(self) -> None:
        """Hand out what the engine handed over and what the database holds, until stopped."""
        last_full = -math.inf
        next_due: dt.datetime | None = None
        while not self.stopping:
            self.wake.clear()
            # A full scan reads every pending row, so it runs at most once per poll interval (or when asked);
            # a wake-up from `notify()` only looks at items newer than the newest one handed out.
            full = (
                self.rescan
                or time.monotonic() - last_full >= self.poll_interval
                or (next_due is not None and next_due <= self.clock.now())
            )
            delay = self.poll_interval
            try:
                if self._handed:
                    handed, self._handed = self._handed, []
                    self._dispatch_handed(handed)
                if full:
                    self.rescan = False
                    last_full = time.monotonic()
                if full or self.fetch_wanted:
                    self.fetch_wanted = False
                    looked_for, self._handed_ids = self._handed_ids, set()
                    try:
                        next_due = await self._dispatch_once(full)
                    finally:  # a failed read claimed nothing: the others are told as well
                        self._check_left(looked_for)
                else:
                    next_due = self._next_due
                if next_due is not None:
                    until = (next_due - self.clock.now()).total_seconds()
                    delay = min(delay, max(0.005, until))
            except asyncio.CancelledError:
                raise
            except Exception:  # the dispatcher must not die: a database error is logged, and it reads again
                log.exception("outbox dispatch failed; trying again in %.1f s", self.poll_interval)
                self.rescan = True
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), delay)

    def _check_left(self, looked_for: set[int]) -> None:
        """With leases: handed-over rows the read just made did not claim are another instance's to send (it
        holds their chat) or were missed by a read of newer rows only: tell the others, and read in full here."""
        left = looked_for - self.claims.claimed
        if left and self.on_left is not None:
            self.rescan = True
            self.on_left()

    async def _release_held(self, full: bool) -> None:
        """On a full read, at start and once a hold has ended: held items whose time came are pending again."""
        if not full:
            return
        if not (self._check_held or (self._held_next is not None and self._held_next <= self.clock.now())):
            return
        self._check_held = False
        released = await self.store.run(self.store.release_held, self.clock.now())
        if released:
            log.info("%d held outbox items may go out now", released)

    async def _dispatch_once(self, full: bool) -> dt.datetime | None:
        """Read due items (all, or only those newer than handed out) and claim them; when to look again."""
        channels = sorted(self.channels)
        claims = self.claims
        room = claims.room()
        if not channels:
            return None
        await self._release_held(full)
        read_seq = claims.seq
        scan = await self.store.run(
            self.store.scan,
            self.clock.now(),
            channels,
            # With leases every read claims in the database: what is in hand must be left out there too.
            frozenset(claims.claimed) if full or self.store.leases is not None else frozenset(),
            room,
            None if full else claims.high_water,
        )
        if full:
            self._next_due = scan.next_due
            self._held_next = scan.held_next
            claims.forget_old_reads()
            # After a restart the database is the only record of which chats wait behind an item.
            claims.settle_blockers(scan.blockers, read_seq)
        for item in scan.due:
            if item.id in claims.claimed or claims.released_since(item.id, read_seq):
                continue  # in flight, or marked after this read found it
            key = (item.channel, item.chat_id)
            claims.high_water = max(claims.high_water, item.id)
            blocker = scan.blockers.get(key) if full else claims.blocked.get(key)
            if blocker is not None and item.id > blocker:
                continue  # an earlier item of this chat waits for its next attempt: a later full scan
            self._claim(key, item)
            if self.store.leases is not None:
                claims.note_read(item.id)  # its lease's hand-over may still come: not twice
        claims.forget_releases()
        return scan.next_due if full else self._next_due

    def _dispatch_handed(self, items: list[OutboxItem]) -> None:
        """Claim items the engine handed over, as a database read would have found them.

        Not done here, left to the database (the next read finds them): items at or below the high-water mark
        (a read already covered them), of a channel without a renderer, or behind an item of their chat that
        waits for a later attempt. `max_claimed` does not apply: a reply must not wait behind thousands of
        reminders already claimed (there are only ever a few replies per update). The high-water mark does not
        move: an item another writer committed just before must still be found by the next read after `notify()`.
        """
        claims = self.claims
        if self.store.leases is not None:
            # Several instances: a row is sent by the one that holds it in the database. The replies the engine
            # leased here as it wrote them go to the workers at once; the others (another instance holds their
            # chat, or an earlier row of it waits) are read and claimed like any other row, at once.
            for item in items:
                if item.leased:
                    self._take_leased(item)
                elif item.id not in claims.claimed:
                    self._handed_ids.add(item.id)
                    self.fetch_wanted = True
            return
        if self.rescan:
            # A chat's block was lifted (or a retry set) since the last read, and the full read this turn makes
            # comes next: it finds these in order behind their chats' items that were skipped while blocked.
            # Claimed here first, a reply could go out before an earlier one of its chat that a read has yet to
            # find (two replies were seen out of order that way, under a retry and a loaded machine).
            return
        for item in items:
            if item.id in claims.claimed or item.id <= claims.high_water:
                continue
            if item.channel not in self.channels:
                self.fetch_wanted = True
                continue
            key = (item.channel, item.chat_id)
            if claims.behind(key, item.id):
                continue  # found by the full scan once the waiting item has gone
            self._claim(key, item)

    def _take_leased(self, item: OutboxItem) -> None:
        """A reply leased here in the transaction that wrote it: to its worker, unless a read took it first (it
        is in hand, or was sent already) or it must wait (no renderer, an earlier item of its chat waits); then
        a read finds it, as the lease is this instance's."""
        claims = self.claims
        if item.id in claims.claimed or claims.read_lately(item.id):
            return
        key = (item.channel, item.chat_id)
        if item.channel not in self.channels or claims.behind(key, item.id):
            self.fetch_wanted = True
            return
        self._claim(key, item)

    def _claim(self, key: ChatKey, item: OutboxItem) -> None:
        """Claim the item and hand it on."""
        self.claims.claim(item.id)
        self.queue(key, item)
