"""The sender's book of claimed items and waiting chats: what keeps one chat's items in order.

An item is *claimed* while it is queued with a worker, in flight, or sent and not yet marked: no read of the
outbox hands it out again. When an item has to wait (429, 5xx, a time-out), its chat is *blocked* behind it:
later items of that chat are not sent until the waiting item is sent or finally failed. Releases are numbered,
so a read of the outbox that began before an item was released (and marked) does not hand it out again.

With leases (several instances on PostgreSQL) the book also remembers for a while the items a read handed out
(`read_lately`): a reply the engine leased to this instance may be found by a read before its hand-over
arrives, and must not be sent a second time when it does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.messages import ChatKey

READ_LATELY_SECONDS = 60.0  # how long an item a read handed out is remembered (its hand-over comes in milliseconds)


class ClaimBook:
    """Claimed item ids, the chats blocked behind a waiting item, and the newest id handed out."""

    def __init__(
        self,
        max_claimed: int,
        on_unblock: Callable[[], None],
        on_room: Callable[[], None],
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_claimed = max_claimed
        self._now = now
        self._on_unblock = on_unblock  # a chat may go on: its later items are found by a full scan
        self._on_room = on_room  # half the claims were released after a full house: read more
        self.claimed: set[int] = set()
        self.blocked: dict[ChatKey, int] = {}
        self.seq = 0  # release order
        self._released: dict[int, int] = {}
        self.high_water = 0  # the newest item id handed to a worker (or skipped behind a waiting one)
        self._read: dict[int, float] = {}  # item id -> when a read handed it out (with leases only)

    def reset(self) -> None:
        """A fresh start: the next read covers the whole outbox."""
        self.high_water = 0
        self._read = {}

    def note_read(self, item_id: int) -> None:
        """A read of the outbox handed the item out (with leases: its hand-over may still come)."""
        self._read[item_id] = self._now()

    def read_lately(self, item_id: int) -> bool:
        """Whether a read handed the item out within `READ_LATELY_SECONDS`, or since the last `forget_old_reads`."""
        return item_id in self._read

    def forget_old_reads(self) -> None:
        """Forget the items read more than `READ_LATELY_SECONDS` ago: their hand-over is long past."""
        horizon = self._now() - READ_LATELY_SECONDS
        self._read = {item_id: at for item_id, at in self._read.items() if at >= horizon}

    def room(self) -> int:
        """How many more items may be claimed."""
        return max(0, self.max_claimed - len(self.claimed))

    def claim(self, item_id: int) -> None:
        """The item is handed to a worker."""
        self.claimed.add(item_id)

    def release(self, item_id: int) -> None:
        """The item is no longer held here (sent and marked, failed, or left pending for a later read)."""
        if item_id not in self.claimed:
            return
        self.claimed.discard(item_id)
        self.seq += 1
        self._released[item_id] = self.seq
        if len(self.claimed) == self.max_claimed // 2:
            self._on_room()

    def released_since(self, item_id: int, seq: int) -> bool:
        """True when the item was released after release number `seq` (a read that began then is stale)."""
        return self._released.get(item_id, -1) > seq

    def forget_releases(self) -> None:
        """The next read starts after every release recorded so far."""
        self._released.clear()

    def behind(self, key: ChatKey, item_id: int, blocker: int | None = None) -> bool:
        """True when an earlier item of the chat waits (`blocker`, or the book's own), so this one must too."""
        first = self.blocked.get(key) if blocker is None else blocker
        return first is not None and item_id > first

    def block(self, key: ChatKey, item_id: int) -> None:
        """The item waits for a later attempt: the chat's later items wait behind it."""
        current = self.blocked.get(key)
        self.blocked[key] = item_id if current is None else min(current, item_id)

    def unblock(self, key: ChatKey) -> None:
        """The item a chat waited behind is done: its later items may go."""
        del self.blocked[key]
        self._on_unblock()

    def finish(self, item_id: int) -> None:
        """An item reached its final state (failed): unblock its chat and release it."""
        for key, blocker in list(self.blocked.items()):
            if blocker == item_id:
                self.unblock(key)
        self.release(item_id)

    def settle_blockers(self, found: dict[ChatKey, int], read_seq: int) -> None:
        """After a full read: the database's waiting chats (`found`) join the book, and a block whose item no
        longer waits there (failed by hand, say) is lifted, unless the item is in hand or changed since."""
        for key, blocker in list(self.blocked.items()):
            if key not in found and blocker not in self.claimed and not self.released_since(blocker, read_seq):
                del self.blocked[key]
        for key, first in found.items():
            self.block(key, first)
