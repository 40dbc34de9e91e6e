"""Keeping the outbox rows this instance holds: their leases renewed, and how long they are surely still ours.

With several instances on PostgreSQL (bot/delivery/shared.py:Leases) the sender's rows in hand are leased in
the database; `LeaseKeeper` renews them every third of a lease's life and tells the workers whether they may
still send: a renewal that began at t keeps the rows ours until t + the lease's life, and the workers stop at
80% of that (a margin for the time a send takes to leave), so an instance cut off from the database stops
before another takes its chats. At a clean stop the rows are freed at once. Without leases it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot.delivery.shared import Leases
from bot.delivery.store import OutboxStore

log = logging.getLogger("bot.outbox_sender")

SAFE_SHARE = 0.8  # of a lease's life after a renewal began, during which the rows in hand may be sent


class LeaseKeeper:
    """Renews the leases of the rows in hand (`in_hand()`, called on the loop) and says when sending is safe;
    rows whose lease could not be renewed (it ran out first) are handed to `forfeit` (on the loop)."""

    def __init__(
        self,
        store: OutboxStore,
        leases: Leases | None,
        in_hand: Callable[[], list[int]],
        forfeit: Callable[[set[int]], None],
    ) -> None:
        self.store = store
        self.leases = leases
        self.in_hand = in_hand
        self.forfeit = forfeit
        self.renewals = 0  # successful renewals since start (tests, the operator's log)
        self.forfeited = 0  # rows let go because their lease ran out before it was renewed
        self._ok_until = math.inf
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Begin renewing (on the running loop); the rows claimed from now on are safe for a lease's life."""
        if self.leases is None:
            return
        # A thread of its own: a renewal must not wait behind the sender's scans and marks.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="outbox-leases")
        self._ok_until = time.monotonic() + self.leases.seconds * SAFE_SHARE
        self._task = asyncio.create_task(self._renew(self.leases), name="outbox-leases")

    def valid(self, now: float) -> bool:
        """Whether the rows in hand are surely still this instance's at monotonic time `now`."""
        return now <= self._ok_until

    async def stop(self) -> None:
        """Stop renewing and free this instance's rows for the others at once."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
        try:
            freed = await self.store.run(self.store.release_leases)
        except Exception:  # the database is away: the leases run out on their own
            log.exception("could not free the outbox rows this instance held")
        else:
            if freed:
                log.info("freed %d outbox rows for the other instances", freed)

    async def _renew(self, leases: Leases) -> None:
        """Every third of a lease's life, renew the leases of the rows in hand. A row renewed then is ours until
        at least the renewal's start plus a lease; one that was not (its lease ran out first, or it was sent or
        failed meanwhile) is let go here, so whatever is still in hand afterwards is safe."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(leases.seconds / 3)
            began = time.monotonic()
            ids = self.in_hand()
            try:
                renewed = await loop.run_in_executor(self._executor, self.store.renew, ids)
            except Exception:  # the database is away: past the margin the workers stop sending
                log.exception("could not renew the outbox leases")
                continue
            lost = set(ids) - renewed
            if lost:
                self.forfeit(lost)  # sent or failed meanwhile (nothing to do), or lapsed: no longer ours
            self.renewals += 1
            self._ok_until = began + leases.seconds * SAFE_SHARE
